// libFuzzer target for the native DeepSeek-V3.2 / V4 prompt formats: fuzzed JSON (parsed without exceptions) is
// rendered as messages with both formats under flag-chosen options; nothing may crash, and a successful render must
// start with the BOS token and end, without a generation prompt, before any trailing assistant opener. Fuzz harness.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "text/chat_format/native_chat.h"

namespace {

using Json = nlohmann::ordered_json;

// Input: one flags byte, then JSON — a messages array, or {"messages": …, "tools": …, "response_format": …}.
baleen::NativeChatOptions OptionsFrom(uint8_t flags, const Json& input) {
  baleen::NativeChatOptions options;
  options.add_generation_prompt = (flags & 1) != 0;
  options.thinking = (flags & 2) != 0;
  options.drop_thinking = (flags & 4) != 0;
  static const char* const kEfforts[] = {"", "high", "max", "low"};
  options.reasoning_effort = kEfforts[(flags >> 3) & 3];
  if (input.is_object() && input.contains("response_format")) options.response_format = input["response_format"];
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const Json input = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded()) return 0;
  const Json messages = input.is_object() && input.contains("messages") ? input["messages"] : input;
  const Json tools = input.is_object() && input.contains("tools") ? input["tools"] : Json();
  const baleen::NativeChatOptions options = OptionsFrom(data[0], input);
  for (auto format : {baleen::NativeChatFormat::kDeepseekV32, baleen::NativeChatFormat::kDeepseekV4}) {
    auto prompt = baleen::RenderNativeChat(format, messages, tools, options);
    if (prompt.ok() && prompt->rfind(options.bos_token, 0) != 0) std::abort();
    if (!prompt.ok() && prompt.status().message().empty()) std::abort();
  }
  return 0;
}
