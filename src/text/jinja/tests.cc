// Jinja tests (`x is defined`, `x is string`, ...), ported from jinja2/tests.py. Text layer.
#include <cmath>
#include <functional>
#include <map>

#include "text/jinja/builtins.h"
#include "text/jinja/pystr.h"

namespace baleen::jinja {
namespace {

using TestFn = bool (*)(Interpreter&, const Value&, CallArgs&);

Value Arg(CallArgs& args, const char* test) {
  ArgBinder a(test, args, {"other"});
  if (!a.Has(0)) ThrowError(std::string(test) + "() missing 1 required positional argument");
  return a.Get(0, Value::None());
}

void NoArgs(CallArgs& args, const char* test) { ArgBinder a(test, args, {}); }

bool Defined(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "defined"); return !v.is_undefined(); }
bool Undefined(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "undefined"); return v.is_undefined(); }
bool None(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "none"); return v.is_none(); }
bool Boolean(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "boolean"); return v.kind() == Kind::kBool; }
bool False(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "false"); return v.kind() == Kind::kBool && !v.as_bool(); }
bool True(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "true"); return v.kind() == Kind::kBool && v.as_bool(); }
bool Integer(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "integer"); return v.kind() == Kind::kInt; }
bool Float(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "float"); return v.kind() == Kind::kFloat; }
bool Number(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "number"); return v.is_number(); }
bool String(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "string"); return v.is_string(); }
bool Mapping(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "mapping"); return v.is_dict(); }
bool Escaped(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "escaped"); return false; }

// jinja2's Undefined has __iter__, __len__, __getitem__ and __call__, so it passes these tests.
bool Iterable(Interpreter&, const Value& v, CallArgs& a) {
  NoArgs(a, "iterable");
  return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined() || v.kind() == Kind::kGenerator;
}
bool Sequence(Interpreter&, const Value& v, CallArgs& a) {
  NoArgs(a, "sequence");
  return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
}
bool CallableTest(Interpreter&, const Value& v, CallArgs& a) {
  NoArgs(a, "callable");
  return v.kind() == Kind::kCallable || v.is_undefined();
}

int64_t Modulo(Interpreter& in, const Value& v, const Value& n) {
  Value r = BinaryOp(in, Op::kMod, v, n);
  return r.kind() == Kind::kFloat ? (r.as_float() == 0 ? 0 : 1) : r.as_int();
}
bool Odd(Interpreter& in, const Value& v, CallArgs& a) { NoArgs(a, "odd"); return Modulo(in, v, Value::Int(2)) == 1; }
bool Even(Interpreter& in, const Value& v, CallArgs& a) { NoArgs(a, "even"); return Modulo(in, v, Value::Int(2)) == 0; }
bool DivisibleBy(Interpreter& in, const Value& v, CallArgs& a) {
  return Modulo(in, v, Arg(a, "divisibleby")) == 0;
}

bool Eq(Interpreter&, const Value& v, CallArgs& a) { return Equals(v, Arg(a, "eq")); }
bool Ne(Interpreter&, const Value& v, CallArgs& a) { return !Equals(v, Arg(a, "ne")); }
bool Lt(Interpreter&, const Value& v, CallArgs& a) { return Compare(v, Arg(a, "lt"), "<") < 0; }
bool Le(Interpreter&, const Value& v, CallArgs& a) { return Compare(v, Arg(a, "le"), "<=") <= 0; }
bool Gt(Interpreter&, const Value& v, CallArgs& a) { return Compare(v, Arg(a, "gt"), ">") > 0; }
bool Ge(Interpreter&, const Value& v, CallArgs& a) { return Compare(v, Arg(a, "ge"), ">=") >= 0; }
bool In(Interpreter&, const Value& v, CallArgs& a) { return Contains(Arg(a, "in"), v); }

bool SameAs(Interpreter&, const Value& v, CallArgs& a) {
  Value other = Arg(a, "sameas");
  if (v.kind() != other.kind()) return false;
  switch (v.kind()) {
    case Kind::kNone:
    case Kind::kUndefined: return true;
    case Kind::kBool: return v.as_bool() == other.as_bool();
    case Kind::kInt: return v.as_int() == other.as_int() && v.as_int() >= -5 && v.as_int() <= 256;  // CPython's cache
    case Kind::kString: return &v.str() == &other.str();
    case Kind::kList: return &v.list() == &other.list();
    case Kind::kDict: return &v.dict() == &other.dict();
    default: return Equals(v, other);
  }
}

bool Lower(Interpreter&, const Value& v, CallArgs& a) {
  NoArgs(a, "lower");
  bool cased = false;
  for (char32_t c : pystr::Decode(ToStr(v))) {
    if (pystr::IsUpper(c)) return false;
    cased = cased || pystr::IsLower(c);
  }
  return cased;
}

bool Upper(Interpreter&, const Value& v, CallArgs& a) {
  NoArgs(a, "upper");
  bool cased = false;
  for (char32_t c : pystr::Decode(ToStr(v))) {
    if (pystr::IsLower(c)) return false;
    cased = cased || pystr::IsUpper(c);
  }
  return cased;
}

bool FilterTest(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "filter"); return v.is_string() && IsKnownFilter(v.str()); }
bool TestTest(Interpreter&, const Value& v, CallArgs& a) { NoArgs(a, "test"); return v.is_string() && IsKnownTest(v.str()); }

const std::map<std::string, TestFn, std::less<>>& Tests() {
  static const auto* tests = new std::map<std::string, TestFn, std::less<>>{
      {"boolean", Boolean}, {"callable", CallableTest}, {"defined", Defined}, {"divisibleby", DivisibleBy},
      {"eq", Eq}, {"equalto", Eq}, {"==", Eq}, {"escaped", Escaped}, {"even", Even}, {"false", False},
      {"filter", FilterTest}, {"float", Float}, {"ge", Ge}, {">=", Ge}, {"gt", Gt}, {">", Gt},
      {"greaterthan", Gt}, {"in", In}, {"integer", Integer}, {"iterable", Iterable}, {"le", Le}, {"<=", Le},
      {"lower", Lower}, {"lessthan", Lt}, {"lt", Lt}, {"<", Lt}, {"mapping", Mapping}, {"ne", Ne}, {"!=", Ne},
      {"none", None}, {"number", Number}, {"odd", Odd}, {"sameas", SameAs}, {"sequence", Sequence},
      {"string", String}, {"test", TestTest}, {"true", True}, {"undefined", Undefined}, {"upper", Upper},
  };
  return *tests;
}

}  // namespace

bool IsKnownTest(std::string_view name) { return Tests().find(name) != Tests().end(); }

bool ApplyTest(Interpreter& interpreter, const std::string& name, const Value& input, CallArgs& args) {
  auto it = Tests().find(name);
  if (it == Tests().end()) ThrowError("No test named '" + name + "'.");
  return it->second(interpreter, input, args);
}

}  // namespace baleen::jinja
