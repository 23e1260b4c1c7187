// Jinja filters, ported from jinja2/filters.py (3.1) with Hugging Face's tojson. Text layer.
// Generators (select, map, reverse, ...) return lists: the output is the same wherever jinja2 would print the
// items, and templates consume them through |list, |join or a for loop.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>

#include "text/jinja/builtins.h"
#include "text/jinja/pystr.h"

namespace baleen::jinja {
namespace {

using FilterFn = Value (*)(Interpreter&, const Value&, CallArgs&);

const Value kNone = Value::None();
const Value kFalse = Value::Bool(false);

// jinja2's soft_str: str(value); Undefined is "".
std::string S(const Value& v) { return ToStr(v); }

int64_t IntParam(const Value& v, const char* what) {
  if (!v.is_int()) ThrowError(std::string(what) + " must be an integer, not " + TypeName(v));
  return v.as_int();
}

// make_attrgetter: "a.b.0" -> getitem(getitem(getitem(x, 'a'), 'b'), 0).
Value GetPath(Interpreter& in, const Value& item, const Value& attribute) {
  if (attribute.is_int()) return in.GetItem(item, attribute);
  std::string path = S(attribute);
  Value v = item;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool digits = !part.empty() && part.size() < 18 &&
                  std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    v = in.GetItem(v, digits ? Value::Int(std::strtoll(part.c_str(), nullptr, 10)) : Value::String(part));
    if (dot == std::string::npos) return v;
    start = dot + 1;
  }
}

// Sort/unique key: attribute lookup, then lower-casing of strings unless case_sensitive.
Value Key(Interpreter& in, const Value& item, const Value& attribute, bool case_sensitive) {
  Value v = attribute.is_none() ? item : GetPath(in, item, attribute);
  if (!case_sensitive && v.is_string()) return Value::String(pystr::Lower(v.str()));
  return v;
}

Value Abs(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("abs", args, {});
  if (!v.is_number()) ThrowError("bad operand type for abs(): '" + TypeName(v) + "'");
  if (v.kind() == Kind::kFloat) return Value::Float(std::fabs(v.as_float()));
  if (v.as_int() == INT64_MIN) ThrowError("integer overflow");
  return Value::Int(std::llabs(v.as_int()));
}

// Real attributes only: unlike `.name`, |attr never falls back to item lookup.
Value Attr(Interpreter& in, const Value& v, CallArgs& args) {
  ArgBinder a("attr", args, {"name"});
  std::string name = S(a.Get(0, kNone));
  if (v.is_dict()) {
    Value method = LookupMethod(v, name);
    return method.is_undefined() && method.undefined_hint().empty()
               ? Value::Undefined("'dict object' has no attribute '" + name + "'")
               : method;
  }
  return in.GetAttr(v, name);
}

Value Batch(Interpreter& in, const Value& v, CallArgs& args) {
  ArgBinder a("batch", args, {"linecount", "fill_with"});
  int64_t n = IntParam(a.Get(0, kNone), "linecount");
  if (n <= 0) ThrowError("batch linecount must be positive");
  ValueList items = Iterate(v), out, tmp;
  in.Tick(static_cast<int64_t>(items.size()));
  for (Value& item : items) {
    tmp.push_back(std::move(item));
    if (static_cast<int64_t>(tmp.size()) == n) out.push_back(Value::List(std::exchange(tmp, {})));
  }
  if (!tmp.empty()) {
    if (a.Has(1)) {
      while (static_cast<int64_t>(tmp.size()) < n) tmp.push_back(a.Get(1, kNone));
    }
    out.push_back(Value::List(std::move(tmp)));
  }
  return Value::Generator(std::move(out));
}

Value Capitalize(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("capitalize", args, {});
  return Value::String(pystr::Capitalize(S(v)));
}

Value Center(Interpreter& in, const Value& v, CallArgs& args) {
  ArgBinder a("center", args, {"width"});
  std::string s = S(v);
  int64_t width = IntParam(a.Get(0, Value::Int(80)), "width");
  int64_t len = static_cast<int64_t>(pystr::Length(s));
  if (width <= len) return Value::String(s);
  in.CheckSize(static_cast<size_t>(width));
  int64_t pad = width - len;
  int64_t left = pad / 2 + (pad & width & 1);
  return Value::String(std::string(static_cast<size_t>(left), ' ') + s + std::string(static_cast<size_t>(pad - left), ' '));
}

Value Default(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("default", args, {"default_value", "boolean"});
  bool boolean = Truthy(a.Get(1, kFalse));
  if (v.is_undefined() || (boolean && !Truthy(v))) return a.Get(0, Value::String(""));
  return v;
}

Value DictSort(Interpreter& in, const Value& v, CallArgs& args) {
  ArgBinder a("dictsort", args, {"case_sensitive", "by", "reverse"});
  if (!v.is_dict()) ThrowError("You can only sort by either \"key\" or \"value\"");
  bool case_sensitive = Truthy(a.Get(0, kFalse));
  std::string by = S(a.Get(1, Value::String("key")));
  if (by != "key" && by != "value") ThrowError("You can only sort by either \"key\" or \"value\"");
  bool reverse = Truthy(a.Get(2, kFalse));
  ValueList items;
  for (const auto& [key, value] : v.dict().items()) items.push_back(Value::Tuple({key, value}));
  in.Tick(static_cast<int64_t>(items.size()));
  size_t pos = by == "key" ? 0 : 1;
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    int c = Compare(Key(in, x.list()[pos], kNone, case_sensitive), Key(in, y.list()[pos], kNone, case_sensitive), "<");
    return reverse ? c > 0 : c < 0;
  });
  return Value::List(std::move(items));
}

Value Escape(Interpreter& in, const Value& v, CallArgs& args) {
  ArgBinder a("escape", args, {});
  std::string out;
  for (char c : S(v)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  in.CheckSize(out.size());
  return Value::String(std::move(out));
}

Value First(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("first", args, {});
  if (v.is_list()) return v.list().empty() ? Value::Undefined("No first item, sequence was empty.") : v.list().front();
  ValueList items = Iterate(v);
  return items.empty() ? Value::Undefined("No first item, sequence was empty.") : items.front();
}

Value Last(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("last", args, {});
  if (v.is_undefined()) return v;
  if (v.kind() == Kind::kGenerator) ThrowError(Quoted(TypeName(v)) + " object is not reversible");
  ValueList items = Iterate(v);
  return items.empty() ? Value::Undefined("No last item, sequence was empty.") : items.back();
}

// Python float(str): optional whitespace, sign, digits, inf/nan; underscores between digits.
bool ParseFloat(std::string s, double* out) {
  s = pystr::Strip(s, nullptr, true, true);
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
        std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      continue;
    }
    clean.push_back(s[i]);
  }
  if (clean.empty() || clean.find_first_not_of("0123456789+-.eEinfatyINFATY") != std::string::npos) return false;
  std::string lower = pystr::Lower(clean);
  std::string body = lower[0] == '+' || lower[0] == '-' ? lower.substr(1) : lower;
  if (body == "inf" || body == "infinity" || body == "nan") {
    double x = body == "nan" ? NAN : INFINITY;
    *out = lower[0] == '-' ? -x : x;
    return true;
  }
  if (body.find_first_not_of("0123456789.e+-") != std::string::npos) return false;
  char* end = nullptr;
  *out = std::strtod(clean.c_str(), &end);
  bool has_digit = body.find_first_of("0123456789") != std::string::npos;
  return has_digit && end == clean.c_str() + clean.size();
}

Value FloatFilter(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("float", args, {"default"});
  if (v.is_number()) return Value::Float(v.as_float());
  double x;
  if (v.is_string() && ParseFloat(v.str(), &x)) return Value::Float(x);
  return a.Get(0, Value::Float(0.0));
}

Value IntFilter(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("int", args, {"default", "base"});
  if (v.is_int()) return Value::Int(v.as_int());
  if (v.kind() == Kind::kFloat) {
    double f = v.as_float();
    if (std::isnan(f) || std::isinf(f)) ThrowError("cannot convert float to integer");
    if (std::fabs(f) >= 9.2e18) ThrowError("integer overflow");
    return Value::Int(static_cast<int64_t>(f));
  }
  if (v.is_string()) {
    int64_t base = IntParam(a.Get(1, Value::Int(10)), "base");
    std::string s = pystr::Strip(v.str(), nullptr, true, true);
    std::string digits;
    for (char c : s) {
      if (c != '_') digits.push_back(c);
    }
    char* end = nullptr;
    errno = 0;
    long long x = digits.empty() || base < 2 || base > 36 ? 0 : std::strtoll(digits.c_str(), &end, static_cast<int>(base));
    if (!digits.empty() && end == digits.c_str() + digits.size() && errno == 0) return Value::Int(x);
    double f;
    if (ParseFloat(v.str(), &f) && !std::isnan(f) && !std::isinf(f) && std::fabs(f) < 9.2e18) {
      return Value::Int(static_cast<int64_t>(f));
    }
  }
  return a.Get(0, Value::Int(0));
}

Value Indent(Interpreter& in, const Value& v, CallArgs& args) {
  ArgBinder a("indent", args, {"width", "first", "blank"});
  if (v.is_undefined()) ThrowUndefined(v);
  if (!v.is_string()) ThrowError("unsupported operand type(s) for +=: '" + TypeName(v) + "' and 'str'");
  Value width = a.Get(0, Value::Int(4));
  std::string indention = width.is_string() ? width.str() : std::string(static_cast<size_t>(std::max<int64_t>(0, std::min<int64_t>(IntParam(width, "width"), 4096))), ' ');
  std::string s = S(v) + "\n";  // jinja2's quirk so that splitlines keeps a trailing empty line
  std::vector<std::string> lines = pystr::SplitLines(s, false);
  std::string rv;
  bool blank = Truthy(a.Get(2, kFalse));
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      rv += "\n";
      if (blank || !lines[i].empty()) rv += indention;
    }
    rv += lines[i];
    in.CheckSize(rv.size());
  }
  if (Truthy(a.Get(1, kFalse))) rv = indention + rv;
  in.CheckSize(rv.size());
  return Value::String(std::move(rv));
}

Value Items(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("items", args, {});
  if (v.is_undefined()) return Value::Generator({});
  if (!v.is_dict()) ThrowError("Can only get item pairs from a mapping.");
  ValueList out;
  for (const auto& [key, value] : v.dict().items()) out.push_back(Value::Tuple({key, value}));
  return Value::Generator(std::move(out));
}

Value Join(Interpreter& in, const Value& v, CallArgs& args) {
  ArgBinder a("join", args, {"d", "attribute"});
  std::string sep = S(a.Get(0, Value::String("")));
  Value attribute = a.Get(1, kNone);
  std::string out;
  bool first = true;
  for (const Value& item : Iterate(v)) {
    if (!first) out += sep;
    first = false;
    out += S(attribute.is_none() ? item : GetPath(in, item, attribute));
    in.CheckSize(out.size());
  }
  return Value::String(std::move(out));
}

Value Length(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("length", args, {});
  switch (v.kind()) {
    case Kind::kString: return Value::Int(static_cast<int64_t>(pystr::Length(v.str())));
    case Kind::kList: return Value::Int(static_cast<int64_t>(v.list().size()));
    case Kind::kDict: return Value::Int(static_cast<int64_t>(v.dict().size()));
    case Kind::kUndefined: return Value::Int(0);
    default: ThrowError("object of type '" + TypeName(v) + "' has no len()");
  }
}

Value ListFilter(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("list", args, {});
  return Value::List(Iterate(v));
}

Value Lower(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("lower", args, {});
  return Value::String(pystr::Lower(S(v)));
}

Value Upper(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("upper", args, {});
  return Value::String(pystr::Upper(S(v)));
}

Value Map(Interpreter& in, const Value& v, CallArgs& args) {
  ValueList items = Iterate(v);
  ValueList out;
  in.Tick(static_cast<int64_t>(items.size()));
  if (args.positional.empty()) {  // map(attribute=..., default=...)
    ArgBinder a("map", args, {"attribute", "default"});
    if (!a.Has(0)) return Value::Generator(std::move(items));
    for (const Value& item : items) {
      Value x = GetPath(in, item, a.Get(0, kNone));
      out.push_back(x.is_undefined() && a.Has(1) ? a.Get(1, kNone) : x);
    }
    return Value::Generator(std::move(out));
  }
  std::string name = S(args.positional[0]);
  if (!items.empty() && !IsKnownFilter(name)) ThrowError("No filter named '" + name + "'.");
  for (const Value& item : items) {
    CallArgs rest;
    rest.positional.assign(args.positional.begin() + 1, args.positional.end());
    rest.keyword = args.keyword;
    out.push_back(ApplyFilter(in, name, item, rest));
  }
  return Value::Generator(std::move(out));
}

Value MinMax(Interpreter& in, const Value& v, CallArgs& args, bool want_max) {
  ArgBinder a(want_max ? "max" : "min", args, {"case_sensitive", "attribute"});
  bool case_sensitive = Truthy(a.Get(0, kFalse));
  Value attribute = a.Get(1, kNone);
  ValueList items = Iterate(v);
  if (items.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
  in.Tick(static_cast<int64_t>(items.size()));
  size_t best = 0;
  Value best_key = Key(in, items[0], attribute, case_sensitive);
  for (size_t i = 1; i < items.size(); ++i) {
    Value k = Key(in, items[i], attribute, case_sensitive);
    int c = Compare(k, best_key, want_max ? ">" : "<");
    if (want_max ? c > 0 : c < 0) {
      best = i;
      best_key = k;
    }
  }
  return items[best];
}
Value Max(Interpreter& in, const Value& v, CallArgs& args) { return MinMax(in, v, args, true); }
Value Min(Interpreter& in, const Value& v, CallArgs& args) { return MinMax(in, v, args, false); }

Value Replace(Interpreter& in, const Value& v, CallArgs& args) {
  ArgBinder a("replace", args, {"old", "new", "count"});
  if (!a.Has(0) || !a.Has(1)) ThrowError("do_replace() missing required argument 'old' or 'new'");
  Value count = a.Get(2, kNone);
  std::string s = S(v), old_sub = S(a.Get(0, kNone)), new_sub = S(a.Get(1, kNone));
  if (new_sub.size() > old_sub.size()) {
    in.CheckSize(s.size() + static_cast<size_t>(pystr::Count(s, old_sub)) * (new_sub.size() - old_sub.size()));
  }
  std::string out = pystr::Replace(s, old_sub, new_sub, count.is_none() ? -1 : IntParam(count, "count"));
  in.CheckSize(out.size());
  return Value::String(std::move(out));
}

Value Reverse(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("reverse", args, {});
  if (v.is_string()) {
    std::vector<char32_t> cps = pystr::Decode(v.str());
    std::reverse(cps.begin(), cps.end());
    return Value::String(pystr::Encode(cps));
  }
  // reversed(list) is an iterator; a generator is not reversible, so jinja2 falls back to a reversed list.
  if (v.is_undefined()) return Value::Generator({}, "reversed");
  bool iterator = v.is_list() || v.is_dict();
  ValueList items = Iterate(v);
  std::reverse(items.begin(), items.end());
  if (!iterator) return Value::List(std::move(items));
  return Value::Generator(std::move(items), v.is_dict() ? "dict_reversekeyiterator" : "list_reverseiterator");
}

// Python's round(x, n): correctly rounded, ties to even, via glibc's exact decimal conversion.
double RoundTo(double x, int64_t digits) {
  if (std::isnan(x) || std::isinf(x)) return x;
  if (digits > 300) return x;
  if (digits < -300) return 0.0 * x;
  if (digits >= 0) {
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(digits), x);
    return std::strtod(buf, nullptr);
  }
  double p = std::pow(10.0, static_cast<double>(-digits));
  return std::nearbyint(x / p) * p;
}

Value Round(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("round", args, {"precision", "method"});
  int64_t precision = IntParam(a.Get(0, Value::Int(0)), "precision");
  std::string method = S(a.Get(1, Value::String("common")));
  if (method != "common" && method != "ceil" && method != "floor") {
    ThrowError("method must be common, ceil or floor");
  }
  if (!v.is_number()) ThrowError("type " + TypeName(v) + " doesn't define __round__ method");
  if (method == "common") {
    if (v.kind() != Kind::kFloat) return Value::Int(v.as_int());
    return Value::Float(RoundTo(v.as_float(), precision));
  }
  double p = std::pow(10.0, static_cast<double>(precision));
  double x = v.as_float() * p;
  return Value::Float((method == "ceil" ? std::ceil(x) : std::floor(x)) / p);
}

Value Safe(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("safe", args, {});
  return Value::String(S(v));
}

Value SelectOrReject(Interpreter& in, const Value& v, CallArgs& args, bool by_attribute, bool select) {
  ValueList items = Iterate(v);
  in.Tick(static_cast<int64_t>(items.size()));
  size_t next = 0;
  Value attribute;
  if (by_attribute) {
    if (args.positional.empty()) ThrowError("Missing parameter for attribute name");
    attribute = args.positional[next++];
  }
  std::string test;
  if (next < args.positional.size()) test = S(args.positional[next++]);
  if (!test.empty() && !items.empty() && !IsKnownTest(test)) ThrowError("No test named '" + test + "'.");
  ValueList out;
  for (const Value& item : items) {
    Value x = by_attribute ? GetPath(in, item, attribute) : item;
    bool ok;
    if (test.empty()) {
      ok = Truthy(x);
    } else {
      CallArgs rest;
      rest.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(next), args.positional.end());
      rest.keyword = args.keyword;
      ok = ApplyTest(in, test, x, rest);
    }
    if (ok == select) out.push_back(item);
  }
  return Value::Generator(std::move(out));
}
Value Select(Interpreter& in, const Value& v, CallArgs& a) { return SelectOrReject(in, v, a, false, true); }
Value Reject(Interpreter& in, const Value& v, CallArgs& a) { return SelectOrReject(in, v, a, false, false); }
Value SelectAttr(Interpreter& in, const Value& v, CallArgs& a) { return SelectOrReject(in, v, a, true, true); }
Value RejectAttr(Interpreter& in, const Value& v, CallArgs& a) { return SelectOrReject(in, v, a, true, false); }

Value Sort(Interpreter& in, const Value& v, CallArgs& args) {
  ArgBinder a("sort", args, {"reverse", "case_sensitive", "attribute"});
  bool reverse = Truthy(a.Get(0, kFalse));
  bool case_sensitive = Truthy(a.Get(1, kFalse));
  Value attribute = a.Get(2, kNone);
  ValueList items = Iterate(v);
  in.Tick(static_cast<int64_t>(items.size()));
  std::vector<std::pair<Value, Value>> keyed;
  for (Value& item : items) keyed.emplace_back(Key(in, item, attribute, case_sensitive), std::move(item));
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    return reverse ? Compare(y.first, x.first, "<") < 0 : Compare(x.first, y.first, "<") < 0;
  });
  ValueList out;
  for (auto& [key, item] : keyed) out.push_back(std::move(item));
  return Value::List(std::move(out));
}

Value StringFilter(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("string", args, {});
  return Value::String(S(v));
}

Value Sum(Interpreter& in, const Value& v, CallArgs& args) {
  ArgBinder a("sum", args, {"attribute", "start"});
  Value attribute = a.Get(0, kNone);
  Value total = a.Get(1, Value::Int(0));
  for (const Value& item : Iterate(v)) {
    total = BinaryOp(in, Op::kAdd, total, attribute.is_none() ? item : GetPath(in, item, attribute));
  }
  return total;
}

Value Title(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("title", args, {});
  // jinja2 splits on ([-\s({\[<]+) and capitalizes each piece.
  std::string out;
  bool word_start = true;
  for (char32_t c : pystr::Decode(S(v))) {
    bool delimiter = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || pystr::IsSpace(c);
    if (delimiter) {
      pystr::AppendUtf8(c, &out);
      word_start = true;
      continue;
    }
    pystr::AppendUtf8(word_start ? pystr::ToUpper(c) : pystr::ToLower(c), &out);
    word_start = false;
  }
  return Value::String(std::move(out));
}

// Hugging Face's tojson: json.dumps(x, ensure_ascii=False, indent=indent, separators=..., sort_keys=...).
Value ToJsonFilter(Interpreter& in, const Value& v, CallArgs& args) {
  ArgBinder a("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonOptions options;
  options.ensure_ascii = Truthy(a.Get(0, kFalse));
  Value indent = a.Get(1, kNone);
  if (!indent.is_none()) {
    options.has_indent = true;
    options.indent_str = indent.is_string() ? indent.str()
                                            : std::string(static_cast<size_t>(std::clamp<int64_t>(IntParam(indent, "indent"), 0, 256)), ' ');
    options.item_separator = ",";
  }
  Value separators = a.Get(2, kNone);
  if (!separators.is_none()) {
    if (!separators.is_list() || separators.list().size() != 2) ThrowError("separators must be a pair of strings");
    options.item_separator = S(separators.list()[0]);
    options.key_separator = S(separators.list()[1]);
  }
  options.sort_keys = Truthy(a.Get(3, kFalse));
  options.max_bytes = in.limits().max_output_bytes;
  std::string out = ToJson(v, options);
  in.CheckSize(out.size());
  return Value::String(std::move(out));
}

Value Trim(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("trim", args, {"chars"});
  Value chars = a.Get(0, kNone);
  std::string set = chars.is_none() ? "" : S(chars);
  return Value::String(pystr::Strip(S(v), chars.is_none() ? nullptr : &set, true, true));
}

Value Unique(Interpreter& in, const Value& v, CallArgs& args) {
  ArgBinder a("unique", args, {"case_sensitive", "attribute"});
  bool case_sensitive = Truthy(a.Get(0, kFalse));
  Value attribute = a.Get(1, kNone);
  ValueList seen, out;
  for (const Value& item : Iterate(v)) {
    Value key = Key(in, item, attribute, case_sensitive);
    if (key.is_dict() || (key.is_list() && !key.is_tuple())) ThrowError("unhashable type: '" + TypeName(key) + "'");
    in.Tick(static_cast<int64_t>(seen.size()) / 64 + 1);
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return Equals(s, key); })) continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return Value::Generator(std::move(out));
}

Value WordCount(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("wordcount", args, {});
  int64_t count = 0;
  bool in_word = false;
  for (char32_t c : pystr::Decode(S(v))) {
    bool word = pystr::IsAlnum(c) || c == '_';
    if (word && !in_word) ++count;
    in_word = word;
  }
  return Value::Int(count);
}

Value FormatFilter(Interpreter& in, const Value& v, CallArgs& args) {
  if (!args.keyword.empty() && !args.positional.empty()) ThrowError("can't handle positional and keyword arguments at the same time");
  return BinaryOp(in, Op::kMod, Value::String(S(v)), Value::Tuple(args.positional));
}

const std::map<std::string, FilterFn, std::less<>>& Filters() {
  static const auto* filters = new std::map<std::string, FilterFn, std::less<>>{
      {"abs", Abs}, {"attr", Attr}, {"batch", Batch}, {"capitalize", Capitalize}, {"center", Center},
      {"count", Length}, {"d", Default}, {"default", Default}, {"dictsort", DictSort}, {"e", Escape},
      {"escape", Escape}, {"first", First}, {"float", FloatFilter}, {"forceescape", Escape},
      {"format", FormatFilter}, {"indent", Indent}, {"int", IntFilter}, {"items", Items}, {"join", Join},
      {"last", Last}, {"length", Length}, {"list", ListFilter}, {"lower", Lower}, {"map", Map}, {"max", Max},
      {"min", Min}, {"reject", Reject}, {"rejectattr", RejectAttr}, {"replace", Replace}, {"reverse", Reverse},
      {"round", Round}, {"safe", Safe}, {"select", Select}, {"selectattr", SelectAttr}, {"sort", Sort},
      {"string", StringFilter}, {"sum", Sum}, {"title", Title}, {"tojson", ToJsonFilter}, {"trim", Trim},
      {"unique", Unique}, {"upper", Upper}, {"wordcount", WordCount},
  };
  return *filters;
}

}  // namespace

bool IsKnownFilter(std::string_view name) { return Filters().find(name) != Filters().end(); }

Value ApplyFilter(Interpreter& interpreter, const std::string& name, const Value& input, CallArgs& args) {
  auto it = Filters().find(name);
  if (it == Filters().end()) ThrowError("No filter named '" + name + "'.");
  interpreter.Tick();
  return it->second(interpreter, input, args);
}

}  // namespace baleen::jinja
