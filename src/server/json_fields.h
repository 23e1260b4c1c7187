// A small reader for JSON request bodies: Fields reads the members of one object at a path, Errors keeps the first
// failure (field path, code and a message quoting what the client sent, truncated). The parsers in api_request.cc
// read like lists of fields on top of it. Server layer.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/api_request.h"

// Names are generic (Json, Index, Quote), so they live in their own namespace; parsers say `using namespace`.
namespace baleen::json_fields {

using Json = nlohmann::json;

constexpr int64_t kNoMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kNoMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

struct IntRange {
  int64_t min;
  int64_t max;  // kNoMax: no upper bound
};

struct NumberRange {
  double min;
  double max;  // infinity: no upper bound
  bool min_open = false;
};

std::string Truncate(std::string_view text);  // at most 64 bytes of a client's text, cut at a character boundary
std::string Describe(const Json& v);          // a value as an error message quotes it
std::string RangeText(IntRange r);
std::string RangeText(NumberRange r);
std::string Quote(std::string_view param);
std::string Index(std::string_view path, size_t i);  // "path[i]"
bool IsWholeFloat(const Json& v);
bool FitsInt64(double d);

// The first error of one parse; every check after it is skipped, so the client hears about one field at a time,
// always the earliest one in reading order.
class Errors {
 public:
  bool failed() const { return error_.has_value(); }
  std::optional<ApiError> Take() const { return error_; }

  void Fail(std::string param, std::string code, std::string message) {
    if (failed()) return;
    error_.emplace();
    error_->message = std::move(message);
    error_->param = std::move(param);
    error_->code = std::move(code);
  }
  void TypeError(const std::string& param, std::string_view expected, const Json& got) {
    Fail(param, "invalid_type", Quote(param) + " must be " + std::string(expected) + ", got " + Describe(got));
  }
  void ValueError(const std::string& param, std::string_view expected, const Json& got) {
    Fail(param, "invalid_value", Quote(param) + " must be " + std::string(expected) + ", got " + Describe(got));
  }

  bool Bool(const Json& v, const std::string& param, bool* out) {
    if (failed()) return false;
    if (!v.is_boolean()) return TypeError(param, "a boolean", v), false;
    *out = v.get<bool>();
    return true;
  }

  bool String(const Json& v, const std::string& param, std::string* out) {
    if (failed()) return false;
    if (!v.is_string()) return TypeError(param, "a string", v), false;
    *out = v.get<std::string>();
    return true;
  }

  // Integers, and floats holding whole numbers (clients computing sizes in floating point send 256.0; pydantic,
  // behind OpenAI's API, accepts those too); never booleans, which nlohmann would convert to 1.
  bool Int(const Json& v, const std::string& param, IntRange range, int64_t* out) {
    if (failed()) return false;
    int64_t x = 0;
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(kNoMax)) {
      return ValueError(param, RangeText(range), v), false;
    }
    if (v.is_number_integer()) {
      x = v.get<int64_t>();
    } else if (!IsWholeFloat(v)) {
      return TypeError(param, RangeText(range), v), false;
    } else if (!FitsInt64(v.get<double>())) {
      return ValueError(param, RangeText(range), v), false;
    } else {
      x = static_cast<int64_t>(v.get<double>());
    }
    if (x < range.min || x > range.max) return ValueError(param, RangeText(range), v), false;
    *out = x;
    return true;
  }

  bool Number(const Json& v, const std::string& param, NumberRange range, double* out) {
    if (failed()) return false;
    if (!v.is_number()) return TypeError(param, RangeText(range), v), false;
    const double x = v.get<double>();
    const bool low = range.min_open ? x <= range.min : x < range.min;
    if (!std::isfinite(x) || low || x > range.max) return ValueError(param, RangeText(range), v), false;
    *out = x;
    return true;
  }

 private:
  std::optional<ApiError> error_;
};

// The fields of one JSON object at `path` ("" for the body, "messages[2]" for a message). Each reader returns true
// when the field was given and valid; absent and null both mean "not given", since OpenAI SDKs send nulls.
class Fields {
 public:
  Fields(const Json& object, std::string path, Errors* errors)
      : object_(object), path_(std::move(path)), errors_(errors) {}

  Errors* errors() const { return errors_; }
  std::string Param(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  const Json* Get(const std::string& key) const {
    auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  const Json* Required(const std::string& key) const {
    const Json* v = Get(key);
    if (v == nullptr) errors_->Fail(Param(key), "missing_required_parameter", Quote(Param(key)) + " is required");
    return v;
  }

  bool Bool(const std::string& key, bool* out) const {
    const Json* v = Get(key);
    return v != nullptr && errors_->Bool(*v, Param(key), out);
  }
  bool String(const std::string& key, std::string* out, bool required = false) const {
    const Json* v = required ? Required(key) : Get(key);
    return v != nullptr && errors_->String(*v, Param(key), out);
  }
  template <typename T>
  bool Int(const std::string& key, IntRange range, T* out) const {
    const Json* v = Get(key);
    int64_t x = 0;
    if (v == nullptr || !errors_->Int(*v, Param(key), range, &x)) return false;
    *out = static_cast<T>(x);
    return true;
  }
  bool Number(const std::string& key, NumberRange range, float* out) const {
    const Json* v = Get(key);
    double x = 0;
    if (v == nullptr || !errors_->Number(*v, Param(key), range, &x)) return false;
    // Unbounded ranges (repetition_penalty) must still fit the engine's float.
    if (std::fabs(x) > std::numeric_limits<float>::max()) return errors_->ValueError(Param(key), "finite", *v), false;
    *out = static_cast<float>(x);
    return true;
  }

  // A field that must hold `type` when given: nullptr when absent, null or of another type (an error).
  const Json* Typed(const std::string& key, Json::value_t type, std::string_view expected,
                    bool required = false) const {
    const Json* v = required ? Required(key) : Get(key);
    if (v == nullptr || errors_->failed()) return nullptr;
    if (v->type() != type) return errors_->TypeError(Param(key), expected, *v), nullptr;
    return v;
  }
  const Json* Object(const std::string& key, bool required = false) const {
    return Typed(key, Json::value_t::object, "an object", required);
  }
  const Json* Array(const std::string& key, bool required = false) const {
    return Typed(key, Json::value_t::array, "an array", required);
  }

 private:
  const Json& object_;
  std::string path_;
  Errors* errors_;
};

// True (and an error) when a list of `size` entries exceeds `max`.
bool TooMany(Errors* errors, const std::string& param, size_t size, size_t max, std::string_view noun);
// The error for a body that is not a JSON object.
ApiError BodyError(const Json& body);

}  // namespace baleen::json_fields
