// Every error a client can see, in one table: each ErrorKind decides the HTTP status, OpenAI's `type`, the default
// `code` and whether a Retry-After header goes with it, for whole responses, stream error events and the errors the
// HTTP layer answers itself alike. Server layer (protocol part: no sockets, no model).
//
// Engine errors arrive as a Status; ErrorFromStatus maps its StatusCode to a kind (the only place that does), so a
// full queue (429), a server shutting down (503), a prompt longer than the context (400 context_length_exceeded) and
// a template that ran out of budget (400 limit_exceeded) can never be confused again.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace baleen {

enum class ErrorKind {
  kInvalidRequest,    // 400: a field is malformed or out of range (the default)
  kContextLength,     // 400: the prompt does not fit the context
  kLimitExceeded,     // 400: the input would take more work or memory than one request may (template budget, regex)
  kUnsupported,       // 400: well-formed, but this server or model does not do it
  kUnauthorized,      // 401: missing or wrong API key
  kNotFound,          // 404: no such endpoint
  kMethodNotAllowed,  // 405
  kBodyTooLarge,      // 413
  kHeadersTooLarge,   // 431
  kBusy,              // 429: the queue is full for now; retry
  kUnavailable,       // 503: shutting down, or out of connections; retry
  kInternal,          // 500: a defect or an I/O failure on the server's side
};

struct ErrorClass {
  int status;
  std::string_view type;          // OpenAI's error type
  std::string_view default_code;  // "" → null
  bool retry_after;               // send Retry-After (the condition is temporary)
};
const ErrorClass& ClassOf(ErrorKind kind);

// An error in OpenAI's shape: {"error": {"message", "type", "param", "code"}}, with its HTTP status from the table.
struct ApiError {
  ErrorKind kind = ErrorKind::kInvalidRequest;
  std::string message;
  std::string param;  // the offending field, "" for none (serialized as null)
  std::string code;   // a more precise code than the kind's default ("invalid_type", ...); "" → the default

  int status() const { return ClassOf(kind).status; }
  std::string_view type() const { return ClassOf(kind).type; }
  bool retry_after() const { return ClassOf(kind).retry_after; }
  nlohmann::json ToJson() const;
};

// The error for an engine Status. `param` names the request field it concerns unless the status names one itself
// (Status::field()).
ApiError ErrorFromStatus(const Status& status, std::string param);

// A stream's error event, "data: {"error": {...}}\n\n": the same body a whole response would carry.
std::string SseErrorEvent(const ApiError& error);

}  // namespace baleen
