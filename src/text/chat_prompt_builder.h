// From chat messages to prompt tokens for a model's text assets: picks the chat template (the model's, or a built-in
// or native format named by the user), probes its capabilities once (TemplateCaps), renders with user contents
// untrusted, opens R1's reasoning, adds BOS when the template does not. Text layer; shared by `baleen run`,
// `baleen chat` and the server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "text/chat_format/native_chat.h"
#include "text/jinja/template.h"
#include "text/template_caps.h"
#include "text/text_assets.h"

namespace baleen {

struct ChatPrompt {
  std::vector<int32_t> tokens;
  std::string text;                   // what the tokens spell (for --verbose and tests)
  bool starts_in_reasoning = false;   // the prompt ends inside an open <think>
};

class ChatPromptBuilder {
 public:
  // chat_format: "" for the model's own template, a built-in template name, or deepseek-v3.2 / deepseek-v4.
  // `text` must outlive the builder.
  static Result<ChatPromptBuilder> Create(const TextAssets& text, const std::string& chat_format);

  // `tools`: null or an OpenAI tools array. Templates that render tools get them; for those that do not (DeepSeek's
  // own), the tool list is described in a system message in the model card's format, as untrusted text.
  Result<ChatPrompt> Build(const nlohmann::ordered_json& messages, bool thinking,
                           const nlohmann::ordered_json& tools = nullptr) const;
  // Whether the template writes tool calls in some markup (so the model knows one).
  bool supports_tools() const { return caps_.tool_call_syntax != ToolCallSyntax::kNone; }
  // Whether the template is a reasoning one (knows <think> blocks).
  bool reasons() const { return caps_.reasoning; }
  const TemplateCaps& caps() const { return caps_; }
  const std::string& template_name() const { return name_; }

 private:
  explicit ChatPromptBuilder(const TextAssets& text) : text_(&text) {}
  Result<std::string> Render(const nlohmann::ordered_json& messages, bool thinking,
                             const nlohmann::ordered_json& tools) const;

  Status CheckNoControlText(const nlohmann::ordered_json& value, const std::string& path, bool skip_contents) const;
  void CollectControlTexts();

  const TextAssets* text_;
  std::vector<std::string> control_texts_;  // the literal text of every added token
  std::string name_;
  TemplateCaps caps_;
  std::optional<jinja::Template> template_;
  std::optional<NativeChatFormat> native_;
};

}  // namespace baleen
