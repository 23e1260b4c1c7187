// Tests for the request parsers: every field's good, bad, null and wrong-type cases, the normalized messages and
// tools, limits, and the error JSON. Server layer, no model.
#include "server/api_request.h"
#include "server/api_request_test_util.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

namespace baleen {
namespace {

using namespace api_test;  // NOLINT: the shared bodies and matchers

std::string ChatMessage(const Json& body) {
  const std::optional<ApiError> error = ParseChat(body);
  return error ? error->message : "(no error)";
}

// --- the error object ---

TEST(ApiErrorTest, BodyThatIsNotAnObject) {
  for (const char* text : {"[]", "\"hi\"", "null", "3", "true"}) {
    SCOPED_TRACE(text);
    const Json body = Json::parse(text);
    ChatParams chat;
    CompletionParams completion;
    TokenizeParams tokenize;
    DetokenizeParams detokenize;
    EXPECT_TRUE(Fails(ParseChatParams(body, {}, &chat), "", "invalid_type"));
    EXPECT_TRUE(Fails(ParseCompletionParams(body, {}, &completion), "", "invalid_type"));
    EXPECT_TRUE(Fails(ParseTokenizeParams(body, &tokenize), "", "invalid_type"));
    const std::optional<ApiError> error = ParseDetokenizeParams(body, &detokenize);
    ASSERT_TRUE(Fails(error, "", "invalid_type"));
    EXPECT_NE(error->message.find("request body must be a JSON object"), std::string::npos);
    EXPECT_TRUE(error->ToJson()["error"]["param"].is_null());
  }
}

TEST(ApiErrorTest, MessagesNameTheFieldAndTheValue) {
  EXPECT_EQ(ChatMessage(Chat({{"temperature", 3.5}})), "'temperature' must be a number between 0 and 2, got 3.5");
  EXPECT_EQ(ChatMessage(Chat({{"top_p", 0}})), "'top_p' must be a number greater than 0 and at most 1, got 0");
  EXPECT_EQ(ChatMessage(Chat({{"n", true}})), "'n' must be an integer between 1 and 8, got true");
  EXPECT_EQ(ChatMessage(Chat({{"max_tokens", "100"}})), "'max_tokens' must be an integer of at least 1, got \"100\"");
  EXPECT_EQ(ChatMessage(Chat({{"stream", Json::array({1})}})), "'stream' must be a boolean, got an array");
  EXPECT_EQ(ChatMessage(Messages(R"([{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
                                     {"role": "bot", "content": "c"}])")),
            "'messages[2].role' must be one of system, developer, user, assistant, tool, got \"bot\"");
  EXPECT_EQ(ChatMessage(Chat({{"seed", "x"}})), "'seed' must be an integer, got \"x\"");
}

TEST(ApiErrorTest, LongValuesAreTruncatedAtACharacterBoundary) {
  std::string long_value;
  for (int i = 0; i < 500; ++i) long_value += "\xc3\xa9";  // é, two bytes
  const std::optional<ApiError> error = ParseChat(Chat({{"temperature", long_value}}));
  ASSERT_TRUE(Fails(error, "temperature", "invalid_type"));
  EXPECT_LT(error->message.size(), 160u);
  EXPECT_NE(error->message.find("...\""), std::string::npos);
  EXPECT_NO_THROW((void)error->ToJson().dump());  // strict dump: throws on a split UTF-8 character

  const std::string long_key(1000, '9');
  const std::optional<ApiError> key_error = ParseChat(Chat({{"logit_bias", {{long_key, 1}}}}));
  ASSERT_TRUE(key_error.has_value());
  EXPECT_LT(key_error->param.size(), 100u);
  EXPECT_LT(key_error->message.size(), 200u);
}

// --- fields shared by chat and completions ---

TEST(ChatParamsTest, MinimalBodyGivesDefaults) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Chat(), &out)));
  const SamplingParams defaults;
  EXPECT_EQ(out.common.model, "m");
  EXPECT_FALSE(out.common.stream);
  EXPECT_FALSE(out.common.include_usage);
  EXPECT_EQ(out.common.max_tokens, -1);
  EXPECT_EQ(out.common.sampling.temperature, defaults.temperature);
  EXPECT_EQ(out.common.sampling.top_p, defaults.top_p);
  EXPECT_EQ(out.common.sampling.top_k, defaults.top_k);
  EXPECT_EQ(out.common.sampling.seed, 0u);
  EXPECT_FALSE(out.common.seed_given);
  EXPECT_TRUE(out.common.stop.empty());
  EXPECT_EQ(out.common.n, 1);
  EXPECT_TRUE(out.tools.is_null());
  EXPECT_EQ(out.tool_choice, "none");
  EXPECT_FALSE(out.tool_choice_is_name);
  EXPECT_TRUE(out.parallel_tool_calls);
  EXPECT_FALSE(out.logprobs);
  EXPECT_EQ(out.top_logprobs, 0);
  EXPECT_FALSE(out.json_object);
  EXPECT_FALSE(out.thinking.has_value());
  EXPECT_EQ(out.reasoning_effort, "");
}

TEST(ChatParamsTest, EveryFieldGiven) {
  const Json body = Chat(Json::parse(R"({
    "stream": true, "stream_options": {"include_usage": true}, "max_tokens": 50, "temperature": 0.5, "top_p": 0.9,
    "top_k": 40, "min_p": 0.05, "presence_penalty": 0.5, "frequency_penalty": -0.5, "repetition_penalty": 1.1,
    "logit_bias": {"50256": -100, "7": 2.5}, "stop": ["\n\n", "END"], "n": 3, "seed": 1234, "user": "u-1", "ignore_eos": true,
    "logprobs": true, "top_logprobs": 5, "response_format": {"type": "json_object"}, "parallel_tool_calls": false,
    "thinking": {"type": "enabled"}})"));
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(body, &out)));
  const CommonParams& c = out.common;
  EXPECT_TRUE(c.stream);
  EXPECT_TRUE(c.include_usage);
  EXPECT_EQ(c.max_tokens, 50);
  EXPECT_FLOAT_EQ(c.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(c.sampling.top_p, 0.9f);
  EXPECT_EQ(c.sampling.top_k, 40);
  EXPECT_FLOAT_EQ(c.sampling.min_p, 0.05f);
  EXPECT_FLOAT_EQ(c.sampling.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(c.sampling.frequency_penalty, -0.5f);
  EXPECT_FLOAT_EQ(c.sampling.repetition_penalty, 1.1f);
  ASSERT_EQ(c.sampling.logit_bias.size(), 2u);  // nlohmann::json sorts keys: "50256" before "7"
  EXPECT_EQ(c.sampling.logit_bias[0], (std::pair<int32_t, float>(50256, -100.0f)));
  EXPECT_EQ(c.sampling.logit_bias[1], (std::pair<int32_t, float>(7, 2.5f)));
  EXPECT_EQ(c.stop, (std::vector<std::string>{"\n\n", "END"}));
  EXPECT_EQ(c.n, 3);
  EXPECT_EQ(c.sampling.seed, 1234u);
  EXPECT_TRUE(c.seed_given);
  EXPECT_EQ(c.user, "u-1");
  EXPECT_TRUE(c.ignore_eos);
  EXPECT_TRUE(out.logprobs);
  EXPECT_EQ(out.top_logprobs, 5);
  EXPECT_TRUE(out.json_object);
  EXPECT_FALSE(out.parallel_tool_calls);
  EXPECT_EQ(out.thinking, std::optional<bool>(true));
  EXPECT_TRUE(ValidateSamplingParams(c.sampling, 100000).ok());
}

TEST(ChatParamsTest, NullMeansNotGiven) {
  Json body = Chat();
  for (const char* field : {"model",
                            "stream",
                            "stream_options",
                            "max_tokens",
                            "max_completion_tokens",
                            "temperature",
                            "top_p",
                            "top_k",
                            "min_p",
                            "presence_penalty",
                            "frequency_penalty",
                            "repetition_penalty",
                            "logit_bias",
                            "stop",
                            "n",
                            "seed",
                            "user",
                            "tools",
                            "tool_choice",
                            "parallel_tool_calls",
                            "logprobs",
                            "top_logprobs",
                            "response_format",
                            "thinking",
                            "reasoning_effort",
                            "chat_template_kwargs"}) {
    body[field] = nullptr;
  }
  body["messages"] = Json::parse(R"([{"role": "user", "content": "hi", "name": null},
      {"role": "assistant", "content": "yo", "name": null, "reasoning_content": null, "tool_calls": null,
       "prefix": null}])");
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(body, &out)));
  EXPECT_EQ(out.common.model, "");
  EXPECT_EQ(out.common.max_tokens, -1);
  EXPECT_EQ(out.common.sampling.temperature, SamplingParams().temperature);
  EXPECT_FALSE(out.common.seed_given);
  EXPECT_EQ(out.common.n, 1);
  EXPECT_EQ(out.tool_choice, "none");
  EXPECT_FALSE(out.thinking.has_value());
  EXPECT_EQ(out.messages.dump(), R"([{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}])");
}

TEST(ChatParamsTest, UnknownFieldsAreIgnored) {
  const Json body = Chat(Json::parse(R"({"metadata": {"a": 1}, "store": true, "functions": 5, "x-vendor": [1],
                                         "safety_identifier": "s", "service_tier": "auto"})"));
  EXPECT_TRUE(Parses(ParseChat(body)));
}

TEST(ChatParamsTest, ParsingResetsTheOutput) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Chat({{"temperature", 0.1}, {"stop", "x"}}), &out)));
  ASSERT_TRUE(Parses(ParseChat(Chat(), &out)));
  EXPECT_EQ(out.common.sampling.temperature, SamplingParams().temperature);
  EXPECT_TRUE(out.common.stop.empty());
}

class ChatBadFieldTest : public ::testing::TestWithParam<BadField> {};

TEST_P(ChatBadFieldTest, IsA400NamingTheField) {
  EXPECT_TRUE(Fails(ParseChat(Chat(Json::parse(GetParam().extra))), GetParam().param, GetParam().code))
      << GetParam().extra;
}

INSTANTIATE_TEST_SUITE_P(
    Common, ChatBadFieldTest,
    ::testing::Values(
        BadField{R"({"model": 5})", "model", "invalid_type"},
        BadField{R"({"stream": "true"})", "stream", "invalid_type"},
        BadField{R"({"stream": 1})", "stream", "invalid_type"},
        BadField{R"({"stream_options": true})", "stream_options", "invalid_type"},
        BadField{R"({"stream_options": {"include_usage": "yes"}})", "stream_options.include_usage", "invalid_type"},
        BadField{R"({"max_tokens": 0})", "max_tokens", "invalid_value"},
        BadField{R"({"max_tokens": -1})", "max_tokens", "invalid_value"},
        BadField{R"({"max_tokens": 10.5})", "max_tokens", "invalid_type"},
        BadField{R"({"max_tokens": true})", "max_tokens", "invalid_type"},
        BadField{R"({"max_tokens": 1e30})", "max_tokens", "invalid_value"},
        BadField{R"({"max_tokens": 18446744073709551615})", "max_tokens", "invalid_value"},
        BadField{R"({"max_completion_tokens": 0})", "max_completion_tokens", "invalid_value"},
        BadField{R"({"max_completion_tokens": "5"})", "max_completion_tokens", "invalid_type"},
        BadField{R"({"temperature": 2.01})", "temperature", "invalid_value"},
        BadField{R"({"temperature": -0.1})", "temperature", "invalid_value"},
        BadField{R"({"temperature": true})", "temperature", "invalid_type"},
        BadField{R"({"temperature": "1"})", "temperature", "invalid_type"},
        BadField{R"({"top_p": 0})", "top_p", "invalid_value"}, BadField{R"({"top_p": 1.01})", "top_p", "invalid_value"},
        BadField{R"({"top_p": [1]})", "top_p", "invalid_type"}, BadField{R"({"top_k": -2})", "top_k", "invalid_value"},
        BadField{R"({"top_k": 1.5})", "top_k", "invalid_type"},
        BadField{R"({"top_k": false})", "top_k", "invalid_type"},
        BadField{R"({"top_k": 2147483648})", "top_k", "invalid_value"},
        BadField{R"({"min_p": 1.5})", "min_p", "invalid_value"},
        BadField{R"({"min_p": -0.01})", "min_p", "invalid_value"},
        BadField{R"({"presence_penalty": 2.5})", "presence_penalty", "invalid_value"},
        BadField{R"({"presence_penalty": false})", "presence_penalty", "invalid_type"},
        BadField{R"({"frequency_penalty": -3})", "frequency_penalty", "invalid_value"},
        BadField{R"({"repetition_penalty": 0})", "repetition_penalty", "invalid_value"},
        BadField{R"({"repetition_penalty": -1})", "repetition_penalty", "invalid_value"},
        BadField{R"({"repetition_penalty": 1e300})", "repetition_penalty", "invalid_value"},
        BadField{R"({"logit_bias": [[1, 2]]})", "logit_bias", "invalid_type"},
        BadField{R"({"logit_bias": {"abc": 1}})", "logit_bias.abc", "invalid_value"},
        BadField{R"({"logit_bias": {"-1": 1}})", "logit_bias.-1", "invalid_value"},
        BadField{R"({"logit_bias": {"007": 1}})", "logit_bias.007", "invalid_value"},
        BadField{R"({"logit_bias": {"1.5": 1}})", "logit_bias.1.5", "invalid_value"},
        BadField{R"({"logit_bias": {"2147483648": 1}})", "logit_bias.2147483648", "invalid_value"},
        BadField{R"({"logit_bias": {"5": 101}})", "logit_bias.5", "invalid_value"},
        BadField{R"({"logit_bias": {"5": -100.5}})", "logit_bias.5", "invalid_value"},
        BadField{R"({"logit_bias": {"5": "1"}})", "logit_bias.5", "invalid_type"},
        BadField{R"({"logit_bias": {"5": true}})", "logit_bias.5", "invalid_type"},
        BadField{R"({"stop": ""})", "stop", "invalid_value"}, BadField{R"({"stop": 5})", "stop", "invalid_type"},
        BadField{R"({"stop": {"a": 1}})", "stop", "invalid_type"},
        BadField{R"({"stop": ["a", ""]})", "stop[1]", "invalid_value"},
        BadField{R"({"stop": ["a", 1]})", "stop[1]", "invalid_type"},
        BadField{R"({"stop": [null]})", "stop[0]", "invalid_type"}, BadField{R"({"n": 0})", "n", "invalid_value"},
        BadField{R"({"n": 9})", "n", "invalid_value"}, BadField{R"({"n": "2"})", "n", "invalid_type"},
        BadField{R"({"seed": "1"})", "seed", "invalid_type"}, BadField{R"({"seed": 1.5})", "seed", "invalid_type"},
        BadField{R"({"seed": true})", "seed", "invalid_type"}, BadField{R"({"user": 5})", "user", "invalid_type"},
        BadField{R"({"ignore_eos": 1})", "ignore_eos", "invalid_type"}));

INSTANTIATE_TEST_SUITE_P(
    Chat, ChatBadFieldTest,
    ::testing::Values(
        BadField{R"({"logprobs": "true"})", "logprobs", "invalid_type"},
        BadField{R"({"logprobs": 1})", "logprobs", "invalid_type"},
        BadField{R"({"top_logprobs": 2})", "top_logprobs", "invalid_value"},
        BadField{R"({"logprobs": false, "top_logprobs": 0})", "top_logprobs", "invalid_value"},
        BadField{R"({"logprobs": true, "top_logprobs": 21})", "top_logprobs", "invalid_value"},
        BadField{R"({"logprobs": true, "top_logprobs": -1})", "top_logprobs", "invalid_value"},
        BadField{R"({"logprobs": true, "top_logprobs": true})", "top_logprobs", "invalid_type"},
        BadField{R"({"response_format": "json"})", "response_format", "invalid_type"},
        BadField{R"({"response_format": {}})", "response_format.type", "missing_required_parameter"},
        BadField{R"({"response_format": {"type": "xml"}})", "response_format.type", "invalid_value"},
        BadField{R"({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}})",
                 "response_format.type", "unsupported_value"},
        BadField{R"({"thinking": true})", "thinking", "invalid_type"},
        BadField{R"({"thinking": {}})", "thinking.type", "missing_required_parameter"},
        BadField{R"({"thinking": {"type": "on"}})", "thinking.type", "invalid_value"},
        BadField{R"({"reasoning_effort": "extreme"})", "reasoning_effort", "invalid_value"},
        BadField{R"({"reasoning_effort": 3})", "reasoning_effort", "invalid_type"},
        BadField{R"({"chat_template_kwargs": "x"})", "chat_template_kwargs", "invalid_type"},
        BadField{R"({"chat_template_kwargs": {"enable_thinking": "yes"}})", "chat_template_kwargs.enable_thinking",
                 "invalid_type"},
        BadField{R"({"chat_template_kwargs": {"thinking": 1}})", "chat_template_kwargs.thinking", "invalid_type"},
        BadField{R"({"parallel_tool_calls": "no"})", "parallel_tool_calls", "invalid_type"}));

TEST(ChatParamsTest, NumbersAtTheirBounds) {
  const Json body = Chat(Json::parse(R"({"temperature": 2, "top_p": 1, "min_p": 0, "presence_penalty": -2,
                                         "frequency_penalty": 2, "logit_bias": {"0": 100, "2147483647": -100}})"));
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(body, &out)));
  EXPECT_EQ(out.common.sampling.temperature, 2.0f);
  EXPECT_EQ(out.common.sampling.logit_bias.size(), 2u);
  ASSERT_TRUE(Parses(ParseChat(Chat({{"temperature", 0}, {"min_p", 1}, {"top_p", 1e-9}}), &out)));
  EXPECT_EQ(out.common.sampling.temperature, 0.0f);
}

TEST(ChatParamsTest, IntegersInFloatFormAreAccepted) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Chat({{"max_tokens", 256.0}, {"n", 2.0}, {"top_k", 5.0}}), &out)));
  EXPECT_EQ(out.common.max_tokens, 256);
  EXPECT_EQ(out.common.n, 2);
  EXPECT_EQ(out.common.sampling.top_k, 5);
}

TEST(ChatParamsTest, TopKMinusOneMeansOff) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Chat({{"top_k", -1}}), &out)));
  EXPECT_EQ(out.common.sampling.top_k, 0);
}

TEST(ChatParamsTest, MaxCompletionTokensWinsOverMaxTokens) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Chat({{"max_tokens", 10}, {"max_completion_tokens", 20}}), &out)));
  EXPECT_EQ(out.common.max_tokens, 20);
  ASSERT_TRUE(Parses(ParseChat(Chat({{"max_tokens", 10}, {"max_completion_tokens", nullptr}}), &out)));
  EXPECT_EQ(out.common.max_tokens, 10);
  // Both are checked even though one wins.
  EXPECT_TRUE(
      Fails(ParseChat(Chat({{"max_tokens", 0}, {"max_completion_tokens", 20}})), "max_tokens", "invalid_value"));
}

TEST(ChatParamsTest, MaxTokensLimit) {
  RequestLimits limits;
  limits.max_tokens_limit = 100;
  ChatParams out;
  EXPECT_TRUE(Parses(ParseChat(Chat({{"max_tokens", 100}}), &out, limits)));
  const std::optional<ApiError> error = ParseChat(Chat({{"max_tokens", 101}}), &out, limits);
  ASSERT_TRUE(Fails(error, "max_tokens", "invalid_value"));
  EXPECT_EQ(error->message, "'max_tokens' must be an integer between 1 and 100, got 101");
}

TEST(ChatParamsTest, StreamOptionsCountOnlyWithStream) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Chat({{"stream_options", {{"include_usage", true}}}}), &out)));
  EXPECT_FALSE(out.common.include_usage);
  ASSERT_TRUE(Parses(ParseChat(Chat({{"stream", true}, {"stream_options", {{"include_usage", true}}}}), &out)));
  EXPECT_TRUE(out.common.include_usage);
  ASSERT_TRUE(Parses(ParseChat(Chat({{"stream", true}, {"stream_options", {{"include_obfuscation", false}}}}), &out)));
  EXPECT_FALSE(out.common.include_usage);
}

TEST(ChatParamsTest, SeedIsAnyInt64StoredAsTwosComplement) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Chat({{"seed", -1}}), &out)));
  EXPECT_EQ(out.common.sampling.seed, std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(out.common.seed_given);
  ASSERT_TRUE(Parses(ParseChat(Chat({{"seed", std::numeric_limits<int64_t>::min()}}), &out)));
  EXPECT_EQ(out.common.sampling.seed, uint64_t{1} << 63);
  ASSERT_TRUE(Parses(ParseChat(Chat({{"seed", std::numeric_limits<uint64_t>::max()}}), &out)));
  EXPECT_EQ(out.common.sampling.seed, std::numeric_limits<uint64_t>::max());
  ASSERT_TRUE(Parses(ParseChat(Chat({{"seed", 0}}), &out)));
  EXPECT_EQ(out.common.sampling.seed, 0u);
  EXPECT_TRUE(out.common.seed_given);
}

TEST(ChatParamsTest, StopAsStringOrList) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Chat({{"stop", "###"}}), &out)));
  EXPECT_EQ(out.common.stop, std::vector<std::string>{"###"});
  ASSERT_TRUE(Parses(ParseChat(Chat({{"stop", Json::array()}}), &out)));
  EXPECT_TRUE(out.common.stop.empty());
  Json sixteen = Json::array();
  for (int i = 0; i < 16; ++i) sixteen.push_back(std::to_string(i) + "s");
  ASSERT_TRUE(Parses(ParseChat(Chat({{"stop", sixteen}}), &out)));
  EXPECT_EQ(out.common.stop.size(), 16u);
  sixteen.push_back("one too many");
  const std::optional<ApiError> error = ParseChat(Chat({{"stop", sixteen}}));
  ASSERT_TRUE(Fails(error, "stop", "invalid_value"));
  EXPECT_EQ(error->message, "'stop' may hold at most 16 strings, got 17");
}

TEST(ChatParamsTest, NFollowsTheLimit) {
  RequestLimits limits;
  limits.max_n = 2;
  EXPECT_TRUE(Parses(ParseChat(Chat({{"n", 2}}), nullptr, limits)));
  EXPECT_TRUE(Fails(ParseChat(Chat({{"n", 3}}), nullptr, limits), "n", "invalid_value"));
}

TEST(ChatParamsTest, NonFiniteNumbersAreRejected) {
  // JSON text cannot spell them, but a body built in code can.
  EXPECT_TRUE(Fails(ParseChat(Chat({{"temperature", std::numeric_limits<double>::quiet_NaN()}})), "temperature",
                    "invalid_value"));
  EXPECT_TRUE(Fails(ParseChat(Chat({{"repetition_penalty", std::numeric_limits<double>::infinity()}})),
                    "repetition_penalty", "invalid_value"));
  EXPECT_TRUE(Fails(ParseChat(Chat({{"n", std::numeric_limits<double>::infinity()}})), "n", "invalid_type"));
}

// --- messages ---

TEST(ChatMessagesTest, NormalizedExactly) {
  const Json body = Messages(R"([
    {"role": "system", "content": "Be brief.", "extra": 1},
    {"role": "developer", "content": [{"type": "text", "text": "Rule"}]},
    {"role": "user", "name": "ann",
     "content": [{"type": "text", "text": "Hello, "}, {"type": "text", "text": "world"}]},
    {"role": "assistant", "content": null, "reasoning_content": "think",
     "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"},
                     "index": 0}]},
    {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "42"}], "name": "f"},
    {"role": "assistant", "content": "It is ", "prefix": true}])");
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(body, &out)));
  const OrderedJson expected = OrderedJson::parse(R"([
    {"role": "system", "content": "Be brief."},
    {"role": "developer", "content": "Rule"},
    {"role": "user", "content": "Hello, world", "name": "ann"},
    {"role": "assistant", "content": null, "reasoning_content": "think",
     "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
    {"role": "tool", "content": "42", "name": "f", "tool_call_id": "c1"},
    {"role": "assistant", "content": "It is ", "prefix": true}])");
  EXPECT_EQ(out.messages.dump(), expected.dump());
}

TEST(ChatMessagesTest, TextPartsJoinWithoutSeparator) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Messages(R"([{"role": "user", "content": [{"type": "text", "text": "a"},
      {"type": "text", "text": ""}, {"type": "text", "text": "b\n"}, {"type": "text", "text": "c"}]}])"),
                               &out)));
  EXPECT_EQ(out.messages[0]["content"], "ab\nc");
  ASSERT_TRUE(Parses(ParseChat(Messages(R"([{"role": "user", "content": []}])"), &out)));
  EXPECT_EQ(out.messages[0]["content"], "");
}

TEST(ChatMessagesTest, ToolCallTypeDefaultsToFunction) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Messages(R"([{"role": "user", "content": "q"}, {"role": "assistant",
      "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{}"}}]}])"),
                               &out)));
  EXPECT_EQ(out.messages[1]["tool_calls"][0]["type"], "function");
  EXPECT_TRUE(out.messages[1]["content"].is_null());
}

TEST(ChatMessagesTest, ListLimit) {
  RequestLimits limits;
  limits.max_messages = 2;
  EXPECT_TRUE(Parses(
      ParseChat(Messages(R"([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])"), nullptr, limits)));
  EXPECT_TRUE(Fails(ParseChat(Messages(R"([{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
                                           {"role": "user", "content": "c"}])"),
                              nullptr, limits),
                    "messages", "invalid_value"));
}

TEST(ChatMessagesTest, MissingMessages) {
  Json body = Chat();
  body.erase("messages");
  EXPECT_TRUE(Fails(ParseChat(body), "messages", "missing_required_parameter"));
  body["messages"] = nullptr;
  EXPECT_TRUE(Fails(ParseChat(body), "messages", "missing_required_parameter"));
}

struct BadMessages {
  const char* messages;
  const char* param;
  const char* code;
};

void PrintTo(const BadMessages& m, std::ostream* os) { *os << m.messages; }

class ChatBadMessagesTest : public ::testing::TestWithParam<BadMessages> {};

TEST_P(ChatBadMessagesTest, IsA400NamingTheField) {
  EXPECT_TRUE(Fails(ParseChat(Messages(GetParam().messages)), GetParam().param, GetParam().code))
      << GetParam().messages;
}

INSTANTIATE_TEST_SUITE_P(
    All, ChatBadMessagesTest,
    ::testing::Values(
        BadMessages{R"({})", "messages", "invalid_type"}, BadMessages{R"("hi")", "messages", "invalid_type"},
        BadMessages{R"([])", "messages", "invalid_value"}, BadMessages{R"(["hi"])", "messages[0]", "invalid_type"},
        BadMessages{R"([{"content": "x"}])", "messages[0].role", "missing_required_parameter"},
        BadMessages{R"([{"role": 1, "content": "x"}])", "messages[0].role", "invalid_type"},
        BadMessages{R"([{"role": "function", "content": "x"}])", "messages[0].role", "invalid_value"},
        BadMessages{R"([{"role": "User", "content": "x"}])", "messages[0].role", "invalid_value"},
        BadMessages{R"([{"role": "user"}])", "messages[0].content", "missing_required_parameter"},
        BadMessages{R"([{"role": "system", "content": null}])", "messages[0].content", "missing_required_parameter"},
        BadMessages{R"([{"role": "user", "content": 5}])", "messages[0].content", "invalid_type"},
        BadMessages{R"([{"role": "user", "content": {"type": "text", "text": "x"}}])", "messages[0].content",
                    "invalid_type"},
        BadMessages{R"([{"role": "user", "content": ["x"]}])", "messages[0].content[0]", "invalid_type"},
        BadMessages{R"([{"role": "user", "content": [{"text": "x"}]}])", "messages[0].content[0].type",
                    "missing_required_parameter"},
        BadMessages{R"([{"role": "user", "content": [{"type": "text"}]}])", "messages[0].content[0].text",
                    "missing_required_parameter"},
        BadMessages{R"([{"role": "user", "content": [{"type": "text", "text": 1}]}])", "messages[0].content[0].text",
                    "invalid_type"},
        BadMessages{R"([{"role": "user", "content": "a"}, {"role": "user", "content": [{"type": "text", "text": "a"},
                        {"type": "image_url", "image_url": {"url": "http://x"}}]}])",
                    "messages[1].content[1].type", "unsupported_value"},
        BadMessages{R"([{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}])",
                    "messages[0].content[0].type", "unsupported_value"},
        BadMessages{R"([{"role": "user", "content": "x", "name": 5}])", "messages[0].name", "invalid_type"},
        BadMessages{R"([{"role": "assistant"}])", "messages[0].content", "missing_required_parameter"},
        BadMessages{R"([{"role": "assistant", "content": null, "tool_calls": []}])", "messages[0].content",
                    "missing_required_parameter"},
        BadMessages{R"([{"role": "assistant", "content": "x", "reasoning_content": 1}])",
                    "messages[0].reasoning_content", "invalid_type"},
        BadMessages{R"([{"role": "assistant", "content": "x", "tool_calls": {}}])", "messages[0].tool_calls",
                    "invalid_type"},
        BadMessages{R"([{"role": "assistant", "tool_calls": ["c"]}])", "messages[0].tool_calls[0]", "invalid_type"},
        BadMessages{R"([{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]}])",
                    "messages[0].tool_calls[0].id", "missing_required_parameter"},
        BadMessages{R"([{"role": "assistant", "tool_calls": [{"id": "c", "type": "custom",
                        "function": {"name": "f", "arguments": "{}"}}]}])",
                    "messages[0].tool_calls[0].type", "invalid_value"},
        BadMessages{R"([{"role": "assistant", "tool_calls": [{"id": "c"}]}])", "messages[0].tool_calls[0].function",
                    "missing_required_parameter"},
        BadMessages{R"([{"role": "assistant", "tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]}])",
                    "messages[0].tool_calls[0].function.name", "missing_required_parameter"},
        BadMessages{R"([{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f",
                        "arguments": {"a": 1}}}]}])",
                    "messages[0].tool_calls[0].function.arguments", "invalid_type"},
        BadMessages{R"([{"role": "assistant", "content": "x", "prefix": "yes"}])", "messages[0].prefix",
                    "invalid_type"},
        BadMessages{R"([{"role": "assistant", "content": "x", "prefix": true}, {"role": "user", "content": "y"}])",
                    "messages[0].prefix", "invalid_value"},
        BadMessages{R"([{"role": "tool", "content": "x"}])", "messages[0].tool_call_id", "missing_required_parameter"},
        BadMessages{R"([{"role": "tool", "content": "x", "tool_call_id": 5}])", "messages[0].tool_call_id",
                    "invalid_type"},
        BadMessages{R"([{"role": "tool", "tool_call_id": "c"}])", "messages[0].content",
                    "missing_required_parameter"}));

TEST(ChatMessagesTest, FieldsOfOtherRolesAreDropped) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Messages(R"([{"role": "user", "content": "x", "tool_call_id": 5, "prefix": 1,
                                             "tool_calls": 7, "reasoning_content": 3}])"),
                               &out)));
  EXPECT_EQ(out.messages.dump(), R"([{"role":"user","content":"x"}])");
}

// --- tools and tool_choice ---

const char* const kTools = R"([
  {"type": "function", "function": {"name": "get_weather", "description": "Weather.", "strict": true,
   "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}, "x": 1},
  {"type": "function", "function": {"name": "auto"}}])";

TEST(ChatToolsTest, NormalizedExactly) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Chat({{"tools", Json::parse(kTools)}}), &out)));
  // parameters keep their content; nlohmann::json (the body's type) orders object keys alphabetically.
  const OrderedJson expected = OrderedJson::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "description": "Weather.",
     "parameters": {"properties": {"city": {"type": "string"}}, "required": ["city"], "type": "object"}}},
    {"type": "function", "function": {"name": "auto"}}])");
  EXPECT_EQ(out.tools.dump(), expected.dump());
  EXPECT_EQ(out.tool_choice, "auto");
  EXPECT_FALSE(out.tool_choice_is_name);
}

TEST(ChatToolsTest, EmptyListMeansNoTools) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Chat({{"tools", Json::array()}}), &out)));
  EXPECT_TRUE(out.tools.is_null());
  EXPECT_EQ(out.tool_choice, "none");
}

TEST(ChatToolsTest, ToolChoiceValues) {
  const Json tools = Json::parse(kTools);
  ChatParams out;
  for (const char* mode : {"none", "auto", "required"}) {
    ASSERT_TRUE(Parses(ParseChat(Chat({{"tools", tools}, {"tool_choice", mode}}), &out)));
    EXPECT_EQ(out.tool_choice, mode);
    EXPECT_FALSE(out.tool_choice_is_name);
  }
  const Json named = Json::parse(R"({"type": "function", "function": {"name": "get_weather"}})");
  ASSERT_TRUE(Parses(ParseChat(Chat({{"tools", tools}, {"tool_choice", named}}), &out)));
  EXPECT_EQ(out.tool_choice, "get_weather");
  EXPECT_TRUE(out.tool_choice_is_name);
  // A tool may be called "auto"; choosing it by name is not the "auto" mode.
  const Json auto_named = Json::parse(R"({"type": "function", "function": {"name": "auto"}})");
  ASSERT_TRUE(Parses(ParseChat(Chat({{"tools", tools}, {"tool_choice", auto_named}}), &out)));
  EXPECT_EQ(out.tool_choice, "auto");
  EXPECT_TRUE(out.tool_choice_is_name);
  ASSERT_TRUE(Parses(ParseChat(Chat({{"tool_choice", "none"}}), &out)));
  EXPECT_EQ(out.tool_choice, "none");
}

TEST(ChatToolsTest, ToolChoiceNamingAMissingTool) {
  const Json body = Chat({{"tools", Json::parse(kTools)},
                          {"tool_choice", Json::parse(R"({"type": "function", "function": {"name": "search"}})")}});
  const std::optional<ApiError> error = ParseChat(body);
  ASSERT_TRUE(Fails(error, "tool_choice.function.name", "invalid_value"));
  EXPECT_EQ(error->message, "'tool_choice.function.name' \"search\" is not one of 'tools'");
}

class ChatBadToolsTest : public ::testing::TestWithParam<BadField> {};

TEST_P(ChatBadToolsTest, IsA400NamingTheField) {
  Json body = Chat({{"tools", Json::parse(kTools)}});
  body.update(Json::parse(GetParam().extra));
  EXPECT_TRUE(Fails(ParseChat(body), GetParam().param, GetParam().code)) << GetParam().extra;
}

INSTANTIATE_TEST_SUITE_P(
    All, ChatBadToolsTest,
    ::testing::Values(
        BadField{R"({"tools": {}})", "tools", "invalid_type"},
        BadField{R"({"tools": ["f"]})", "tools[0]", "invalid_type"},
        BadField{R"({"tools": [{"function": {"name": "f"}}]})", "tools[0].type", "missing_required_parameter"},
        BadField{R"({"tools": [{"type": "custom", "function": {"name": "f"}}]})", "tools[0].type", "invalid_value"},
        BadField{R"({"tools": [{"type": "function"}]})", "tools[0].function", "missing_required_parameter"},
        BadField{R"({"tools": [{"type": "function", "function": "f"}]})", "tools[0].function", "invalid_type"},
        BadField{R"({"tools": [{"type": "function", "function": {}}]})", "tools[0].function.name",
                 "missing_required_parameter"},
        BadField{R"({"tools": [{"type": "function", "function": {"name": "get weather"}}]})", "tools[0].function.name",
                 "invalid_value"},
        BadField{R"({"tools": [{"type": "function", "function": {"name": ""}}]})", "tools[0].function.name",
                 "invalid_value"},
        BadField{R"({"tools": [{"type": "function", "function": {"name": "x.y"}}]})", "tools[0].function.name",
                 "invalid_value"},
        BadField{R"({"tools": [{"type": "function", "function": {"name": "f", "description": 5}}]})",
                 "tools[0].function.description", "invalid_type"},
        BadField{R"({"tools": [{"type": "function", "function": {"name": "f", "parameters": "{}"}}]})",
                 "tools[0].function.parameters", "invalid_type"},
        BadField{R"({"tools": [{"type": "function", "function": {"name": "f"}},
                               {"type": "function", "function": {"name": "f"}}]})",
                 "tools[1].function.name", "invalid_value"},
        BadField{R"({"tool_choice": "sometimes"})", "tool_choice", "invalid_value"},
        BadField{R"({"tool_choice": 5})", "tool_choice", "invalid_type"},
        BadField{R"({"tool_choice": {"type": "function"}})", "tool_choice.function", "missing_required_parameter"},
        BadField{R"({"tool_choice": {"function": {"name": "auto"}}})", "tool_choice.type",
                 "missing_required_parameter"},
        BadField{R"({"tool_choice": {"type": "allowed_tools", "function": {"name": "auto"}}})", "tool_choice.type",
                 "invalid_value"},
        BadField{R"({"tool_choice": {"type": "function", "function": {"name": 5}}})", "tool_choice.function.name",
                 "invalid_type"},
        BadField{R"({"tools": null, "tool_choice": "auto"})", "tool_choice", "invalid_value"},
        BadField{R"({"tools": [], "tool_choice": "required"})", "tool_choice", "invalid_value"},
        BadField{R"({"tools": null, "tool_choice": {"type": "function", "function": {"name": "f"}}})", "tool_choice",
                 "invalid_value"}));

TEST(ChatToolsTest, NameLengthLimit) {
  const std::string name64(64, 'a');
  const Json tool64 = {{"type", "function"}, {"function", {{"name", name64}}}};
  EXPECT_TRUE(Parses(ParseChat(Chat({{"tools", Json::array({tool64})}}))));
  const Json tool65 = {{"type", "function"}, {"function", {{"name", name64 + "a"}}}};
  EXPECT_TRUE(Fails(ParseChat(Chat({{"tools", Json::array({tool65})}})), "tools[0].function.name", "invalid_value"));
  const Json tool_ok = {{"type", "function"}, {"function", {{"name", "A-z_09"}}}};
  EXPECT_TRUE(Parses(ParseChat(Chat({{"tools", Json::array({tool_ok})}}))));
}

TEST(ChatToolsTest, ListLimitAndSchemaDepth) {
  RequestLimits limits;
  limits.max_tools = 1;
  const Json tools = Json::parse(kTools);
  EXPECT_TRUE(Fails(ParseChat(Chat({{"tools", tools}}), nullptr, limits), "tools", "invalid_value"));
  Json deep = Json::object();
  for (int i = 0; i < 100; ++i) deep = Json{{"items", deep}};
  const Json tool = {{"type", "function"}, {"function", {{"name", "f"}, {"parameters", deep}}}};
  EXPECT_TRUE(
      Fails(ParseChat(Chat({{"tools", Json::array({tool})}})), "tools[0].function.parameters", "invalid_value"));
}

// --- thinking ---

TEST(ChatThinkingTest, ThreeSpellings) {
  ChatParams out;
  const auto thinking = [&](const char* extra) {
    EXPECT_TRUE(Parses(ParseChat(Chat(Json::parse(extra)), &out))) << extra;
    return out.thinking;
  };
  EXPECT_EQ(thinking(R"({"thinking": {"type": "enabled"}})"), std::optional<bool>(true));
  EXPECT_EQ(thinking(R"({"thinking": {"type": "disabled"}})"), std::optional<bool>(false));
  EXPECT_EQ(thinking(R"({"reasoning_effort": "none"})"), std::optional<bool>(false));
  EXPECT_EQ(thinking(R"({"reasoning_effort": "minimal"})"), std::optional<bool>(false));
  EXPECT_EQ(thinking(R"({"reasoning_effort": "max"})"), std::optional<bool>(true));
  EXPECT_EQ(out.reasoning_effort, "max");
  EXPECT_EQ(thinking(R"({"reasoning_effort": "low"})"), std::optional<bool>(true));
  EXPECT_EQ(thinking(R"({"chat_template_kwargs": {"enable_thinking": false}})"), std::optional<bool>(false));
  EXPECT_EQ(thinking(R"({"chat_template_kwargs": {"thinking": true}})"), std::optional<bool>(true));
  EXPECT_FALSE(thinking(R"({"chat_template_kwargs": {"other": 1}})").has_value());
  // The most specific wins: thinking, then chat_template_kwargs (enable_thinking first), then reasoning_effort.
  EXPECT_EQ(thinking(R"({"thinking": {"type": "enabled"}, "chat_template_kwargs": {"enable_thinking": false},
                         "reasoning_effort": "none"})"),
            std::optional<bool>(true));
  EXPECT_EQ(thinking(R"({"chat_template_kwargs": {"enable_thinking": true, "thinking": false},
                         "reasoning_effort": "none"})"),
            std::optional<bool>(true));
  EXPECT_EQ(thinking(R"({"chat_template_kwargs": {"thinking": false}, "reasoning_effort": "high"})"),
            std::optional<bool>(false));
}

TEST(ChatResponseFormatTest, TextAndJsonObject) {
  ChatParams out;
  ASSERT_TRUE(Parses(ParseChat(Chat({{"response_format", {{"type", "text"}}}}), &out)));
  EXPECT_FALSE(out.json_object);
  ASSERT_TRUE(Parses(ParseChat(Chat({{"response_format", {{"type", "json_object"}}}}), &out)));
  EXPECT_TRUE(out.json_object);
  const std::optional<ApiError> error = ParseChat(Chat({{"response_format", {{"type", "json_schema"}}}}));
  ASSERT_TRUE(Fails(error, "response_format.type", "unsupported_value"));
  EXPECT_NE(error->message.find("not supported yet"), std::string::npos);
}

}  // namespace
}  // namespace baleen
