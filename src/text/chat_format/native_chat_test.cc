// Tests for the native DeepSeek-V3.2 / V4 prompt formats: every fixture in tests/data/chat_formats renders
// byte-identically (fixtures from tools/chat_format_fixtures/generate.py), and malformed messages give errors that
// name the message and field. Text layer.
#include "text/chat_format/native_chat.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "text/chat_format/chat_messages.h"

namespace baleen {
namespace {

using Json = nlohmann::ordered_json;

Json LoadFixtures(const std::string& name) {
  const char* dir = std::getenv("BALEEN_TEST_DATA");
  EXPECT_NE(dir, nullptr) << "BALEEN_TEST_DATA is not set";
  if (dir == nullptr) return Json();
  std::ifstream in(std::string(dir) + "/chat_formats/" + name + ".fixtures.json");
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
}

NativeChatOptions OptionsFrom(const Json& json) {
  NativeChatOptions options;
  options.add_generation_prompt = json.value("add_generation_prompt", true);
  options.thinking = json.value("thinking", false);
  options.drop_thinking = json.value("drop_thinking", true);
  options.reasoning_effort = json.value("reasoning_effort", "");
  if (json.contains("response_format")) options.response_format = json["response_format"];
  if (json.contains("bos_token")) options.bos_token = json["bos_token"].get<std::string>();
  return options;
}

void ExpectFixturesRender(const std::string& name) {
  const Json suite = LoadFixtures(name);
  ASSERT_TRUE(suite.is_object()) << name << ": fixtures missing or not JSON";
  auto format = ParseNativeChatFormat(suite["format"].get<std::string>());
  ASSERT_TRUE(format.ok()) << format.status().ToString();
  ASSERT_GE(suite["cases"].size(), 20u);
  for (const Json& c : suite["cases"]) {
    auto got = RenderNativeChat(*format, c["messages"], c["tools"], OptionsFrom(c["options"]));
    ASSERT_TRUE(got.ok()) << name << "/" << c["name"].get<std::string>() << ": " << got.status().ToString();
    EXPECT_EQ(*got, c["expected"].get<std::string>()) << name << "/" << c["name"].get<std::string>();
  }
}

TEST(NativeChatFixtures, DeepseekV32) { ExpectFixturesRender("deepseek-v3.2"); }
TEST(NativeChatFixtures, DeepseekV4) { ExpectFixturesRender("deepseek-v4"); }

TEST(NativeChat, ParsesFormatNames) {
  EXPECT_EQ(*ParseNativeChatFormat("deepseek-v3.2"), NativeChatFormat::kDeepseekV32);
  EXPECT_EQ(*ParseNativeChatFormat("deepseek-v4"), NativeChatFormat::kDeepseekV4);
  auto bad = ParseNativeChatFormat("deepseek-v5");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("deepseek-v5"), std::string::npos);
}

// Renders with both formats; both must fail with a message containing `expected`.
void ExpectError(const Json& messages, const std::string& expected, const Json& tools = nullptr) {
  for (NativeChatFormat format : {NativeChatFormat::kDeepseekV32, NativeChatFormat::kDeepseekV4}) {
    auto got = RenderNativeChat(format, messages, tools, {});
    ASSERT_FALSE(got.ok()) << NativeChatFormatName(format) << " accepted " << messages.dump();
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(got.status().message().find(expected), std::string::npos)
        << NativeChatFormatName(format) << ": " << got.status().message();
  }
}

Json Call(Json arguments) {
  return Json{{"type", "function"}, {"function", {{"name", "f"}, {"arguments", std::move(arguments)}}}};
}

// [user, assistant with these tool_calls]
Json WithCalls(Json calls) {
  Json assistant = {{"role", "assistant"}, {"content", ""}};
  assistant["tool_calls"] = std::move(calls);
  return Json::array({Json{{"role", "user"}, {"content", "hi"}}, assistant});
}

TEST(NativeChatErrors, NameTheMessageAndField) {
  const Json user = {{"role", "user"}, {"content", "hi"}};
  ExpectError(Json::object(), "messages: expected a list");
  ExpectError(Json::array({user, 3}), "messages[1]: expected an object");
  ExpectError(Json::array({user, {{"role", "critic"}, {"content", "x"}}}), "messages[1].role: unknown role \"critic\"");
  ExpectError(Json::array({{{"content", "x"}}}), "messages[0].role: expected a string");
  ExpectError(Json::array({{{"role", "user"}, {"content", Json::array()}}}), "messages[0].content: expected a string");
  ExpectError(WithCalls(Json{{"a", 1}}), "messages[1].tool_calls: expected a list");
  ExpectError(WithCalls(Json::array({Call("{\"a\": ")})),
              "messages[1].tool_calls[0].function.arguments: not valid JSON");
  ExpectError(WithCalls(Json::array({Call("[1, 2]")})),
              "messages[1].tool_calls[0].function.arguments: expected a JSON object");
  ExpectError(WithCalls(Json::array({Call(7)})),
              "messages[1].tool_calls[0].function.arguments: expected a JSON object");
  ExpectError(WithCalls(Json::array({Json{{"function", {{"arguments", "{}"}}}}})),
              "messages[1].tool_calls[0].function.name: expected a string");
  ExpectError(Json::array({{{"role", "developer"}, {"content", ""}}}), "messages[0].content: a developer message");
  ExpectError(Json::array({user}), "tools: expected a list", Json("get_weather"));
  ExpectError(Json::array({user}), "tools[0].function: expected an object", Json::array({{{"type", "function"}}}));
}

TEST(NativeChatErrors, V32ToolResultsNeedTheirCalls) {
  const Json orphan = Json::array({{{"role", "user"}, {"content", "hi"}}, {{"role", "tool"}, {"content", "x"}}});
  auto got = RenderNativeChat(NativeChatFormat::kDeepseekV32, orphan, nullptr, {});
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("messages[1]"), std::string::npos) << got.status().message();
  // V4 folds a stray tool result into the user turn, as its encoder does.
  EXPECT_TRUE(RenderNativeChat(NativeChatFormat::kDeepseekV4, orphan, nullptr, {}).ok());
}

TEST(NativeChatErrors, V4RejectsUnknownReasoningEffort) {
  NativeChatOptions options;
  options.reasoning_effort = "extreme";
  auto got = RenderNativeChat(NativeChatFormat::kDeepseekV4, Json::array({{{"role", "user"}, {"content", "q"}}}),
                              nullptr, options);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("reasoning_effort"), std::string::npos);
}

TEST(PythonJson, MatchesJsonDumps) {
  using chat_format::PythonJsonDumps;
  EXPECT_EQ(PythonJsonDumps(Json::parse(R"({"a": [1, 2.5, true, null], "b": {"c": "d"}})")),
            R"({"a": [1, 2.5, true, null], "b": {"c": "d"}})");
  EXPECT_EQ(PythonJsonDumps(Json::parse("[1e16, 1e15, 1e-5, 0.0001, 100.0, -0.0, 1.5e300, 123456789.125]")),
            "[1e+16, 1000000000000000.0, 1e-05, 0.0001, 100.0, -0.0, 1.5e+300, 123456789.125]");
  EXPECT_EQ(PythonJsonDumps(Json("\"\\\n\t\x01\x1f ü 東京 \xe2\x80\xa8")),
            "\"\\\"\\\\\\n\\t\\u0001\\u001f ü 東京 \xe2\x80\xa8\"");
  EXPECT_EQ(PythonJsonDumps(Json::parse("[18446744073709551615, -9223372036854775808]")),
            "[18446744073709551615, -9223372036854775808]");
}

}  // namespace
}  // namespace baleen
