// Template choice, rendering and encoding of a chat prompt.
#include "engine/chat_prompt_builder.h"

#include "text/builtin_templates.h"
#include "text/chat_prompt.h"

namespace baleen {

Result<ChatPromptBuilder> ChatPromptBuilder::Create(const LoadedModel& model, const std::string& chat_format) {
  ChatPromptBuilder b(model);
  if (Result<NativeChatFormat> native = ParseNativeChatFormat(chat_format); !chat_format.empty() && native.ok()) {
    b.native_ = *native;
    b.name_ = chat_format;
    b.source_ = "</think>";  // both native formats are reasoning-capable and open <think> themselves
    return b;
  }
  if (!chat_format.empty()) {
    const BuiltinTemplate* builtin = FindBuiltinTemplate(chat_format);
    if (builtin == nullptr) {
      return InvalidArgument("unknown chat format '" + chat_format + "'; built-in: " + BuiltinTemplateNames() +
                             ", deepseek-v3.2, deepseek-v4");
    }
    b.name_ = chat_format;
    b.source_ = std::string(builtin->source);
  } else if (model.text.chat_template) {
    b.name_ = "the model's";
    b.source_ = *model.text.chat_template;
  } else {
    return NotFound("the model has no chat template (tokenizer.chat_template); name a built-in one with "
                    "--chat-format (" + BuiltinTemplateNames() + ", deepseek-v3.2, deepseek-v4) or use --raw");
  }
  Result<jinja::Template> parsed = jinja::Template::Parse(b.source_);
  if (!parsed.ok()) return parsed.status().WithContext("chat template");
  b.template_ = std::move(parsed).value();
  return b;
}

Result<std::string> ChatPromptBuilder::Render(const nlohmann::ordered_json& messages, bool thinking) const {
  const TextAssets& text = model_->text;
  if (native_) {
    NativeChatOptions options;
    options.thinking = thinking;
    if (!text.bos_token.empty()) options.bos_token = text.bos_token;
    return RenderNativeChat(*native_, messages, nullptr, options);
  }
  // DeepSeek-V3.1 reads `thinking`, Qwen3 `enable_thinking`; templates ignore the one they do not use.
  const nlohmann::ordered_json context = {{"messages", messages},        {"add_generation_prompt", true},
                                          {"bos_token", text.bos_token}, {"eos_token", text.eos_token},
                                          {"tools", nullptr},            {"thinking", thinking},
                                          {"enable_thinking", thinking}};
  return template_->Render(context);
}

Result<ChatPrompt> ChatPromptBuilder::Build(const nlohmann::ordered_json& messages, bool thinking) const {
  auto render = [&](const nlohmann::ordered_json& masked) { return Render(masked, thinking); };
  ASSIGN_OR_RETURN(PromptText prompt, RenderChatPrompt(render, messages));
  ChatPrompt out;
  out.starts_in_reasoning = OpenReasoning(source_, thinking, prompt);
  const Tokenizer& tokenizer = *model_->text.tokenizer;
  ASSIGN_OR_RETURN(out.tokens, tokenizer.Encode(prompt));
  // Templates normally write BOS themselves; add it only when the vocabulary wants one and it is missing.
  const auto& bos = tokenizer.vocab().bos_id;
  if (tokenizer.vocab().add_bos && bos && (out.tokens.empty() || out.tokens.front() != *bos)) {
    out.tokens.insert(out.tokens.begin(), *bos);
  }
  out.text = prompt.text();
  return out;
}

}  // namespace baleen
