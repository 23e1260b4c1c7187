// Template values with Python semantics: None, bool, int, float, str, list/tuple, dict (insertion ordered),
// namespace, callables, jinja2's Undefined. Text layer, Jinja interpreter.
//
// Lists, tuples and dicts are immutable once built, as in Hugging Face's ImmutableSandboxedEnvironment, so they
// are shared by pointer and can never form cycles. The only mutable object, namespace(), lives in the
// renderer's arena (NamespaceArena) and dies with the render.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace baleen::jinja {

// Errors inside the interpreter unwind as this exception to the API edge (Template::Parse/Render), which turns
// it into a Status, much as jinja2 lets Python exceptions unwind; a Result<T> on every AST node would double
// the evaluator. It never escapes the library. line/column are 1-based; 0 means "not yet known".
struct JinjaError {
  std::string message;
  int line = 0;
  int column = 0;
};
[[noreturn]] void ThrowError(std::string message);
// "'" + s + "'", built by appending (g++ 12 warns falsely on "literal" + std::string chains).
std::string Quoted(std::string_view s);

class Value;
class Dict;
class Callable;
struct LoopState;
struct Namespace;
using ValueList = std::vector<Value>;
struct GeneratorState;

enum class Kind : uint8_t {
  kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kNamespace, kCallable, kLoop,
  kGenerator,  // what map/select/items/unique/reverse return in jinja2: truthy, no len(), single pass
};


class Value {
 public:
  Value() : kind_(Kind::kUndefined) {}
  static Value Undefined(std::string hint = {});
  static Value None();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double f);
  static Value String(std::string s);
  static Value List(ValueList items);
  static Value Tuple(ValueList items);
  static Value MakeDict(Dict dict);
  static Value MakeNamespace(Namespace* ns);
  static Value MakeCallable(std::shared_ptr<const Callable> callable);
  static Value Loop(std::shared_ptr<LoopState> loop);
  static Value Generator(ValueList items, const char* type_name = "generator");

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_int() const { return kind_ == Kind::kInt || kind_ == Kind::kBool; }  // Python: bool is an int
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kBool || kind_ == Kind::kFloat; }
  bool is_list() const { return kind_ == Kind::kList; }  // list or tuple
  bool is_tuple() const { return kind_ == Kind::kList && is_tuple_; }
  bool is_dict() const { return kind_ == Kind::kDict; }

  bool as_bool() const { return std::get<bool>(payload_); }
  int64_t as_int() const;  // bool or int
  double as_float() const;  // any number
  const std::string& str() const { return *std::get<StrPtr>(payload_); }
  const ValueList& list() const { return *std::get<ListPtr>(payload_); }
  const Dict& dict() const { return *std::get<DictPtr>(payload_); }
  Namespace* ns() const { return std::get<Namespace*>(payload_); }
  const Callable& callable() const { return *std::get<CallablePtr>(payload_); }
  LoopState& loop() const { return *std::get<LoopPtr>(payload_); }
  GeneratorState& generator() const { return *std::get<GeneratorPtr>(payload_); }
  // For Undefined: the message to raise when it is used, e.g. "'x' is undefined".
  std::string undefined_hint() const;
  // Nesting depth of lists/dicts (0 for scalars). Bounded by kMaxNesting so that printing, comparing and
  // destroying values can recurse safely.
  int depth() const { return depth_; }
  static constexpr int kMaxNesting = 256;

 private:
  using StrPtr = std::shared_ptr<const std::string>;
  using ListPtr = std::shared_ptr<const ValueList>;
  using DictPtr = std::shared_ptr<const Dict>;
  using CallablePtr = std::shared_ptr<const Callable>;
  using LoopPtr = std::shared_ptr<LoopState>;
  using GeneratorPtr = std::shared_ptr<GeneratorState>;
  using Payload = std::variant<std::monostate, bool, int64_t, double, StrPtr, ListPtr, DictPtr, Namespace*,
                               CallablePtr, LoopPtr, GeneratorPtr>;
  Value(Kind kind, Payload payload, int depth = 0)
      : kind_(kind), depth_(static_cast<uint16_t>(depth)), payload_(std::move(payload)) {}
  Kind kind_;
  bool is_tuple_ = false;
  uint16_t depth_ = 0;
  Payload payload_;
};

// Insertion-ordered mapping with Python key equality (1 == 1.0 == True).
class Dict {
 public:
  const Value* Find(const Value& key) const;
  const Value* FindString(std::string_view key) const;
  void Set(const Value& key, Value value);
  size_t size() const { return items_.size(); }
  int depth() const { return depth_; }  // 1 + deepest value
  bool empty() const { return items_.empty(); }
  const std::vector<std::pair<Value, Value>>& items() const { return items_; }

 private:
  std::vector<std::pair<Value, Value>> items_;
  std::unordered_map<std::string, size_t> string_index_;  // keeps lookups O(1) for the usual string keys
  int depth_ = 1;
};

struct Namespace {
  Dict attrs;
};

// The items of a generator, produced eagerly; `consumed` makes a second iteration empty, as in Python.
struct GeneratorState {
  ValueList items;
  bool consumed = false;
  const char* type_name = "generator";
};

// Keyword arguments keep their order, as Python's **kwargs do.
struct CallArgs {
  ValueList positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

class Interpreter;
class Callable {
 public:
  virtual ~Callable() = default;
  virtual Value Call(Interpreter& interpreter, CallArgs& args) const = 0;
  virtual std::string Repr() const = 0;
};

// State of the innermost `loop` variable of a for loop.
struct LoopState {
  int64_t index0 = 0;
  int64_t length = 0;
  int64_t depth0 = 0;
  const ValueList* items = nullptr;  // the (filtered) sequence being iterated; outlives the loop body
  Value last_changed;                // for loop.changed()
  bool has_changed = false;
};

// Python semantics.
bool Truthy(const Value& v);
std::string ToStr(const Value& v);   // str(v); Undefined prints as ""
std::string Repr(const Value& v);    // repr(v)
std::string TypeName(const Value& v);  // type(v).__name__
[[noreturn]] void ThrowUndefined(const Value& v);  // jinja2's UndefinedError, with the value's hint
bool Equals(const Value& a, const Value& b);
int Compare(const Value& a, const Value& b, const char* op);  // <0, 0, >0; TypeError when unordered
std::string FormatFloat(double f);   // float repr: "1.0", "0.1", "1e+16", "inf"

// JSON bridge: context values come from nlohmann JSON; tojson writes Python's json.dumps output.
// Use ordered_json to keep object keys in request order, as Python dicts do (nlohmann::json sorts them).
Value FromJson(const nlohmann::ordered_json& j);
Value FromJson(const nlohmann::json& j);
struct JsonOptions {
  bool has_indent = false;  // json.dumps(indent=None) writes one line
  std::string indent_str;
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;
  size_t max_bytes = 16 << 20;  // indentation can blow a small value up; fail beyond this
};
std::string ToJson(const Value& v, const JsonOptions& options);

}  // namespace baleen::jinja
