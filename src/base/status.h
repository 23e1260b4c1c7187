// Status and Result<T>: expected failures (bad files, bad requests) travel as values, never as exceptions.
// Base layer. Messages name the file, field or parameter at fault.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace baleen {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller passed something malformed (bad flag, bad request field)
  kNotFound,         // a file, key or tensor that should exist does not
  kDataLoss,         // a file is truncated or corrupt
  kUnimplemented,    // well-formed but not supported (unknown tensor type, architecture)
  kResourceExhausted,  // one input would take more work or memory than allowed (template budget, regex limit, allocation)
  kOutOfRange,         // the tokens do not fit the context (a prompt longer than it, a full context)
  kOverloaded,         // capacity shared by all clients is used up for now (the queue is full): retry later
  kUnavailable,        // the service is not taking work (shutting down)
  kIoError,
  kInternal,
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Returns a copy whose message starts with `context: `, for adding the file name or field path.
  Status WithContext(const std::string& context) const;
  // Returns a copy that names the request field at fault ("messages[2].name", "logit_bias.50256"), so the server's
  // error can point at it; the message should say it too.
  Status WithField(std::string field) const;
  const std::string& field() const { return field_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status Overloaded(std::string m) { return {StatusCode::kOverloaded, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Result<T>: either a value or a non-OK Status. A small stand-in for C++23 std::expected.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace baleen

#define BALEEN_CONCAT_INNER(a, b) a##b
#define BALEEN_CONCAT(a, b) BALEEN_CONCAT_INNER(a, b)

// RETURN_IF_ERROR(expr): returns the Status from the enclosing function when expr is not OK.
#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::baleen::Status baleen_status_ = (expr);      \
    if (!baleen_status_.ok()) return baleen_status_; \
  } while (0)

// ASSIGN_OR_RETURN(decl, expr): evaluates a Result<T>; on error returns its Status, else binds the value.
#define ASSIGN_OR_RETURN(decl, expr) \
  ASSIGN_OR_RETURN_IMPL(BALEEN_CONCAT(baleen_result_, __LINE__), decl, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  decl = std::move(tmp).value()
