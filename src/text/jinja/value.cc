// Template values with Python semantics: construction, truthiness, str()/repr(), equality and ordering.
// Text layer, Jinja interpreter.
#include "text/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "text/jinja/budget.h"
#include "text/jinja/pystr.h"

namespace baleen::jinja {
namespace {

constexpr int kMaxReprDepth = 512;  // namespaces can chain beyond kMaxNesting; printing stops here
constexpr size_t kMaxReprBytes = 64 << 20;  // shared sublists can make a small value print enormous

int ChildDepth(const ValueList& items) {
  int depth = 0;
  for (const Value& v : items) depth = std::max(depth, v.depth());
  return depth;
}

void CheckDepth(int depth) {
  if (depth > Value::kMaxNesting) ThrowError("value nested more than 256 levels deep");
}

std::string ReprImpl(const Value& v, int depth, std::vector<const Namespace*>* active);

std::string ReprSequence(const ValueList& items, bool tuple, int depth, std::vector<const Namespace*>* active) {
  std::string out = tuple ? "(" : "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += ReprImpl(items[i], depth + 1, active);
    if (out.size() > kMaxReprBytes) ThrowError("value too large to print");
  }
  if (tuple && items.size() == 1) out += ",";
  out += tuple ? ")" : "]";
  return out;
}

std::string ReprDict(const Dict& dict, int depth, std::vector<const Namespace*>* active) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : dict.items()) {
    if (!first) out += ", ";
    first = false;
    out += ReprImpl(key, depth + 1, active);
    out += ": ";
    out += ReprImpl(value, depth + 1, active);
    if (out.size() > kMaxReprBytes) ThrowError("value too large to print");
  }
  return out + "}";
}

std::string ReprImpl(const Value& v, int depth, std::vector<const Namespace*>* active) {
  if (depth > kMaxReprDepth) ThrowError("value nested too deeply to print");
  ChargeWork(1);
  switch (v.kind()) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kString: return pystr::Repr(v.str());
    case Kind::kList: return ReprSequence(v.list(), v.is_tuple(), depth, active);
    case Kind::kDict: return ReprDict(v.dict(), depth, active);
    case Kind::kNamespace: {
      // Python's dict repr guards against recursion and prints {...}; so do we.
      if (std::find(active->begin(), active->end(), v.ns()) != active->end()) return "<Namespace {...}>";
      active->push_back(v.ns());
      std::string out = "<Namespace " + ReprDict(v.ns()->attrs, depth, active) + ">";
      active->pop_back();
      return out;
    }
    default: return ToStr(v);
  }
}

}  // namespace

void ThrowError(std::string message) { throw JinjaError{std::move(message)}; }

std::string Quoted(std::string_view s) {
  std::string out = "'";
  out += s;
  out += "'";
  return out;
}

void ThrowUndefined(const Value& v) {
  std::string hint = v.undefined_hint();
  ThrowError(hint.empty() ? "value is undefined" : hint);
}

Value Value::Undefined(std::string hint) {
  Value v;
  if (!hint.empty()) v.payload_ = std::make_shared<const std::string>(std::move(hint));
  return v;
}
Value Value::None() { return Value(Kind::kNone, {}); }
Value Value::Bool(bool b) { return Value(Kind::kBool, b); }
Value Value::Int(int64_t i) { return Value(Kind::kInt, i); }
Value Value::Float(double f) { return Value(Kind::kFloat, f); }
Value Value::String(std::string s) { return Value(Kind::kString, std::make_shared<const std::string>(std::move(s))); }
Value Value::List(ValueList items) {
  const int depth = 1 + ChildDepth(items);
  CheckDepth(depth);
  return Value(Kind::kList, std::make_shared<const ValueList>(std::move(items)), depth);
}
Value Value::Tuple(ValueList items) {
  Value v = List(std::move(items));
  v.is_tuple_ = true;
  return v;
}
Value Value::MakeDict(Dict dict) {
  const int depth = dict.depth();
  return Value(Kind::kDict, std::make_shared<const Dict>(std::move(dict)), depth);
}
Value Value::MakeNamespace(Namespace* ns) { return Value(Kind::kNamespace, ns); }
Value Value::MakeCallable(std::shared_ptr<const Callable> callable) {
  return Value(Kind::kCallable, std::move(callable));
}
Value Value::Loop(std::shared_ptr<LoopState> loop) { return Value(Kind::kLoop, std::move(loop)); }

Value Value::Generator(ValueList items, const char* type_name) {
  const int depth = 1 + ChildDepth(items);
  CheckDepth(depth);
  auto state = std::make_shared<GeneratorState>();
  state->items = std::move(items);
  state->type_name = type_name;
  return Value(Kind::kGenerator, std::move(state), depth);
}

int64_t Value::as_int() const { return kind_ == Kind::kBool ? (as_bool() ? 1 : 0) : std::get<int64_t>(payload_); }

double Value::as_float() const {
  return kind_ == Kind::kFloat ? std::get<double>(payload_) : static_cast<double>(as_int());
}

std::string Value::undefined_hint() const {
  if (const auto* p = std::get_if<StrPtr>(&payload_)) return **p;
  return {};
}

const Value* Dict::Find(const Value& key) const {
  if (key.is_string()) return FindString(key.str());
  for (const auto& [k, v] : items_) {
    if (Equals(k, key)) return &v;
  }
  return nullptr;
}

const Value* Dict::FindString(std::string_view key) const {
  auto it = string_index_.find(std::string(key));
  return it == string_index_.end() ? nullptr : &items_[it->second].second;
}

void Dict::Set(const Value& key, Value value) {
  int depth = 1 + std::max(key.depth(), value.depth());
  CheckDepth(depth);
  depth_ = std::max(depth_, depth);
  if (key.is_string()) {
    auto [it, inserted] = string_index_.emplace(key.str(), items_.size());
    if (!inserted) {
      items_[it->second].second = std::move(value);
      return;
    }
    items_.emplace_back(key, std::move(value));
    return;
  }
  for (auto& [k, v] : items_) {
    if (Equals(k, key)) {
      v = std::move(value);
      return;
    }
  }
  items_.emplace_back(key, std::move(value));
}

bool Truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kNone: return false;
    case Kind::kBool: return v.as_bool();
    case Kind::kInt: return v.as_int() != 0;
    case Kind::kFloat: return v.as_float() != 0.0;
    case Kind::kString: return !v.str().empty();
    case Kind::kList: return !v.list().empty();
    case Kind::kDict: return !v.dict().empty();
    default: return true;
  }
}

std::string FormatFloat(double f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
  // Shortest round-trip digits, then CPython's float_repr_style='short' layout: fixed notation when the
  // decimal exponent is in [-4, 16), otherwise d.ddde+XX.
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  std::string sci(buf, result.ptr);
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t e_pos = sci.find('e');
  std::string digits = sci.substr(0, e_pos);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  int exponent = std::stoi(sci.substr(e_pos + 1));
  int decpt = exponent + 1;
  std::string out = negative ? "-" : "";
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0." + std::string(static_cast<size_t>(-decpt), '0') + digits;
    } else if (static_cast<size_t>(decpt) >= digits.size()) {
      out += digits + std::string(static_cast<size_t>(decpt) - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(decpt)) + "." + digits.substr(static_cast<size_t>(decpt));
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) {
    out += ".";
    out += digits.substr(1);
  }
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out + exp_buf;
}

std::string ToStr(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined: return "";
    case Kind::kNone: return "None";
    case Kind::kBool: return v.as_bool() ? "True" : "False";
    case Kind::kInt: return std::to_string(v.as_int());
    case Kind::kFloat: return FormatFloat(v.as_float());
    case Kind::kString: return v.str();
    case Kind::kCallable: return v.callable().Repr();
    case Kind::kLoop: return "<LoopContext " + std::to_string(v.loop().index0 + 1) + "/" +
                             std::to_string(v.loop().length) + ">";
    case Kind::kGenerator: {  // CPython prints an address here; no output can match it byte for byte
      std::string out = "<";
      out += v.generator().type_name;
      out += " object>";
      return out;
    }
    default: return Repr(v);
  }
}

std::string Repr(const Value& v) {
  std::vector<const Namespace*> active;
  return ReprImpl(v, 0, &active);
}

std::string TypeName(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kList: return v.is_tuple() ? "tuple" : "list";
    case Kind::kDict: return "dict";
    case Kind::kNamespace: return "Namespace";
    case Kind::kCallable: return "function";
    case Kind::kLoop: return "LoopContext";
    case Kind::kGenerator: return v.generator().type_name;
  }
  return "object";
}

bool Equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind() != Kind::kFloat && b.kind() != Kind::kFloat) return a.as_int() == b.as_int();
    return a.as_float() == b.as_float();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kUndefined:
    case Kind::kNone: return true;
    case Kind::kString: return a.str() == b.str();
    case Kind::kList: {
      if (a.is_tuple() != b.is_tuple() || a.list().size() != b.list().size()) return false;
      if (&a.list() == &b.list()) return true;  // Python compares identical items as equal without recursing
      ChargeWork(static_cast<int64_t>(a.list().size()));
      for (size_t i = 0; i < a.list().size(); ++i) {
        if (!Equals(a.list()[i], b.list()[i])) return false;
      }
      return true;
    }
    case Kind::kDict: {
      if (a.dict().size() != b.dict().size()) return false;
      if (&a.dict() == &b.dict()) return true;
      ChargeWork(static_cast<int64_t>(a.dict().size()));
      for (const auto& [key, value] : a.dict().items()) {
        const Value* other = b.dict().Find(key);
        if (other == nullptr || !Equals(value, *other)) return false;
      }
      return true;
    }
    case Kind::kNamespace: return a.ns() == b.ns();
    case Kind::kCallable: return &a.callable() == &b.callable();
    case Kind::kLoop: return &a.loop() == &b.loop();
    case Kind::kGenerator: return &a.generator() == &b.generator();
    default: return false;
  }
}

int Compare(const Value& a, const Value& b, const char* op) {
  if (a.is_undefined()) ThrowUndefined(a);
  if (b.is_undefined()) ThrowUndefined(b);
  if (a.is_number() && b.is_number()) {
    if (a.kind() != Kind::kFloat && b.kind() != Kind::kFloat) {
      return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
    }
    double x = a.as_float(), y = b.as_float();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    int c = a.str().compare(b.str());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const ValueList& x = a.list();
    const ValueList& y = b.list();
    ChargeWork(static_cast<int64_t>(std::min(x.size(), y.size())) + 1);
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!Equals(x[i], y[i])) return Compare(x[i], y[i], op);
    }
    return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
  }
  ThrowError(std::string("'") + op + "' not supported between instances of '" + TypeName(a) + "' and '" +
             TypeName(b) + "'");
}

}  // namespace baleen::jinja
