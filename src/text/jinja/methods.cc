// Methods of str/dict/list values (message.content.startswith(...), tool.get(...)) and the template globals
// (range, namespace, dict, raise_exception, strftime_now, joiner). Text layer. Mutating methods are refused,
// as Hugging Face's ImmutableSandboxedEnvironment refuses them.
#include <cmath>
#include <ctime>

#include "text/jinja/builtins.h"
#include "text/jinja/pystr.h"

namespace baleen::jinja {
namespace {

constexpr int64_t kMaxRange = 100000;  // jinja2.sandbox.MAX_RANGE

// Arguments that were not passed arrive as None (the ArgBinder fallback); a passed Undefined is a TypeError.
const std::string* OptionalString(const Value& v, const char* what) {
  if (v.is_none()) return nullptr;
  if (!v.is_string()) ThrowError("must be str or None, not " + TypeName(v));
  return &v.str();
}

int64_t IntArg(const Value& v, int64_t fallback) {
  if (v.is_none()) return fallback;
  if (!v.is_int()) ThrowError("'" + TypeName(v) + "' object cannot be interpreted as an integer");
  return v.as_int();
}

Value StringList(std::vector<std::string> parts) {
  ValueList items;
  items.reserve(parts.size());
  for (std::string& p : parts) items.push_back(Value::String(std::move(p)));
  return Value::List(std::move(items));
}

bool AffixMatch(const std::string& s, const Value& affix, bool prefix) {
  auto one = [&](const Value& a) {
    if (!a.is_string()) ThrowError(std::string(prefix ? "startswith" : "endswith") + " first arg must be str or a tuple of str");
    const std::string& x = a.str();
    if (x.size() > s.size()) return false;
    return prefix ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  if (affix.is_tuple()) {
    for (const Value& a : affix.list()) {
      if (one(a)) return true;
    }
    return false;
  }
  return one(affix);
}

template <typename Pred>
Value AllChars(const std::string& s, Pred pred) {
  std::vector<char32_t> cps = pystr::Decode(s);
  if (cps.empty()) return Value::Bool(false);
  for (char32_t c : cps) {
    if (!pred(c)) return Value::Bool(false);
  }
  return Value::Bool(true);
}

Value StringMethod(Interpreter& interpreter, const std::string& s, const std::string& name, CallArgs& args) {
  const Value none = Value::None();
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    ArgBinder a(name.c_str(), args, {"chars"});
    return Value::String(pystr::Strip(s, OptionalString(a.Get(0, none), name.c_str()), name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    ArgBinder a(name.c_str(), args, {"sep", "maxsplit"});
    const std::string* sep = OptionalString(a.Get(0, none), "sep");
    if (sep != nullptr && sep->empty()) ThrowError("empty separator");
    int64_t maxsplit = IntArg(a.Get(1, none), -1);
    return StringList(name == "split" ? pystr::Split(s, sep, maxsplit) : pystr::RSplit(s, sep, maxsplit));
  }
  if (name == "splitlines") {
    ArgBinder a(name.c_str(), args, {"keepends"});
    Value keepends = a.Get(0, Value::Bool(false));
    if (!keepends.is_int()) ThrowError("'" + TypeName(keepends) + "' object cannot be interpreted as an integer");
    return StringList(pystr::SplitLines(s, Truthy(keepends)));
  }
  if (name == "startswith" || name == "endswith") {
    ArgBinder a(name.c_str(), args, {"prefix"});
    if (!a.Has(0)) ThrowError(name + "() takes at least 1 argument (0 given)");
    return Value::Bool(AffixMatch(s, a.Get(0, none), name == "startswith"));
  }
  if (name == "replace") {
    ArgBinder a(name.c_str(), args, {"old", "new", "count"});
    Value old_v = a.Get(0, none);
    Value new_v = a.Get(1, none);
    if (!old_v.is_string() || !new_v.is_string()) ThrowError("replace() arguments must be str");
    if (new_v.str().size() > old_v.str().size()) {
      interpreter.CheckSize(s.size() + static_cast<size_t>(pystr::Count(s, old_v.str())) *
                                           (new_v.str().size() - old_v.str().size()));
    }
    std::string out = pystr::Replace(s, old_v.str(), new_v.str(), IntArg(a.Get(2, none), -1));
    interpreter.CheckSize(out.size());
    return Value::String(std::move(out));
  }
  if (name == "upper") return Value::String(pystr::Upper(s));
  if (name == "lower") return Value::String(pystr::Lower(s));
  if (name == "title") return Value::String(pystr::Title(s));
  if (name == "capitalize") return Value::String(pystr::Capitalize(s));
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    ArgBinder a(name.c_str(), args, {"sub"});
    Value sub = a.Get(0, none);
    if (!sub.is_string()) ThrowError("must be str, not " + TypeName(sub));
    if (name == "count") return Value::Int(pystr::Count(s, sub.str()));
    int64_t at = pystr::Find(s, sub.str(), name[0] == 'r');
    if (at < 0 && (name == "index" || name == "rindex")) ThrowError("substring not found");
    return Value::Int(at);
  }
  if (name == "join") {
    ArgBinder a(name.c_str(), args, {"iterable"});
    std::string out;
    bool first = true;
    for (const Value& item : Iterate(a.Get(0, none))) {
      if (!item.is_string()) ThrowError("sequence item: expected str instance, " + TypeName(item) + " found");
      if (!first) out += s;
      first = false;
      out += item.str();
      interpreter.CheckSize(out.size());
    }
    return Value::String(std::move(out));
  }
  if (name == "isdigit") return AllChars(s, pystr::IsDigit);
  if (name == "isalpha") return AllChars(s, pystr::IsAlpha);
  if (name == "isalnum") return AllChars(s, pystr::IsAlnum);
  if (name == "isspace") return AllChars(s, pystr::IsSpace);
  if (name == "islower" || name == "isupper") {
    bool cased = false;
    for (char32_t c : pystr::Decode(s)) {
      if (name == "islower" ? pystr::IsUpper(c) : pystr::IsLower(c)) return Value::Bool(false);
      cased = cased || pystr::IsUpper(c) || pystr::IsLower(c);
    }
    return Value::Bool(cased);
  }
  ThrowError("'str' object has no attribute '" + name + "'");
}

Value DictMethod(const Value& self, const std::string& name, CallArgs& args) {
  const Dict& d = self.dict();
  if (name == "get") {
    ArgBinder a("get", args, {"key", "default"});
    const Value* v = d.Find(a.Get(0, Value::None()));
    return v != nullptr ? *v : a.Get(1, Value::None());
  }
  ArgBinder a(name.c_str(), args, {});
  ValueList out;
  out.reserve(d.size());
  for (const auto& [key, value] : d.items()) {
    if (name == "items") out.push_back(Value::Tuple({key, value}));
    else if (name == "keys") out.push_back(key);
    else out.push_back(value);
  }
  return Value::List(std::move(out));
}

Value ListMethod(const Value& self, const std::string& name, CallArgs& args) {
  ArgBinder a(name.c_str(), args, {"value"});
  Value x = a.Get(0, Value::None());
  int64_t count = 0;
  for (size_t i = 0; i < self.list().size(); ++i) {
    if (!Equals(self.list()[i], x)) continue;
    if (name == "index") return Value::Int(static_cast<int64_t>(i));
    ++count;
  }
  if (name == "index") ThrowError(Repr(x) + " is not in list");
  return Value::Int(count);
}

class BoundMethod : public Callable {
 public:
  BoundMethod(Value self, std::string name) : self_(std::move(self)), name_(std::move(name)) {}
  Value Call(Interpreter& interpreter, CallArgs& args) const override {
    if (self_.is_string()) return StringMethod(interpreter, self_.str(), name_, args);
    if (self_.is_dict()) return DictMethod(self_, name_, args);
    return ListMethod(self_, name_, args);
  }
  std::string Repr() const override {
    return "<built-in method " + name_ + " of " + TypeName(self_) + " object>";
  }

 private:
  Value self_;
  std::string name_;
};

bool IsOneOf(const std::string& name, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (name == n) return true;
  }
  return false;
}

// A global function implemented by a plain C++ function.
class Builtin : public Callable {
 public:
  using Fn = Value (*)(Interpreter&, CallArgs&);
  Builtin(const char* name, Fn fn) : name_(name), fn_(fn) {}
  Value Call(Interpreter& interpreter, CallArgs& args) const override { return fn_(interpreter, args); }
  std::string Repr() const override { return std::string("<function ") + name_ + ">"; }

 private:
  const char* name_;
  Fn fn_;
};

Value Range(Interpreter& interpreter, CallArgs& args) {
  if (!args.keyword.empty()) ThrowError("range() takes no keyword arguments");
  const ValueList& p = args.positional;
  if (p.empty() || p.size() > 3) ThrowError("range expected 1 to 3 arguments, got " + std::to_string(p.size()));
  int64_t start = 0, stop, step = 1;
  if (p.size() == 1) {
    stop = IntArg(p[0], 0);
  } else {
    start = IntArg(p[0], 0);
    stop = IntArg(p[1], 0);
    if (p.size() == 3) step = IntArg(p[2], 1);
  }
  if (step == 0) ThrowError("range() arg 3 must not be zero");
  double count = std::max(0.0, std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step)));
  if (count > kMaxRange) {
    ThrowError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  }
  interpreter.Tick(static_cast<int64_t>(count) / 16);
  ValueList items;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) items.push_back(Value::Int(i));
  return Value::List(std::move(items));
}

void MergeMapping(const Value& v, Dict* into, const char* function) {
  if (v.is_undefined()) ThrowUndefined(v);
  if (v.is_dict()) {
    for (const auto& [key, value] : v.dict().items()) into->Set(key, value);
    return;
  }
  for (const Value& pair : Iterate(v)) {
    if (!pair.is_list() || pair.list().size() != 2) {
      ThrowError(std::string(function) + "(): sequence elements must be key/value pairs");
    }
    into->Set(pair.list()[0], pair.list()[1]);
  }
}

Value MakeNamespace(Interpreter& interpreter, CallArgs& args) {
  Namespace* ns = interpreter.NewNamespace();
  if (args.positional.size() > 1) ThrowError("namespace() takes at most one positional argument");
  if (!args.positional.empty()) MergeMapping(args.positional[0], &ns->attrs, "namespace");
  for (auto& [key, value] : args.keyword) ns->attrs.Set(Value::String(key), value);
  return Value::MakeNamespace(ns);
}

Value MakeDictGlobal(Interpreter& interpreter, CallArgs& args) {
  Dict dict;
  if (args.positional.size() > 1) ThrowError("dict expected at most 1 argument");
  if (!args.positional.empty()) MergeMapping(args.positional[0], &dict, "dict");
  for (auto& [key, value] : args.keyword) dict.Set(Value::String(key), value);
  return Value::MakeDict(std::move(dict));
}

Value RaiseException(Interpreter& interpreter, CallArgs& args) {
  ArgBinder a("raise_exception", args, {"message"});
  ThrowError(ToStr(a.Get(0, Value::String(""))));
}

Value StrftimeNow(Interpreter& interpreter, CallArgs& args) {
  ArgBinder a("strftime_now", args, {"format"});
  Value format = a.Get(0, Value::None());
  if (!format.is_string()) ThrowError("strftime() argument 1 must be str, not " + TypeName(format));
  if (format.str().size() > 256) ThrowError("strftime format too long");
  char buf[2048];
  size_t n = std::strftime(buf, sizeof(buf), format.str().c_str(), &interpreter.now());
  return Value::String(std::string(buf, n));
}

class JoinerCallable : public Callable {
 public:
  explicit JoinerCallable(std::string sep) : sep_(std::move(sep)) {}
  Value Call(Interpreter& interpreter, CallArgs& args) const override {
    if (!used_) {
      used_ = true;
      return Value::String("");
    }
    return Value::String(sep_);
  }
  std::string Repr() const override { return "<Joiner>"; }

 private:
  std::string sep_;
  mutable bool used_ = false;
};

Value MakeJoiner(Interpreter& interpreter, CallArgs& args) {
  ArgBinder a("joiner", args, {"sep"});
  return Value::MakeCallable(std::make_shared<JoinerCallable>(ToStr(a.Get(0, Value::String(", ")))));
}

}  // namespace

Value LookupMethod(const Value& obj, const std::string& name) {
  bool safe = false, unsafe = false;
  if (obj.is_string()) {
    safe = IsOneOf(name, {"strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith",
                          "replace", "upper", "lower", "title", "capitalize", "find", "rfind", "index", "rindex",
                          "count", "join", "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper"});
  } else if (obj.is_dict()) {
    safe = IsOneOf(name, {"get", "items", "keys", "values"});
    unsafe = IsOneOf(name, {"pop", "popitem", "setdefault", "update", "clear"});
  } else if (obj.is_list()) {
    safe = IsOneOf(name, {"count", "index"});
    unsafe = !obj.is_tuple() && IsOneOf(name, {"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"});
  }
  if (safe) return Value::MakeCallable(std::make_shared<BoundMethod>(obj, name));
  if (unsafe) {
    return Value::Undefined("access to attribute '" + name + "' of '" + TypeName(obj) + "' object is unsafe.");
  }
  return Value::Undefined();
}

void AddGlobals(Frame* globals) {
  auto add = [&](const char* name, Builtin::Fn fn) {
    globals->Set(name, Value::MakeCallable(std::make_shared<Builtin>(name, fn)));
  };
  add("range", Range);
  add("namespace", MakeNamespace);
  add("dict", MakeDictGlobal);
  add("raise_exception", RaiseException);
  add("strftime_now", StrftimeNow);
  add("joiner", MakeJoiner);
}

ArgBinder::ArgBinder(const char* function, CallArgs& args, std::initializer_list<const char*> names)
    : bound_(names.size(), nullptr) {
  if (args.positional.size() > names.size()) {
    ThrowError(std::string(function) + "() takes at most " + std::to_string(names.size()) + " argument(s) (" +
               std::to_string(args.positional.size()) + " given)");
  }
  for (size_t i = 0; i < args.positional.size(); ++i) bound_[i] = &args.positional[i];
  for (const auto& [key, value] : args.keyword) {
    size_t i = 0;
    for (const char* n : names) {
      if (key == n) break;
      ++i;
    }
    if (i == names.size()) ThrowError(std::string(function) + "() got an unexpected keyword argument '" + key + "'");
    if (bound_[i] != nullptr) ThrowError(std::string(function) + "() got multiple values for argument '" + key + "'");
    bound_[i] = &value;
  }
}

Value ArgBinder::Get(size_t i, const Value& fallback) const {
  return i < bound_.size() && bound_[i] != nullptr ? *bound_[i] : fallback;
}

bool ArgBinder::Has(size_t i) const { return i < bound_.size() && bound_[i] != nullptr; }

}  // namespace baleen::jinja
