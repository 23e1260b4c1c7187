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

  Result<ChatPrompt> Build(const nlohmann::ordered_json& messages, bool thinking) const;
  const std::string& template_name() const { return name_; }

 private:
  ChatPromptBuilder(const LoadedModel& model) : model_(&model) {}
  Result<std::string> Render(const nlohmann::ordered_json& messages, bool thinking) const;

  const LoadedModel* model_;
  std::string name_, source_;
  std::optional<jinja::Template> template_;
  std::optional<NativeChatFormat> native_;
};

}  // namespace baleen
