// Native prompt formats for models that ship a Python encoder instead of a Jinja chat template (text layer):
// DeepSeek-V3.2 (`encoding/encoding_dsv32.py`) and DeepSeek-V4 (`encoding/encoding_dsv4.py`), with DSML tool calls.
//
// Messages are OpenAI-shaped: system / user / assistant / tool (and developer, which both encoders know).
//   assistant: content, reasoning_content, tool_calls [{id?, type?, function: {name, arguments}}], where arguments
//              is a JSON object or a string holding one;
//   tool:      content, tool_call_id.
// Content is a string or null (null renders as ""). `tools` is null or an OpenAI tools array.
//
// Where tools and response_format go: DeepSeek's encoders read them from a message (`messages[i].tools`); the
// request carries them beside the messages. They are attached to the first message when it is a system message
// (DeepSeek's own test conversations put them there), else to a new empty system message inserted in front
// (what vLLM and SGLang always do, which moves the tool block before a caller's system prompt: rejected).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace baleen {

enum class NativeChatFormat { kDeepseekV32, kDeepseekV4 };

// "deepseek-v3.2" or "deepseek-v4".
Result<NativeChatFormat> ParseNativeChatFormat(std::string_view name);
const char* NativeChatFormatName(NativeChatFormat format);

struct NativeChatOptions {
  // The encoders always end a final user turn with the assistant opener (`<｜Assistant｜><think>` or `…</think>`;
  // V3.2 also after the last tool result of a call batch). false removes that trailing opener.
  bool add_generation_prompt = true;
  bool thinking = false;       // thinking_mode "thinking" (true) or "chat"
  bool drop_thinking = true;   // drop earlier turns' reasoning (V4: ignored when tools are given, as the encoder does)
  std::string reasoning_effort;            // V4: "" (none), "high" (adds nothing), "max" (prepends the max prompt)
  nlohmann::ordered_json response_format;  // null, or a schema object rendered after the tools block
  std::string bos_token = "<｜begin▁of▁sentence｜>";
};

// Renders the prompt exactly as DeepSeek's encoder does. Errors name the message index and field, e.g.
// "messages[3].tool_calls[0].function.arguments: not valid JSON".
Result<std::string> RenderNativeChat(NativeChatFormat format, const nlohmann::ordered_json& messages,
                                     const nlohmann::ordered_json& tools, const NativeChatOptions& options);

}  // namespace baleen
