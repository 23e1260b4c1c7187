// Chat rendering that keeps the trust boundary: the template's own text is trusted (its marker strings become
// control tokens), every message field a user supplied stays untrusted (encoded as plain text even if it spells
// "<｜User｜>"). Text layer.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "text/tokenizer/tokenizer.h"

namespace baleen {

// Renders messages (the OpenAI shape) to the prompt string: a Jinja chat template or a native format.
using ChatRenderer = std::function<Result<std::string>(const nlohmann::ordered_json& messages)>;

// Renders `messages` with each string `content` and `reasoning_content` swapped for a private-use sentinel, then
// splices the original strings back in as untrusted segments around the template's trusted text.
Result<PromptText> RenderChatPrompt(const ChatRenderer& render, const nlohmann::ordered_json& messages);

// R1-style reasoning models must start the answer with "<think>\n" (DeepSeek's usage recommendation); reasoning
// templates (TemplateCaps::reasoning) that do not open the reasoning themselves get it appended here. With thinking
// off, the reasoning block is closed empty instead ("<think>\n\n</think>\n\n") so the model answers directly; a
// prompt that already ends after "</think>" (and whitespace: Qwen3's "<think>\n\n</think>\n\n") is left alone.
// Returns whether the prompt now ends inside an open reasoning block (the output parser starts in reasoning then).
bool OpenReasoning(bool reasoning_template, bool thinking, PromptText& prompt);

}  // namespace baleen
