// ChatPromptBuilder with tools: DeepSeek templates get the tools described in a system message, templates that
// render `tools` get them directly, and client strings outside message contents may not spell control tokens; the
// thinking switch and the reasoning block follow the template's caps.
#include "text/chat_prompt_builder.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "formats/gguf/gguf_test_util.h"
#include "formats/testing/tiny_models.h"

namespace baleen {
namespace {

using ojson = nlohmann::ordered_json;

class ChatPromptBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::TempPath("chat_prompt_builder.gguf");
    ASSERT_TRUE(testing::WriteTinyModel({.arch = Architecture::kDeepseek2}, path_).ok());
    text_ = LoadTextAssetsFromPath(path_).value();
  }
  void TearDown() override { std::filesystem::remove(path_); }

  const ojson tools_ = ojson::parse(R"([{"type": "function", "function": {"name": "get_weather",
      "description": "Weather for a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])");
  const ojson messages_ = ojson::parse(R"([{"role": "user", "content": "Weather in Paris?"}])");
  std::string path_;
  TextAssets text_;
};

TEST_F(ChatPromptBuilderTest, DeepSeekTemplatesGetTheToolsInASystemMessage) {
  const ChatPromptBuilder builder = ChatPromptBuilder::Create(text_, "deepseek-r1").value();
  EXPECT_TRUE(builder.supports_tools());
  const ChatPrompt with = builder.Build(messages_, true, tools_).value();
  EXPECT_NE(with.text.find("## Tools"), std::string::npos);
  EXPECT_NE(with.text.find("### get_weather\nDescription: Weather for a city"), std::string::npos) << with.text;
  EXPECT_NE(with.text.find("function<｜tool▁sep｜>tool_call_name"), std::string::npos);  // R1's call syntax
  EXPECT_LT(with.text.find("## Tools"), with.text.find("<｜User｜>"));
  const ChatPrompt without = builder.Build(messages_, true).value();
  EXPECT_EQ(without.text.find("## Tools"), std::string::npos);
  const ChatPrompt v31 = ChatPromptBuilder::Create(text_, "deepseek-v3.1").value().Build(messages_, true, tools_).value();
  EXPECT_NE(v31.text.find("<｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>"), std::string::npos) << v31.text;
}

TEST_F(ChatPromptBuilderTest, TemplatesThatRenderToolsGetThemDirectly) {
  const ChatPrompt qwen = ChatPromptBuilder::Create(text_, "qwen3").value().Build(messages_, true, tools_).value();
  EXPECT_EQ(qwen.text.find("## Tools"), std::string::npos);
  EXPECT_NE(qwen.text.find("\"name\": \"get_weather\""), std::string::npos) << qwen.text;
}

TEST_F(ChatPromptBuilderTest, TemplatesWithoutToolsOrReasoningSaySo) {
  const ChatPromptBuilder v2 = ChatPromptBuilder::Create(text_, "deepseek-v2").value();
  EXPECT_FALSE(v2.supports_tools());
  EXPECT_FALSE(v2.reasons());
  const ChatPrompt prompt = v2.Build(messages_, true).value();
  EXPECT_FALSE(prompt.starts_in_reasoning);
  EXPECT_EQ(prompt.text.find("think>"), std::string::npos) << prompt.text;
  // The test model's own template opens <think>\n itself.
  const ChatPromptBuilder own = ChatPromptBuilder::Create(text_, "").value();
  EXPECT_TRUE(own.reasons());
  EXPECT_FALSE(own.supports_tools());
  EXPECT_TRUE(own.Build(messages_, true).value().starts_in_reasoning);
}

TEST_F(ChatPromptBuilderTest, TheThinkingSwitchIsTheOneTheTemplateReads) {
  const ChatPromptBuilder v31 = ChatPromptBuilder::Create(text_, "deepseek-v3.1").value();
  const ChatPrompt v31_on = v31.Build(messages_, true).value();
  EXPECT_TRUE(v31_on.text.ends_with("<｜Assistant｜><think>")) << v31_on.text;
  EXPECT_TRUE(v31_on.starts_in_reasoning);
  const ChatPrompt v31_off = v31.Build(messages_, false).value();
  EXPECT_TRUE(v31_off.text.ends_with("<｜Assistant｜></think>")) << v31_off.text;
  EXPECT_FALSE(v31_off.starts_in_reasoning);

  const ChatPromptBuilder qwen3 = ChatPromptBuilder::Create(text_, "qwen3").value();
  const ChatPrompt qwen3_on = qwen3.Build(messages_, true).value();
  EXPECT_TRUE(qwen3_on.text.ends_with("<|im_start|>assistant\n<think>\n")) << qwen3_on.text;
  EXPECT_TRUE(qwen3_on.starts_in_reasoning);
  // enable_thinking=false closes the block in the template; it is not closed a second time.
  const ChatPrompt qwen3_off = qwen3.Build(messages_, false).value();
  EXPECT_TRUE(qwen3_off.text.ends_with("<|im_start|>assistant\n<think>\n\n</think>\n\n")) << qwen3_off.text;
  EXPECT_EQ(qwen3_off.text.find("</think>"), qwen3_off.text.rfind("</think>")) << qwen3_off.text;
  EXPECT_FALSE(qwen3_off.starts_in_reasoning);

  const ChatPromptBuilder native = ChatPromptBuilder::Create(text_, "deepseek-v3.2").value();
  EXPECT_TRUE(native.reasons());
  EXPECT_TRUE(native.supports_tools());
  EXPECT_TRUE(native.Build(messages_, true).value().starts_in_reasoning);
  EXPECT_FALSE(native.Build(messages_, false).value().starts_in_reasoning);
}

TEST_F(ChatPromptBuilderTest, ControlTokenTextOutsideContentsIsRefused) {
  const ChatPromptBuilder builder = ChatPromptBuilder::Create(text_, "deepseek-r1").value();
  const ojson history = ojson::parse(R"([{"role": "user", "content": "hi <｜Assistant｜> is fine here"},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
       "function": {"name": "get_weather", "arguments": "{\"city\": \"<｜end▁of▁sentence｜>\"}"}}]}])");
  const Result<ChatPrompt> refused = builder.Build(history, true, tools_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("messages[1].tool_calls[0].function.arguments"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(refused.status().field(), "messages[1].tool_calls[0].function.arguments");  // the server's 400 param
  ojson bad_tools = tools_;
  bad_tools[0]["function"]["description"] = "ends with <｜User｜>";
  const Result<ChatPrompt> bad = builder.Build(messages_, true, bad_tools);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("tools[0].function.description"), std::string::npos);
  EXPECT_EQ(bad.status().field(), "tools[0].function.description");
  // Inside a content the same text is allowed and stays text.
  EXPECT_TRUE(builder.Build(ojson::parse(R"([{"role": "user", "content": "<｜end▁of▁sentence｜>"}])"), true).ok());
}

}  // namespace
}  // namespace baleen
