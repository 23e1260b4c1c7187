// Python arithmetic, concatenation, membership and printf-style % formatting for Jinja values. Text layer.
// Integers are 64-bit; where Python would grow a big integer we raise an overflow error instead.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "text/jinja/budget.h"
#include "text/jinja/builtins.h"
#include "text/jinja/pystr.h"

namespace baleen::jinja {
namespace {

const char* OpSymbol(Op op) {
  switch (op) {
    case Op::kAdd: return "+";
    case Op::kSub: return "-";
    case Op::kMul: return "*";
    case Op::kDiv: return "/";
    case Op::kFloorDiv: return "//";
    case Op::kMod: return "%";
    case Op::kPow: return "** or pow()";
    default: return "?";
  }
}

[[noreturn]] void Unsupported(Op op, const Value& a, const Value& b) {
  if (op == Op::kAdd && a.is_string()) ThrowError("can only concatenate str (not \"" + TypeName(b) + "\") to str");
  if (op == Op::kAdd && a.is_list() && !a.is_tuple()) {
    ThrowError("can only concatenate list (not \"" + TypeName(b) + "\") to list");
  }
  ThrowError(std::string("unsupported operand type(s) for ") + OpSymbol(op) + ": '" + TypeName(a) + "' and '" +
             TypeName(b) + "'");
}

void CheckOverflow(bool overflow) {
  if (overflow) ThrowError("integer overflow");
}

Value IntOp(Op op, int64_t x, int64_t y) {
  int64_t r = 0;
  switch (op) {
    case Op::kAdd: CheckOverflow(__builtin_add_overflow(x, y, &r)); return Value::Int(r);
    case Op::kSub: CheckOverflow(__builtin_sub_overflow(x, y, &r)); return Value::Int(r);
    case Op::kMul: CheckOverflow(__builtin_mul_overflow(x, y, &r)); return Value::Int(r);
    case Op::kDiv:
      if (y == 0) ThrowError("division by zero");
      return Value::Float(static_cast<double>(x) / static_cast<double>(y));
    case Op::kFloorDiv:
    case Op::kMod: {
      if (y == 0) ThrowError("integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) ThrowError("integer overflow");
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {  // Python rounds toward negative infinity
        --q;
        m += y;
      }
      return Value::Int(op == Op::kFloorDiv ? q : m);
    }
    case Op::kPow: {
      if (y < 0) {
        if (x == 0) ThrowError("0.0 cannot be raised to a negative power");
        return Value::Float(std::pow(static_cast<double>(x), static_cast<double>(y)));
      }
      int64_t result = 1, base = x;
      for (int64_t e = y; e > 0; e >>= 1) {
        if (e & 1) CheckOverflow(__builtin_mul_overflow(result, base, &result));
        if (e > 1) CheckOverflow(__builtin_mul_overflow(base, base, &base));
      }
      return Value::Int(result);
    }
    default: ThrowError("bad integer operator");
  }
}

Value FloatOp(Op op, double x, double y) {
  switch (op) {
    case Op::kAdd: return Value::Float(x + y);
    case Op::kSub: return Value::Float(x - y);
    case Op::kMul: return Value::Float(x * y);
    case Op::kDiv:
      if (y == 0) ThrowError("float division by zero");
      return Value::Float(x / y);
    case Op::kFloorDiv:
    case Op::kMod: {
      if (y == 0) ThrowError(op == Op::kMod ? "float modulo" : "float floor division by zero");
      // CPython's float_divmod.
      double mod = std::fmod(x, y);
      double div = (x - mod) / y;
      if (mod != 0) {
        if ((y < 0) != (mod < 0)) {
          mod += y;
          div -= 1.0;
        }
      } else {
        mod = std::copysign(0.0, y);
      }
      if (op == Op::kMod) return Value::Float(mod);
      double floordiv;
      if (div != 0) {
        floordiv = std::floor(div);
        if (div - floordiv > 0.5) floordiv += 1.0;
      } else {
        floordiv = std::copysign(0.0, x / y);
      }
      return Value::Float(floordiv);
    }
    case Op::kPow: {
      if (x == 0 && y < 0) ThrowError("0.0 cannot be raised to a negative power");
      if (x < 0 && std::floor(y) != y) ThrowError("negative number cannot be raised to a fractional power");
      return Value::Float(std::pow(x, y));
    }
    default: ThrowError("bad float operator");
  }
}

Value Repeat(Interpreter& interpreter, const Value& seq, int64_t times) {
  if (times <= 0) return seq.is_string() ? Value::String("") : seq.is_tuple() ? Value::Tuple({}) : Value::List({});
  if (seq.is_string()) {
    interpreter.CheckSize(seq.str().size() * static_cast<size_t>(times));
    std::string out;
    out.reserve(seq.str().size() * static_cast<size_t>(times));
    for (int64_t i = 0; i < times; ++i) out += seq.str();
    return Value::String(std::move(out));
  }
  interpreter.CheckSize(seq.list().size() * static_cast<size_t>(times) * sizeof(Value));
  ValueList out;
  for (int64_t i = 0; i < times; ++i) out.insert(out.end(), seq.list().begin(), seq.list().end());
  return seq.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
}

// printf-style "%s %d %r %f %%" formatting with a tuple or a single value, as in Python's str % args.
Value Format(const std::string& format, const Value& args) {
  ValueList values = args.is_tuple() ? args.list() : ValueList{args};
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out.push_back(format[i]);
      continue;
    }
    if (++i >= format.size()) ThrowError("incomplete format");
    std::string spec = "%";
    while (i < format.size() && std::string("-+ #0123456789.").find(format[i]) != std::string::npos) {
      spec.push_back(format[i++]);
    }
    if (i >= format.size()) ThrowError("incomplete format");
    char conv = format[i];
    if (conv == '%') {
      out.push_back('%');
      continue;
    }
    if (next >= values.size()) ThrowError("not enough arguments for format string");
    const Value& v = values[next++];
    char buf[512];
    if (conv == 's' || conv == 'r') {
      std::string s = conv == 's' ? ToStr(v) : Repr(v);
      if (spec == "%") {
        out += s;
        continue;
      }
      std::snprintf(buf, sizeof(buf), (spec + "s").c_str(), s.c_str());
    } else if (conv == 'd' || conv == 'i') {
      if (!v.is_number()) ThrowError("%d format: a real number is required, not " + TypeName(v));
      int64_t x = v.kind() == Kind::kFloat ? static_cast<int64_t>(v.as_float()) : v.as_int();
      std::snprintf(buf, sizeof(buf), (spec + "lld").c_str(), static_cast<long long>(x));
    } else if (conv == 'f' || conv == 'e' || conv == 'g' || conv == 'F' || conv == 'E' || conv == 'G') {
      if (!v.is_number()) ThrowError("must be real number, not " + TypeName(v));
      std::snprintf(buf, sizeof(buf), (spec + conv).c_str(), v.as_float());
    } else {
      ThrowError(std::string("unsupported format character '") + conv + "'");
    }
    out += buf;
  }
  if (next < values.size() && args.is_tuple()) ThrowError("not all arguments converted during string formatting");
  return Value::String(std::move(out));
}

}  // namespace

Value BinaryOp(Interpreter& interpreter, Op op, const Value& a, const Value& b) {
  if (op == Op::kConcat) {
    std::string left = ToStr(a), right = ToStr(b);
    interpreter.CheckSize(left.size() + right.size());
    return Value::String(left + right);
  }
  if (a.is_undefined()) ThrowUndefined(a);
  if (b.is_undefined()) ThrowUndefined(b);
  if (a.is_number() && b.is_number()) {
    if (a.kind() != Kind::kFloat && b.kind() != Kind::kFloat) return IntOp(op, a.as_int(), b.as_int());
    return FloatOp(op, a.as_float(), b.as_float());
  }
  if (op == Op::kAdd) {
    if (a.is_string() && b.is_string()) {
      interpreter.CheckSize(a.str().size() + b.str().size());
      return Value::String(a.str() + b.str());
    }
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
      interpreter.CheckSize((a.list().size() + b.list().size()) * sizeof(Value));
      ValueList items = a.list();
      items.insert(items.end(), b.list().begin(), b.list().end());
      return a.is_tuple() ? Value::Tuple(std::move(items)) : Value::List(std::move(items));
    }
  }
  if (op == Op::kMul) {
    if ((a.is_string() || a.is_list()) && b.is_int()) return Repeat(interpreter, a, b.as_int());
    if (a.is_int() && (b.is_string() || b.is_list())) return Repeat(interpreter, b, a.as_int());
  }
  if (op == Op::kMod && a.is_string()) {
    Value formatted = Format(a.str(), b);
    interpreter.CheckSize(formatted.str().size());
    return formatted;
  }
  Unsupported(op, a, b);
}

Value UnaryOp(Op op, const Value& v) {
  if (op == Op::kNot) return Value::Bool(!Truthy(v));
  if (v.is_undefined()) ThrowUndefined(v);
  if (!v.is_number()) {
    ThrowError(std::string("bad operand type for unary ") + (op == Op::kNeg ? "-" : "+") + ": '" + TypeName(v) + "'");
  }
  if (v.kind() == Kind::kFloat) return Value::Float(op == Op::kNeg ? -v.as_float() : v.as_float());
  if (op == Op::kPos) return Value::Int(v.as_int());
  if (v.as_int() == INT64_MIN) ThrowError("integer overflow");
  return Value::Int(-v.as_int());
}

bool Contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Kind::kString:
      if (!item.is_string()) {
        ThrowError("'in <string>' requires string as left operand, not " + TypeName(item));
      }
      return pystr::FindBytes(container.str(), item.str(), 0) != std::string_view::npos;
    case Kind::kList:
      ChargeWork(static_cast<int64_t>(container.list().size()));
      for (const Value& v : container.list()) {
        if (Equals(v, item)) return true;
      }
      return false;
    case Kind::kDict: return container.dict().Find(item) != nullptr;
    case Kind::kUndefined: return false;  // jinja2's Undefined iterates as empty
    case Kind::kGenerator: {
      ValueList items = Iterate(container);
      return std::any_of(items.begin(), items.end(), [&](const Value& v) { return Equals(v, item); });
    }
    default: ThrowError("argument of type '" + TypeName(container) + "' is not iterable");
  }
}

}  // namespace baleen::jinja
