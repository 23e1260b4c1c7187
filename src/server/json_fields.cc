// Error wording for the JSON field reader: values quoted back truncated, ranges spelled out.
#include "server/json_fields.h"

#include <cmath>
#include <cstdio>

namespace baleen::json_fields {
namespace {

constexpr size_t kMaxEchoBytes = 64;  // longest piece of a user value quoted back in an error

std::string FormatNumber(double x) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", x);
  return text;
}

}  // namespace

// At most kMaxEchoBytes of `text`, cut at a UTF-8 character boundary so the message stays valid UTF-8 (nlohmann's
// dump throws on a split character). A client may send megabytes in one field; echoing it all helps nobody.
std::string Truncate(std::string_view text) {
  if (text.size() <= kMaxEchoBytes) return std::string(text);
  size_t end = kMaxEchoBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "...";
}

// A value as quoted in an error message: strings JSON-quoted and truncated, containers only by kind.
std::string Describe(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case Json::value_t::string:
      return Json(Truncate(v.get_ref<const std::string&>())).dump(-1, ' ', false, Json::error_handler_t::replace);
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::number_float:
      return std::isfinite(v.get<double>()) ? v.dump() : "a non-finite number";
    default:
      return Truncate(v.dump(-1, ' ', false, Json::error_handler_t::replace));
  }
}

std::string RangeText(IntRange r) {
  if (r.min == kNoMin && r.max == kNoMax) return "an integer";
  if (r.max == kNoMax) return "an integer of at least " + std::to_string(r.min);
  return "an integer between " + std::to_string(r.min) + " and " + std::to_string(r.max);
}

std::string RangeText(NumberRange r) {
  const std::string low = (r.min_open ? "greater than " : "between ") + FormatNumber(r.min);
  if (std::isinf(r.max)) return "a number " + low;
  return "a number " + low + (r.min_open ? " and at most " : " and ") + FormatNumber(r.max);
}

std::string Quote(std::string_view param) {
  std::string quoted(1, '\'');
  quoted.append(param).push_back('\'');
  return quoted;
}

std::string Index(std::string_view path, size_t i) { return std::string(path) + "[" + std::to_string(i) + "]"; }

bool IsWholeFloat(const Json& v) {
  return v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>();
}

// Whether a whole-number double converts to int64 without overflow (2^63 itself does not).
bool FitsInt64(double d) { return d >= -9223372036854775808.0 && d < 9223372036854775808.0; }

bool TooMany(Errors* errors, const std::string& param, size_t size, size_t max, std::string_view noun) {
  if (size <= max) return false;
  errors->Fail(param, "invalid_value",
               Quote(param) + " may hold at most " + std::to_string(max) + " " + std::string(noun) + ", got " +
                   std::to_string(size));
  return true;
}

ApiError BodyError(const Json& body) {
  ApiError error;
  error.message = "The request body must be a JSON object, got " + Describe(body);
  error.code = "invalid_type";
  return error;
}

}  // namespace baleen::json_fields
