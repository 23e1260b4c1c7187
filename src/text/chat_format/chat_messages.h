// Internal to text/chat_format: OpenAI-shaped JSON messages checked once into typed messages, the pieces of DSML
// markup both DeepSeek encoders share, and Python-compatible JSON text (`json.dumps(v, ensure_ascii=False)`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "text/chat_format/native_chat.h"

namespace baleen::chat_format {

struct ToolCallView {
  std::string id;               // tool_calls[i].id, or tool_calls[i].function.id; "" when absent
  std::string name;
  std::string dsml_parameters;  // the <｜DSML｜parameter …> lines joined by "\n"
};

struct ChatMessage {
  std::string role;  // system, user, assistant, tool, developer
  std::string content;
  std::string reasoning_content;
  std::vector<ToolCallView> tool_calls;
  std::string tool_call_id;
  std::vector<std::string> tool_schemas;  // system only: Python JSON of each tools[i].function
  std::string response_format;            // system only: Python JSON, "" for none
};

// Python's json.dumps(value, ensure_ascii=False): ", " and ": " separators, float repr, keys in order.
std::string PythonJsonDumps(const nlohmann::ordered_json& value);

// Checks every message and converts it; tools and response_format are attached as the header comment of
// native_chat.h says. Errors name messages[i].field.
Result<std::vector<ChatMessage>> PrepareMessages(const nlohmann::ordered_json& messages,
                                                 const nlohmann::ordered_json& tools,
                                                 const nlohmann::ordered_json& response_format);

// "\n\n<｜DSML｜BLOCK>\n<｜DSML｜invoke name=\"N\">\nPARAMS\n</｜DSML｜invoke>…\n</｜DSML｜BLOCK>", or "" without calls.
// BLOCK is function_calls (V3.2) or tool_calls (V4).
std::string DsmlToolCallsBlock(const std::vector<ToolCallView>& calls, const std::string& block_name);

// "## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n" + schema.
std::string ResponseFormatSection(const std::string& schema_json);

// What a system or developer message carries after its text: the tools section (`tools_head`, one schema per line,
// `tools_tail`: the two formats word it differently) and the response format, each after "\n\n".
std::string MessageAttachments(const ChatMessage& message, std::string_view tools_head, std::string_view tools_tail);

inline constexpr char kEos[] = "<｜end▁of▁sentence｜>";
inline constexpr char kUser[] = "<｜User｜>";
inline constexpr char kAssistant[] = "<｜Assistant｜>";
inline constexpr char kThinkStart[] = "<think>";
inline constexpr char kThinkEnd[] = "</think>";

// Index of the last user or developer message, -1 if none (the encoders' find_last_user_index).
int LastUserIndex(const std::vector<ChatMessage>& messages);

Result<std::string> RenderDeepseekV32(std::vector<ChatMessage> messages, const NativeChatOptions& options);
Result<std::string> RenderDeepseekV4(std::vector<ChatMessage> messages, const NativeChatOptions& options);

}  // namespace baleen::chat_format
