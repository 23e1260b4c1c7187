// What a chat template (or a native chat format) does by itself, found once when it is loaded by rendering it with
// probe conversations: whether it knows <think> blocks and where its generation prompt leaves them, whether it
// renders the `tools` list, which tool-call markup it writes, and the name of its thinking switch. Text layer;
// ChatPromptBuilder reads these instead of searching the template's source for strings.
#pragma once

#include <string>
#include <string_view>

#include "text/chat_format/native_chat.h"
#include "text/jinja/template.h"

namespace baleen {

// The markup a template writes for an assistant's tool calls (what the model was trained to emit).
enum class ToolCallSyntax {
  kNone,         // writes no tool calls (DeepSeek-V2, Llama 3)
  kDeepseekR1,   // R1, V2.5, V3: <｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\nARGS\n```<｜tool▁call▁end｜>
  kDeepseekV31,  // V3.1: <｜tool▁call▁begin｜>NAME<｜tool▁sep｜>ARGS<｜tool▁call▁end｜>
  kDsml,         // V3.2, V4: <｜DSML｜invoke name="NAME"><｜DSML｜parameter …>…</｜DSML｜invoke>
  kHermes,       // Qwen2.5, Qwen3: <tool_call>\n{"name": "NAME", "arguments": ARGS}\n</tool_call>
  kLlama3Json,   // Llama 3.1, 3.2: {"name": "NAME", "parameters": ARGS}
};
const char* ToolCallSyntaxName(ToolCallSyntax syntax);

// Where the generation prompt (after the last user turn) leaves the reasoning block.
enum class PromptReasoning {
  kNone,    // writes no <think>: a reasoning template's block is opened (or closed) by the caller
  kOpen,    // ends inside <think> (R1's "<｜Assistant｜><think>\n", V3.1 with thinking)
  kClosed,  // ends after "</think>" (V3.1 without thinking, Qwen3's "<think>\n\n</think>\n\n")
};
const char* PromptReasoningName(PromptReasoning reasoning);

struct TemplateCaps {
  // Knows <think>…</think>: its generation prompt writes a tag, or it drops the reasoning of earlier assistant turns.
  bool reasoning = false;
  PromptReasoning prompt_thinking = PromptReasoning::kNone;      // the generation prompt with thinking on
  PromptReasoning prompt_not_thinking = PromptReasoning::kNone;  // and with thinking off
  // Writes the request's `tools` list itself; otherwise the caller describes the tools in a system message.
  bool renders_tools = false;
  ToolCallSyntax tool_call_syntax = ToolCallSyntax::kNone;
  // The render variable that turns thinking on: "thinking" (V3.1), "enable_thinking" (Qwen3), "thinking_mode"
  // (the native formats, DeepSeek's encoder argument); "" when the template has none.
  std::string thinking_switch;

  bool operator==(const TemplateCaps&) const = default;
};

// Probes a parsed Jinja chat template. `source` is consulted only for a capability no probe render could show
// (every probe raised), with the substring tests this replaces.
TemplateCaps ProbeTemplateCaps(const jinja::Template& chat_template, std::string_view source);
// Probes a native format's renderer the same way.
TemplateCaps ProbeNativeChatCaps(NativeChatFormat format);

// "reasoning=yes prompt=open/closed tools=rendered calls=deepseek-r1 switch=thinking", for messages and tests.
std::string DescribeTemplateCaps(const TemplateCaps& caps);

}  // namespace baleen
