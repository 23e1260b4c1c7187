// JSON bridge of the Jinja interpreter: nlohmann::json -> Value for the render context, and Value -> text
// exactly as Python's json.dumps writes it (Hugging Face's tojson filter). Text layer.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "text/jinja/budget.h"
#include "text/jinja/pystr.h"
#include "text/jinja/value.h"

namespace baleen::jinja {
namespace {

template <typename Json>
Value FromJsonImpl(const Json& j, int depth) {
  if (depth > Value::kMaxNesting) ThrowError("context JSON nested more than 256 levels deep");
  switch (j.type()) {
    case Json::value_t::null: return Value::None();
    case Json::value_t::boolean: return Value::Bool(j.template get<bool>());
    case Json::value_t::number_integer: return Value::Int(j.template get<int64_t>());
    case Json::value_t::number_unsigned: {
      uint64_t u = j.template get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value::Float(static_cast<double>(u));
      return Value::Int(static_cast<int64_t>(u));
    }
    case Json::value_t::number_float: return Value::Float(j.template get<double>());
    case Json::value_t::string: return Value::String(j.template get<std::string>());
    case Json::value_t::array: {
      ValueList items;
      items.reserve(j.size());
      for (const auto& item : j) items.push_back(FromJsonImpl(item, depth + 1));
      return Value::List(std::move(items));
    }
    case Json::value_t::object: {
      Dict dict;
      for (const auto& [key, value] : j.items()) dict.Set(Value::String(key), FromJsonImpl(value, depth + 1));
      return Value::MakeDict(std::move(dict));
    }
    default: ThrowError("unsupported JSON value in the template context");
  }
}

void AppendJsonString(std::string_view s, bool ensure_ascii, std::string* out) {
  static const char* kHex = "0123456789abcdef";
  out->push_back('"');
  auto append_u = [&](unsigned code) {
    *out += "\\u";
    for (int k = 3; k >= 0; --k) out->push_back(kHex[(code >> (4 * k)) & 0xF]);
  };
  for (char32_t c : pystr::Decode(s)) {
    switch (c) {
      case '"': *out += "\\\""; continue;
      case '\\': *out += "\\\\"; continue;
      case '\n': *out += "\\n"; continue;
      case '\r': *out += "\\r"; continue;
      case '\t': *out += "\\t"; continue;
      case '\b': *out += "\\b"; continue;
      case '\f': *out += "\\f"; continue;
      default: break;
    }
    if (c < 0x20 || (ensure_ascii && c >= 0x7F)) {
      if (c >= 0x10000) {  // surrogate pair, as json.dumps writes it
        char32_t v = c - 0x10000;
        append_u(0xD800 + (v >> 10));
        append_u(0xDC00 + (v & 0x3FF));
      } else {
        append_u(c);
      }
      continue;
    }
    pystr::AppendUtf8(c, out);
  }
  out->push_back('"');
}

std::string JsonFloat(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f < 0 ? "-Infinity" : "Infinity";
  return FormatFloat(f);
}

// json.dumps converts non-string keys: True -> "true", None -> "null", 1.5 -> "1.5".
std::string JsonKey(const Value& key) {
  switch (key.kind()) {
    case Kind::kString: return key.str();
    case Kind::kBool: return key.as_bool() ? "true" : "false";
    case Kind::kNone: return "null";
    case Kind::kInt: return std::to_string(key.as_int());
    case Kind::kFloat: return JsonFloat(key.as_float());
    default: ThrowError("keys must be str, int, float, bool or None, not " + TypeName(key));
  }
}

class JsonWriter {
 public:
  explicit JsonWriter(const JsonOptions& options) : options_(options) {}

  void Write(const Value& v, int level) {
    if (level > Value::kMaxNesting) ThrowError("tojson: value nested too deeply");
    ChargeWork(1);
    if (out_.size() > options_.max_bytes) ThrowError("tojson output exceeds " + std::to_string(options_.max_bytes) + " bytes");
    switch (v.kind()) {
      case Kind::kNone: out_ += "null"; return;
      case Kind::kBool: out_ += v.as_bool() ? "true" : "false"; return;
      case Kind::kInt: out_ += std::to_string(v.as_int()); return;
      case Kind::kFloat: out_ += JsonFloat(v.as_float()); return;
      case Kind::kString: AppendJsonString(v.str(), options_.ensure_ascii, &out_); return;
      case Kind::kList: WriteList(v.list(), level); return;
      case Kind::kDict: WriteDict(v.dict(), level); return;
      default: ThrowError("Object of type " + TypeName(v) + " is not JSON serializable");
    }
  }

  std::string Take() { return std::move(out_); }

 private:
  void NewLine(int level) {
    if (!options_.has_indent) return;
    out_.push_back('\n');
    for (int i = 0; i < level; ++i) out_ += options_.indent_str;
  }

  void WriteList(const ValueList& items, int level) {
    if (items.empty()) {
      out_ += "[]";
      return;
    }
    out_.push_back('[');
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out_ += options_.item_separator;
      NewLine(level + 1);
      Write(items[i], level + 1);
    }
    NewLine(level);
    out_.push_back(']');
  }

  void WriteDict(const Dict& dict, int level) {
    if (dict.empty()) {
      out_ += "{}";
      return;
    }
    std::vector<const std::pair<Value, Value>*> items;
    for (const auto& item : dict.items()) items.push_back(&item);
    if (options_.sort_keys) {
      std::stable_sort(items.begin(), items.end(),
                       [](const auto* a, const auto* b) { return Compare(a->first, b->first, "<") < 0; });
    }
    out_.push_back('{');
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out_ += options_.item_separator;
      NewLine(level + 1);
      AppendJsonString(JsonKey(items[i]->first), options_.ensure_ascii, &out_);
      out_ += options_.key_separator;
      Write(items[i]->second, level + 1);
    }
    NewLine(level);
    out_.push_back('}');
  }

  const JsonOptions& options_;
  std::string out_;
};

}  // namespace

Value FromJson(const nlohmann::ordered_json& j) { return FromJsonImpl(j, 0); }
Value FromJson(const nlohmann::json& j) { return FromJsonImpl(j, 0); }

std::string ToJson(const Value& v, const JsonOptions& options) {
  JsonWriter writer(options);
  writer.Write(v, 0);
  return writer.Take();
}

}  // namespace baleen::jinja
