// Entry points of text/chat_format: format names, and one render call that checks the messages once and hands
// typed messages to the DeepSeek-V3.2 or V4 renderer. No exception leaves this layer.
#include "text/chat_format/native_chat.h"

#include "text/chat_format/chat_messages.h"

namespace baleen {

Result<NativeChatFormat> ParseNativeChatFormat(std::string_view name) {
  if (name == "deepseek-v3.2") return NativeChatFormat::kDeepseekV32;
  if (name == "deepseek-v4") return NativeChatFormat::kDeepseekV4;
  return InvalidArgument("unknown chat format \"" + std::string(name) +
                         "\" (built-in formats: deepseek-v3.2, deepseek-v4)");
}

const char* NativeChatFormatName(NativeChatFormat format) {
  return format == NativeChatFormat::kDeepseekV32 ? "deepseek-v3.2" : "deepseek-v4";
}

Result<std::string> RenderNativeChat(NativeChatFormat format, const nlohmann::ordered_json& messages,
                                     const nlohmann::ordered_json& tools, const NativeChatOptions& options) {
  ASSIGN_OR_RETURN(std::vector<chat_format::ChatMessage> prepared,
                   chat_format::PrepareMessages(messages, tools, options.response_format));
  if (format == NativeChatFormat::kDeepseekV32) return chat_format::RenderDeepseekV32(std::move(prepared), options);
  return chat_format::RenderDeepseekV4(std::move(prepared), options);
}

}  // namespace baleen
