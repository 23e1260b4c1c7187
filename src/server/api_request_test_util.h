// Shared by the request-parsing tests: minimal valid bodies, parse helpers, and the matcher for a 400 that names
// its field. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>

#include "server/api_request.h"

namespace baleen::api_test {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// A minimal valid chat body with the fields of `extra` added (or replaced).
inline Json Chat(const Json& extra = Json::object()) {
  Json body = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  body.update(extra);
  return body;
}

inline Json Completion(const Json& extra = Json::object()) {
  Json body = {{"model", "m"}, {"prompt", "Once"}};
  body.update(extra);
  return body;
}

// A chat body whose messages are `messages` (JSON text).
inline Json Messages(const char* messages) { return Chat({{"messages", Json::parse(messages)}}); }

inline std::optional<ApiError> ParseChat(const Json& body, ChatParams* out = nullptr,
                                         const RequestLimits& limits = {}) {
  ChatParams scratch;
  return ParseChatParams(body, limits, out != nullptr ? out : &scratch);
}

inline std::optional<ApiError> ParseCompletion(const Json& body, CompletionParams* out = nullptr,
                                               const RequestLimits& limits = {}) {
  CompletionParams scratch;
  return ParseCompletionParams(body, limits, out != nullptr ? out : &scratch);
}

// The error is a 400 invalid_request_error naming `param` with `code`.
inline ::testing::AssertionResult Fails(const std::optional<ApiError>& error, const std::string& param,
                                        const std::string& code) {
  if (!error) return ::testing::AssertionFailure() << "parsed without error";
  if (error->status() != 400 || error->type() != "invalid_request_error" || error->param != param ||
      error->code != code || error->message.empty()) {
    return ::testing::AssertionFailure() << "got status " << error->status() << " type " << error->type() << " param '"
                                         << error->param << "' code '" << error->code << "': " << error->message;
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult Parses(const std::optional<ApiError>& error) {
  if (!error) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "param '" << error->param << "': " << error->message;
}

struct BadField {
  const char* extra;  // JSON object merged into a valid request body
  const char* param;
  const char* code;
};

inline void PrintTo(const BadField& f, std::ostream* os) { *os << f.extra; }

}  // namespace baleen::api_test
