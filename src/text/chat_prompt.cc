// Sentinel substitution: contents are replaced by U+E000 <index> U+E001 before rendering, which no template
// transforms, so their positions in the output are exact and the user's bytes never reach the special-token
// matcher.
#include "text/chat_prompt.h"

#include <vector>

namespace baleen {
namespace {

constexpr std::string_view kOpen = "\xEE\x80\x80";   // U+E000
constexpr std::string_view kClose = "\xEE\x80\x81";  // U+E001

std::string Sentinel(size_t index) { return std::string(kOpen) + std::to_string(index) + std::string(kClose); }

// Replaces the user-supplied strings of every message with sentinels, collecting the originals.
nlohmann::ordered_json Mask(const nlohmann::ordered_json& messages, std::vector<std::string>& originals) {
  nlohmann::ordered_json masked = messages;
  if (!masked.is_array()) return masked;
  for (auto& message : masked) {
    if (!message.is_object()) continue;
    for (const char* field : {"content", "reasoning_content"}) {
      auto it = message.find(field);
      if (it == message.end() || !it->is_string()) continue;
      originals.push_back(it->get<std::string>());
      *it = Sentinel(originals.size() - 1);
    }
  }
  return masked;
}

}  // namespace

Result<PromptText> RenderChatPrompt(const ChatRenderer& render, const nlohmann::ordered_json& messages) {
  std::vector<std::string> originals;
  ASSIGN_OR_RETURN(std::string rendered, render(Mask(messages, originals)));
  PromptText prompt;
  size_t pos = 0;
  while (pos < rendered.size()) {
    const size_t open = rendered.find(kOpen, pos);
    const size_t close = open == std::string::npos ? open : rendered.find(kClose, open + kOpen.size());
    size_t index = originals.size();
    if (close != std::string::npos) {
      const std::string digits = rendered.substr(open + kOpen.size(), close - open - kOpen.size());
      if (!digits.empty() && digits.size() < 8 && digits.find_first_not_of("0123456789") == std::string::npos) {
        index = std::stoul(digits);
      }
    }
    if (index >= originals.size()) {  // no (valid) sentinel left: the rest is template text
      prompt.AppendTrusted(TrustedText(rendered.substr(pos)));
      break;
    }
    if (open > pos) prompt.AppendTrusted(TrustedText(rendered.substr(pos, open - pos)));
    prompt.AppendUntrusted(originals[index]);
    pos = close + kClose.size();
  }
  return prompt;
}

bool OpenReasoning(bool reasoning_template, bool thinking, PromptText& prompt) {
  const std::string& text = prompt.text();
  auto ends_with = [&](std::string_view s) { return text.size() >= s.size() && text.ends_with(s); };
  if (ends_with("<think>") || ends_with("<think>\n")) {
    if (thinking) return true;
    // The template always opens the reasoning (R1): close it at once so the model answers directly.
    prompt.AppendTrusted(TrustedText(ends_with("\n") ? "\n</think>\n\n" : "\n\n</think>\n\n"));
    return false;
  }
  const std::string_view trimmed = std::string_view(text).substr(0, text.find_last_not_of(" \t\r\n") + 1);
  if (trimmed.ends_with("</think>") || !reasoning_template) return false;
  if (thinking) {
    prompt.AppendTrusted(TrustedText("<think>\n"));
    return true;
  }
  prompt.AppendTrusted(TrustedText("<think>\n\n</think>\n\n"));
  return false;
}

}  // namespace baleen
