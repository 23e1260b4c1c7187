// The error table: each engine failure's HTTP status, OpenAI type and code, Retry-After, and the JSON shape shared
// by whole responses and stream error events.
#include "server/api_error.h"

#include <gtest/gtest.h>

namespace baleen {
namespace {

using Json = nlohmann::json;

TEST(ApiErrorTest, ToJsonHasAllFourKeysWithNullsForEmpty) {
  ApiError error;
  error.message = "bad";
  EXPECT_EQ(error.ToJson(), Json::parse(R"({"error": {"message": "bad", "type": "invalid_request_error", "param": null,
                                      "code": null}})"));
  error.param = "messages[0].role";
  error.code = "invalid_value";
  error.kind = ErrorKind::kInternal;
  EXPECT_EQ(error.ToJson(),
            Json::parse(R"({"error": {"message": "bad", "type": "server_error", "param": "messages[0].role",
                                      "code": "invalid_value"}})"));
}

// One table decides what a client sees for each kind of failure; these are the answers clients and proxies act on.
TEST(ApiErrorTest, EachEngineFailureHasItsOwnStatusTypeAndCode) {
  struct Case {
    Status status;
    int http;
    const char* type;
    const char* code;
    bool retry;
  };
  const Case cases[] = {
      {InvalidArgument("bad"), 400, "invalid_request_error", "invalid_value", false},
      {OutOfRange("too long"), 400, "invalid_request_error", "context_length_exceeded", false},
      {ResourceExhausted("template budget"), 400, "invalid_request_error", "limit_exceeded", false},
      {Unimplemented("no"), 400, "invalid_request_error", "unsupported_value", false},
      {Overloaded("queue full"), 429, "rate_limit_error", "server_busy", true},
      {Unavailable("shutting down"), 503, "server_error", "service_unavailable", true},
      {IoError("disk"), 500, "server_error", nullptr, false},
      {Internal("bug"), 500, "server_error", nullptr, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status.ToString());
    const ApiError error = ErrorFromStatus(c.status, "messages");
    EXPECT_EQ(error.status(), c.http);
    EXPECT_EQ(error.type(), c.type);
    EXPECT_EQ(error.retry_after(), c.retry);
    const Json body = error.ToJson()["error"];
    EXPECT_EQ(body["code"], c.code == nullptr ? Json(nullptr) : Json(c.code));
    EXPECT_EQ(body["param"], c.http < 500 ? Json("messages") : Json(nullptr));  // server faults name no field
  }
  // A status that names its field overrides the endpoint's guess.
  const ApiError named = ErrorFromStatus(InvalidArgument("x").WithField("logit_bias.7"), "messages");
  EXPECT_EQ(named.param, "logit_bias.7");
  EXPECT_EQ(SseErrorEvent(named), "data: " + named.ToJson().dump() + "\n\n");
}

}  // namespace
}  // namespace baleen
