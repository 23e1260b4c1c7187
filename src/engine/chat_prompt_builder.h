// From chat messages to prompt tokens for a loaded model: picks the chat template (the file's, or a built-in or
// native format named by the user), renders with user contents untrusted, opens R1's reasoning, adds BOS when
// the template does not. Engine layer; shared by `baleen run`, `baleen chat` and the server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/loaded_model.h"
#include "text/chat_format/native_chat.h"
#include "text/jinja/template.h"

namespace baleen {

struct ChatPrompt {
  std::vector<int32_t> tokens;
  std::string text;                   // what the tokens spell (for --verbose and tests)
  bool starts_in_reasoning = false;   // the prompt ends inside an open <think>
};

class ChatPromptBuilder {
 public:
  // chat_format: "" for the model's own template, a built-in template name, or deepseek-v3.2 / deepseek-v4.
  static Result<ChatPromptBuilder> Create(const LoadedModel& model, const std::string& chat_format);

  // `tools`: null or an OpenAI tools array. Templates that render tools get them; for those that do not (DeepSeek's
  // own), the tool list is described in a system message in the model card's format, as untrusted text.
  Result<ChatPrompt> Build(const nlohmann::ordered_json& messages, bool thinking,
                           const nlohmann::ordered_json& tools = nullptr) const;
  // Whether the model's vocabulary and template know a tool-call syntax at all.
  bool supports_tools() const;
  // Whether the template is a reasoning one (R1 style: mentions </think>).
  bool reasons() const { return source_.find("think>") != std::string::npos; }
  const std::string& template_name() const { return name_; }

 private:
  ChatPromptBuilder(const LoadedModel& model) : model_(&model) {}
  Result<std::string> Render(const nlohmann::ordered_json& messages, bool thinking,
                             const nlohmann::ordered_json& tools) const;

  Status CheckNoControlText(const nlohmann::ordered_json& value, const std::string& path, bool skip_contents) const;
  void CollectControlTexts();

  const LoadedModel* model_;
  std::vector<std::string> control_texts_;  // the literal text of every added token
  std::string name_, source_;
  std::optional<jinja::Template> template_;
  std::optional<NativeChatFormat> native_;
};

}  // namespace baleen
