// The error table and the Status → ErrorKind mapping.
#include "server/api_error.h"

namespace baleen {

const ErrorClass& ClassOf(ErrorKind kind) {
  // Indexed by ErrorKind; the static_assert below keeps the two in step.
  static constexpr ErrorClass kTable[] = {
      /* kInvalidRequest   */ {400, "invalid_request_error", "", false},
      /* kContextLength    */ {400, "invalid_request_error", "context_length_exceeded", false},
      /* kLimitExceeded    */ {400, "invalid_request_error", "limit_exceeded", false},
      /* kUnsupported      */ {400, "invalid_request_error", "unsupported_value", false},
      /* kUnauthorized     */ {401, "authentication_error", "invalid_api_key", false},
      /* kNotFound         */ {404, "not_found_error", "unknown_url", false},
      /* kMethodNotAllowed */ {405, "invalid_request_error", "method_not_allowed", false},
      /* kBodyTooLarge     */ {413, "invalid_request_error", "request_too_large", false},
      /* kHeadersTooLarge  */ {431, "invalid_request_error", "headers_too_large", false},
      /* kBusy             */ {429, "rate_limit_error", "server_busy", true},
      /* kUnavailable      */ {503, "server_error", "service_unavailable", true},
      /* kInternal         */ {500, "server_error", "", false},
  };
  static_assert(std::size(kTable) == static_cast<size_t>(ErrorKind::kInternal) + 1);
  return kTable[static_cast<size_t>(kind)];
}

nlohmann::json ApiError::ToJson() const {
  auto or_null = [](std::string_view s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  const std::string_view shown_code = code.empty() ? ClassOf(kind).default_code : std::string_view(code);
  return {{"error", {{"message", message}, {"type", type()}, {"param", or_null(param)}, {"code", or_null(shown_code)}}}};
}

namespace {

ErrorKind KindOf(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound: return ErrorKind::kInvalidRequest;
    case StatusCode::kOutOfRange: return ErrorKind::kContextLength;
    case StatusCode::kResourceExhausted: return ErrorKind::kLimitExceeded;
    case StatusCode::kUnimplemented: return ErrorKind::kUnsupported;
    case StatusCode::kOverloaded: return ErrorKind::kBusy;
    case StatusCode::kUnavailable: return ErrorKind::kUnavailable;
    case StatusCode::kOk:
    case StatusCode::kDataLoss:
    case StatusCode::kIoError:
    case StatusCode::kInternal: break;
  }
  return ErrorKind::kInternal;
}

}  // namespace

ApiError ErrorFromStatus(const Status& status, std::string param) {
  ApiError error{.kind = KindOf(status.code()), .message = status.message()};
  if (error.kind == ErrorKind::kInvalidRequest) error.code = "invalid_value";
  // Server-side failures concern no field of the request.
  if (error.status() < 500) error.param = status.field().empty() ? std::move(param) : status.field();
  return error;
}

std::string SseErrorEvent(const ApiError& error) { return "data: " + error.ToJson().dump() + "\n\n"; }

}  // namespace baleen
