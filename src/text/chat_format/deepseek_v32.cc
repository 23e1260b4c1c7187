// DeepSeek-V3.2 prompt format (text layer). Mirrors encode_messages / render_message in DeepSeek's
// `encoding/encoding_dsv32.py`: every user turn ends with `<｜Assistant｜>` plus `<think>` (the last user turn in
// thinking mode) or `</think>`; tool results stay inside the assistant turn as <function_results>; tool calls are a
// DSML <｜DSML｜function_calls> block.
#include <string>
#include <vector>

#include "text/chat_format/chat_messages.h"

namespace baleen::chat_format {
namespace {

constexpr char kToolsHead[] =
    "## Tools\n\n"
    "You have access to a set of tools you can use to answer the user's question.\n"
    "You can invoke functions by writing a \"<｜DSML｜function_calls>\" block like the following as part of your "
    "reply to the user:\n"
    "<｜DSML｜function_calls>\n"
    "<｜DSML｜invoke name=\"$FUNCTION_NAME\">\n"
    "<｜DSML｜parameter name=\"$PARAMETER_NAME\" string=\"true|false\">$PARAMETER_VALUE</｜DSML｜parameter>\n"
    "...\n"
    "</｜DSML｜invoke>\n"
    "<｜DSML｜invoke name=\"$FUNCTION_NAME2\">\n"
    "...\n"
    "</｜DSML｜invoke>\n"
    "</｜DSML｜function_calls>\n\n"
    "String and scalar parameters should be specified as is without any escaping or quotes, while lists and objects "
    "should use JSON format. The \"string\" attribute should be set to \"true\" for string type parameters and "
    "\"false\" for other types (numbers, booleans, arrays, objects).\n\n"
    "If the thinking_mode is enabled, then after function results you should strongly consider outputting a "
    "thinking block. Here is an example:\n\n"
    "<｜DSML｜function_calls>\n"
    "...\n"
    "</｜DSML｜function_calls>\n\n"
    "<function_results>\n"
    "...\n"
    "</function_results>\n\n"
    "<think>...thinking about results</think>\n\n"
    "Here are the functions available in JSONSchema format:\n"
    "<functions>\n";
constexpr char kToolsTail[] = "\n</functions>\n";

// One message's text, and the assistant opener that follows it (dropped at the end without a generation prompt).
struct Rendered {
  std::string body;
  std::string opener;
};

std::string Attachments(const ChatMessage& message) { return MessageAttachments(message, kToolsHead, kToolsTail); }

std::string Field(int index, const char* field) {
  return "messages[" + std::to_string(index) + "]." + field;
}

// A tool result is the N-th answer to the nearest assistant message before the run of tool messages.
Result<Rendered> RenderTool(const std::vector<ChatMessage>& messages, int index, int last_user, bool thinking) {
  int assistant = index - 1;
  while (assistant >= 0 && messages[static_cast<size_t>(assistant)].role == "tool") --assistant;
  if (assistant < 0 || messages[static_cast<size_t>(assistant)].role != "assistant") {
    return InvalidArgument(Field(index, "role") + ": a tool result must follow an assistant message with tool_calls");
  }
  const size_t n_calls = messages[static_cast<size_t>(assistant)].tool_calls.size();
  const size_t order = static_cast<size_t>(index - assistant);
  if (n_calls < order) {
    return InvalidArgument(Field(index, "role") + ": more tool results than the assistant's tool_calls (" +
                           std::to_string(n_calls) + ")");
  }
  Rendered out;
  if (order == 1) out.body += "\n\n<function_results>";
  out.body += "\n<result>" + messages[static_cast<size_t>(index)].content + "</result>";
  if (order == n_calls) {
    out.body += "\n</function_results>";
    out.opener = std::string("\n\n") + (index >= last_user && thinking ? kThinkStart : kThinkEnd);
  }
  return out;
}

Result<Rendered> RenderAssistant(const ChatMessage& message, int index, int last_user, bool thinking) {
  Rendered out;
  if (thinking && index > last_user) {
    if (message.reasoning_content.empty() && message.tool_calls.empty()) {
      return InvalidArgument(Field(index, "reasoning_content") +
                             ": in thinking mode an assistant message after the last user message needs "
                             "reasoning_content or tool_calls");
    }
    out.body += message.reasoning_content + kThinkEnd;
  }
  out.body += message.content + DsmlToolCallsBlock(message.tool_calls, "function_calls") + kEos;
  return out;
}

Result<Rendered> RenderMessage(const std::vector<ChatMessage>& messages, int index, int last_user, bool thinking) {
  const ChatMessage& message = messages[static_cast<size_t>(index)];
  const std::string think = (index == last_user && thinking) ? kThinkStart : kThinkEnd;
  if (message.role == "system") return Rendered{message.content + Attachments(message), ""};
  if (message.role == "developer") {
    return Rendered{kUser + Attachments(message) + "\n\n# The user's message is: " + message.content,
                    kAssistant + think};
  }
  if (message.role == "user") return Rendered{kUser + message.content, kAssistant + think};
  if (message.role == "tool") return RenderTool(messages, index, last_user, thinking);
  return RenderAssistant(message, index, last_user, thinking);
}

// drop_thinking_messages: before the last user message only user, system, tool and assistant messages survive
// (the assistant's reasoning goes too, but V3.2 never renders it there anyway).
std::vector<ChatMessage> DropThinking(std::vector<ChatMessage> messages) {
  const int last_user = LastUserIndex(messages);
  std::vector<ChatMessage> kept;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].role == "developer" && static_cast<int>(i) < last_user) continue;
    kept.push_back(std::move(messages[i]));
  }
  return kept;
}

}  // namespace

Result<std::string> RenderDeepseekV32(std::vector<ChatMessage> messages, const NativeChatOptions& options) {
  if (options.thinking && options.drop_thinking) messages = DropThinking(std::move(messages));
  const int last_user = LastUserIndex(messages);
  std::string prompt = options.bos_token;
  const int n = static_cast<int>(messages.size());
  for (int i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(Rendered piece, RenderMessage(messages, i, last_user, options.thinking));
    prompt += piece.body;
    if (i + 1 < n || options.add_generation_prompt) prompt += piece.opener;
  }
  return prompt;
}

}  // namespace baleen::chat_format
