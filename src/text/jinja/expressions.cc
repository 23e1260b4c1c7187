// Jinja interpreter, expressions: names, attribute and item access (the sandbox's getattr/getitem order),
// slicing, calls, filters, tests and comparisons. Text layer.
#include <algorithm>

#include "text/jinja/builtins.h"
#include "text/jinja/interpreter.h"
#include "text/jinja/pystr.h"

namespace baleen::jinja {
namespace {

std::string ObjectDescription(const Value& v) {
  if (v.is_none()) return "'None'";
  std::string out = "'";
  out += TypeName(v);
  out += " object'";
  return out;
}

Value NoAttribute(const Value& obj, const std::string& attr) {
  return Value::Undefined(ObjectDescription(obj) + " has no attribute '" + attr + "'");
}

// Bound loop.cycle / loop.changed.
class LoopMethod : public Callable {
 public:
  LoopMethod(Value loop, std::string name) : loop_(std::move(loop)), name_(std::move(name)) {}
  Value Call(Interpreter& interpreter, CallArgs& args) const override {
    LoopState& state = loop_.loop();
    if (name_ == "cycle") {
      if (args.positional.empty()) ThrowError("no items for cycling given");
      return args.positional[static_cast<size_t>(state.index0) % args.positional.size()];
    }
    Value current = Value::List(args.positional);
    if (state.has_changed && Equals(state.last_changed, current)) return Value::Bool(false);
    state.last_changed = current;
    state.has_changed = true;
    return Value::Bool(true);
  }
  std::string Repr() const override { return "<bound method LoopContext." + name_ + ">"; }

 private:
  Value loop_;
  std::string name_;
};

Value LoopAttribute(const Value& loop_value, const std::string& attr) {
  const LoopState& loop = loop_value.loop();
  int64_t i = loop.index0;
  int64_t n = loop.length;
  if (attr == "index") return Value::Int(i + 1);
  if (attr == "index0") return Value::Int(i);
  if (attr == "revindex") return Value::Int(n - i);
  if (attr == "revindex0") return Value::Int(n - i - 1);
  if (attr == "first") return Value::Bool(i == 0);
  if (attr == "last") return Value::Bool(i == n - 1);
  if (attr == "length") return Value::Int(n);
  if (attr == "depth") return Value::Int(loop.depth0 + 1);
  if (attr == "depth0") return Value::Int(loop.depth0);
  if (attr == "previtem" || attr == "nextitem") {
    int64_t j = attr == "previtem" ? i - 1 : i + 1;
    if (loop.items == nullptr || j < 0 || j >= n) return Value::Undefined("there is no " + attr);
    return (*loop.items)[static_cast<size_t>(j)];
  }
  if (attr == "cycle" || attr == "changed") return Value::MakeCallable(std::make_shared<LoopMethod>(loop_value, attr));
  return NoAttribute(loop_value, attr);
}

// Python's slice.indices(): clamps start/stop for the given length and step.
void SliceIndices(int64_t length, const Value& start_v, const Value& stop_v, int64_t step, int64_t* start,
                  int64_t* stop) {
  auto adjust = [&](const Value& v, int64_t fallback) -> int64_t {
    if (v.is_none()) return fallback;
    if (!v.is_int()) ThrowError("slice indices must be integers or None or have an __index__ method");
    int64_t x = v.as_int();
    if (x < 0) {
      x += length;
      if (x < 0) x = step < 0 ? -1 : 0;
    } else if (x >= length) {
      x = step < 0 ? length - 1 : length;
    }
    return x;
  };
  *start = adjust(start_v, step < 0 ? length - 1 : 0);
  *stop = adjust(stop_v, step < 0 ? -1 : length);
}

template <typename T>
std::vector<T> SliceVector(const std::vector<T>& items, const Value& start_v, const Value& stop_v, int64_t step) {
  int64_t start, stop;
  SliceIndices(static_cast<int64_t>(items.size()), start_v, stop_v, step, &start, &stop);
  std::vector<T> out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(items[static_cast<size_t>(i)]);
  return out;
}

}  // namespace

Value Interpreter::Eval(const Expr& e) {
  try {
    return EvalInner(e);
  } catch (JinjaError& error) {
    if (error.line == 0) {
      error.line = e.pos.line;
      error.column = e.pos.column;
    }
    throw;
  }
}

Value Interpreter::EvalInner(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kConst: return e.constant;
    case ExprKind::kName: return EvalName(e);
    case ExprKind::kGetAttr: return GetAttr(Eval(*e.a), e.name);
    case ExprKind::kGetItem: {
      Value obj = Eval(*e.a);
      return GetItem(obj, Eval(*e.b));
    }
    case ExprKind::kSlice: return EvalSlice(e);
    case ExprKind::kCall: return EvalCall(e);
    case ExprKind::kFilter: return EvalFilter(e, nullptr);
    case ExprKind::kTest: {
      Value v = Eval(*e.a);
      CallArgs args = EvalArgs(e);
      bool result = ApplyTest(*this, e.name, v, args);
      return Value::Bool(e.negated ? !result : result);
    }
    case ExprKind::kUnary: return UnaryOp(e.op, Eval(*e.a));
    case ExprKind::kBinary: {
      Value left = Eval(*e.a);
      if (e.op == Op::kAnd) return Truthy(left) ? Eval(*e.b) : left;
      if (e.op == Op::kOr) return Truthy(left) ? left : Eval(*e.b);
      return BinaryOp(*this, e.op, left, Eval(*e.b));
    }
    case ExprKind::kCompare: return EvalCompare(e);
    case ExprKind::kCondExpr:
      if (Truthy(Eval(*e.a))) return Eval(*e.b);
      if (e.c != nullptr) return Eval(*e.c);
      return Value::Undefined("the inline if-expression on line " + std::to_string(e.pos.line) +
                              " evaluated to false and no else section was defined.");
    case ExprKind::kList:
    case ExprKind::kTuple: {
      ValueList items;
      items.reserve(e.args.size());
      for (const ExprPtr& item : e.args) items.push_back(Eval(*item));
      return e.kind == ExprKind::kList ? Value::List(std::move(items)) : Value::Tuple(std::move(items));
    }
    case ExprKind::kDict: {
      Dict dict;
      for (size_t i = 0; i < e.args.size(); ++i) {
        Value key = Eval(*e.args[i]);
        if (key.is_list() && !key.is_tuple()) ThrowError("unhashable type: 'list'");
        if (key.is_dict()) ThrowError("unhashable type: 'dict'");
        dict.Set(key, Eval(*e.values[i]));
      }
      return Value::MakeDict(std::move(dict));
    }
  }
  ThrowError("unknown expression");
}

Value Interpreter::EvalName(const Expr& e) {
  const Value* v = frame_->Lookup(e.name);
  if (v != nullptr) return *v;
  return Value::Undefined("'" + e.name + "' is undefined");
}

CallArgs Interpreter::EvalArgs(const Expr& e) {
  CallArgs args;
  args.positional.reserve(e.args.size());
  for (const ExprPtr& arg : e.args) args.positional.push_back(Eval(*arg));
  for (const KeywordArg& kw : e.kwargs) args.keyword.emplace_back(kw.name, Eval(*kw.value));
  return args;
}

Value Interpreter::EvalCall(const Expr& e) {
  Value callee = Eval(*e.a);
  CallArgs args = EvalArgs(e);
  return Call(callee, args);
}

Value Interpreter::EvalFilter(const Expr& e, const Value* input) {
  Value base;
  if (e.a == nullptr) {
    base = *input;
  } else if (e.a->kind == ExprKind::kFilter && input != nullptr) {
    base = EvalFilter(*e.a, input);
  } else {
    base = Eval(*e.a);
  }
  CallArgs args = EvalArgs(e);
  try {
    return ApplyFilter(*this, e.name, base, args);
  } catch (JinjaError& error) {
    if (error.line == 0) {
      error.line = e.pos.line;
      error.column = e.pos.column;
    }
    throw;
  }
}

Value Interpreter::EvalCompare(const Expr& e) {
  Value left = Eval(*e.a);
  for (const auto& [op, expr] : e.comparisons) {
    Value right = Eval(*expr);
    bool ok;
    switch (op) {
      case Op::kEq: ok = Equals(left, right); break;
      case Op::kNe: ok = !Equals(left, right); break;
      case Op::kLt: ok = Compare(left, right, "<") < 0; break;
      case Op::kLe: ok = Compare(left, right, "<=") <= 0; break;
      case Op::kGt: ok = Compare(left, right, ">") > 0; break;
      case Op::kGe: ok = Compare(left, right, ">=") >= 0; break;
      case Op::kIn: ok = Contains(right, left); break;
      case Op::kNotIn: ok = !Contains(right, left); break;
      default: ThrowError("bad comparison");
    }
    if (!ok) return Value::Bool(false);
    left = std::move(right);
  }
  return Value::Bool(true);
}

Value Interpreter::EvalSlice(const Expr& e) {
  Value obj = Eval(*e.a);
  Value start = e.slice_start ? Eval(*e.slice_start) : Value::None();
  Value stop = e.slice_stop ? Eval(*e.slice_stop) : Value::None();
  Value step_v = e.slice_step ? Eval(*e.slice_step) : Value::None();
  int64_t step = 1;
  if (!step_v.is_none()) {
    if (!step_v.is_int()) ThrowError("slice indices must be integers or None");
    step = step_v.as_int();
    if (step == 0) ThrowError("slice step cannot be zero");
  }
  if (obj.is_string()) {
    return Value::String(pystr::Encode(SliceVector(pystr::Decode(obj.str()), start, stop, step)));
  }
  if (obj.is_list()) {
    ValueList items = SliceVector(obj.list(), start, stop, step);
    return obj.is_tuple() ? Value::Tuple(std::move(items)) : Value::List(std::move(items));
  }
  if (obj.is_undefined()) ThrowUndefined(obj);
  ThrowError(Quoted(TypeName(obj)) + " object is not subscriptable");
}

Value Interpreter::GetAttr(const Value& obj, const std::string& attr) {
  switch (obj.kind()) {
    case Kind::kUndefined: ThrowUndefined(obj);
    case Kind::kLoop: return LoopAttribute(obj, attr);
    case Kind::kNamespace: {
      const Value* v = obj.ns()->attrs.FindString(attr);
      return v != nullptr ? *v : NoAttribute(obj, attr);
    }
    case Kind::kDict: {
      Value method = LookupMethod(obj, attr);
      if (!method.is_undefined() || !method.undefined_hint().empty()) return method;
      const Value* v = obj.dict().FindString(attr);
      return v != nullptr ? *v : NoAttribute(obj, attr);
    }
    case Kind::kString:
    case Kind::kList: {
      Value method = LookupMethod(obj, attr);
      return !method.is_undefined() || !method.undefined_hint().empty() ? method : NoAttribute(obj, attr);
    }
    case Kind::kInt:
    case Kind::kBool:
    case Kind::kFloat:
      if (attr == "real") return obj.kind() == Kind::kFloat ? obj : Value::Int(obj.as_int());
      if (attr == "imag") return obj.kind() == Kind::kFloat ? Value::Float(0.0) : Value::Int(0);
      return NoAttribute(obj, attr);
    default: return NoAttribute(obj, attr);
  }
}

Value Interpreter::GetItem(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Kind::kUndefined: ThrowUndefined(obj);
    case Kind::kDict: {
      if (const Value* v = obj.dict().Find(key)) return *v;
      break;
    }
    case Kind::kList:
    case Kind::kString: {
      if (!key.is_int()) break;
      int64_t i = key.as_int();
      if (obj.is_list()) {
        int64_t n = static_cast<int64_t>(obj.list().size());
        if (i < 0) i += n;
        if (i >= 0 && i < n) return obj.list()[static_cast<size_t>(i)];
      } else {
        std::vector<char32_t> cps = pystr::Decode(obj.str());
        int64_t n = static_cast<int64_t>(cps.size());
        if (i < 0) i += n;
        if (i >= 0 && i < n) return Value::String(pystr::Encode(cps[static_cast<size_t>(i)]));
      }
      return Value::Undefined(ObjectDescription(obj) + " has no element " + ToStr(key));
    }
    default: break;
  }
  // jinja2's getitem falls back to getattr for string keys: d['items'] without an 'items' key is the method.
  if (key.is_string()) {
    if (obj.is_dict()) {
      Value method = LookupMethod(obj, key.str());
      if (!method.is_undefined() || !method.undefined_hint().empty()) return method;
      return Value::Undefined(ObjectDescription(obj) + " has no attribute '" + key.str() + "'");
    }
    return GetAttr(obj, key.str());
  }
  return Value::Undefined(ObjectDescription(obj) + " has no element " + Repr(key));
}

}  // namespace baleen::jinja
