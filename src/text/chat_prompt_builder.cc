// Template choice, rendering and encoding of a chat prompt. What a template does by itself (reasoning, tools, call
// markup, thinking switch) comes from its TemplateCaps, probed once in Create.
#include "text/chat_prompt_builder.h"

#include "text/builtin_templates.h"
#include "text/chat_prompt.h"

namespace baleen {

Result<ChatPromptBuilder> ChatPromptBuilder::Create(const TextAssets& text, const std::string& chat_format) {
  ChatPromptBuilder b(text);
  if (Result<NativeChatFormat> native = ParseNativeChatFormat(chat_format); !chat_format.empty() && native.ok()) {
    b.native_ = *native;
    b.name_ = chat_format;
    b.caps_ = ProbeNativeChatCaps(*native);
    b.CollectControlTexts();
    return b;
  }
  std::string source;
  if (!chat_format.empty()) {
    const BuiltinTemplate* builtin = FindBuiltinTemplate(chat_format);
    if (builtin == nullptr) {
      return InvalidArgument("unknown chat format '" + chat_format + "'; built-in: " + BuiltinTemplateNames() +
                             ", deepseek-v3.2, deepseek-v4");
    }
    b.name_ = chat_format;
    source = std::string(builtin->source);
  } else if (text.chat_template) {
    b.name_ = "the model's";
    source = *text.chat_template;
  } else {
    return NotFound("the model has no chat template (tokenizer.chat_template); name a built-in one with "
                    "--chat-format (" + BuiltinTemplateNames() + ", deepseek-v3.2, deepseek-v4) or use --raw");
  }
  Result<jinja::Template> parsed = jinja::Template::Parse(source);
  if (!parsed.ok()) return parsed.status().WithContext("chat template");
  b.template_ = std::move(parsed).value();
  b.caps_ = ProbeTemplateCaps(*b.template_, source);
  b.CollectControlTexts();
  return b;
}

namespace {

// The DeepSeek model cards' tool section ("## Tools ... ### NAME\nDescription: ...\nParameters: JSON"), with the call
// syntax of the template's generation (V3.1 drops R1's "function" type and code fence).
std::string DescribeTools(const nlohmann::ordered_json& tools, bool v31_syntax) {
  std::string out = "## Tools\nYou have access to the following tools:\n";
  for (const auto& tool : tools) {
    const auto& f = tool["function"];
    out += "\n### " + f.value("name", "") + "\nDescription: " + f.value("description", "") +
           "\n\nParameters: " + (f.contains("parameters") ? f["parameters"].dump() : "{}") + "\n";
  }
  out += "\nIMPORTANT: ALWAYS adhere to this exact format for tool use:\n";
  out += v31_syntax ? "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments"
                      "<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>"
                    : "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>tool_call_name\n```json\n"
                      "tool_call_arguments\n```<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>";
  out += "\n\nWhere:\n- `tool_call_name` must be an exact match to one of the available tools\n"
         "- `tool_call_arguments` must be valid JSON strictly following the tool's Parameters JSON schema\n";
  return out;
}

// Puts the tool description at the end of the first system message, or in a new one at the front.
nlohmann::ordered_json WithToolSystemMessage(const nlohmann::ordered_json& messages, const std::string& description) {
  nlohmann::ordered_json out = messages;
  if (!out.empty() && out[0].value("role", "") == "system" && out[0]["content"].is_string()) {
    out[0]["content"] = out[0]["content"].get<std::string>() + "\n\n" + description;
  } else {
    out.insert(out.begin(), nlohmann::ordered_json{{"role", "system"}, {"content", description}});
  }
  return out;
}

}  // namespace

// Contents and reasoning are rendered as untrusted text (sentinels); every other string a client sends (tool names,
// arguments, ids, tool schemas) reaches the template as-is, so one that spells a control token is refused rather
// than let it become that token.
Status ChatPromptBuilder::CheckNoControlText(const nlohmann::ordered_json& value, const std::string& path,
                                             bool skip_contents) const {
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    for (const std::string& marker : control_texts_) {
      if (text.find(marker) != std::string::npos) {
        return InvalidArgument(path + " contains the control token text " + marker).WithField(path);
      }
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      RETURN_IF_ERROR(CheckNoControlText(value[i], path + "[" + std::to_string(i) + "]", false));
    }
  } else if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (skip_contents && (key == "content" || key == "reasoning_content")) continue;
      RETURN_IF_ERROR(CheckNoControlText(item, path + "." + key, false));
    }
  }
  return Status::Ok();
}

void ChatPromptBuilder::CollectControlTexts() {
  const Tokenizer& tokenizer = *text_->tokenizer;
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    if (tokenizer.IsAdded(id) && !tokenizer.TokenPiece(id).empty()) control_texts_.push_back(tokenizer.TokenPiece(id));
  }
}

Result<std::string> ChatPromptBuilder::Render(const nlohmann::ordered_json& messages, bool thinking,
                                              const nlohmann::ordered_json& tools) const {
  if (native_) {
    NativeChatOptions options;
    options.thinking = thinking;
    if (!text_->bos_token.empty()) options.bos_token = text_->bos_token;
    return RenderNativeChat(*native_, messages, tools, options);
  }
  nlohmann::ordered_json context = {{"messages", messages},          {"add_generation_prompt", true},
                                    {"bos_token", text_->bos_token}, {"eos_token", text_->eos_token},
                                    {"tools", tools}};
  // DeepSeek-V3.1 reads `thinking`, Qwen3 `enable_thinking`; the probes found which one this template reads.
  if (!caps_.thinking_switch.empty()) context[caps_.thinking_switch] = thinking;
  return template_->Render(context);
}

Result<ChatPrompt> ChatPromptBuilder::Build(const nlohmann::ordered_json& messages, bool thinking,
                                            const nlohmann::ordered_json& tools) const {
  for (size_t i = 0; i < messages.size(); ++i) {
    RETURN_IF_ERROR(CheckNoControlText(messages[i], "messages[" + std::to_string(i) + "]", true));
  }
  RETURN_IF_ERROR(CheckNoControlText(tools, "tools", false));
  const bool has_tools = tools.is_array() && !tools.empty();
  // Templates that do not render `tools` themselves (DeepSeek's) get them described in a system message.
  const bool describe_tools = has_tools && !caps_.renders_tools;
  const nlohmann::ordered_json& with_tools =
      describe_tools ? WithToolSystemMessage(messages, DescribeTools(tools, caps_.tool_call_syntax ==
                                                                                ToolCallSyntax::kDeepseekV31))
                     : messages;
  auto render = [&](const nlohmann::ordered_json& masked) {
    return Render(masked, thinking, has_tools && caps_.renders_tools ? tools : nlohmann::ordered_json());
  };
  ASSIGN_OR_RETURN(PromptText prompt, RenderChatPrompt(render, with_tools));
  ChatPrompt out;
  out.starts_in_reasoning = OpenReasoning(caps_.reasoning, thinking, prompt);
  const Tokenizer& tokenizer = *text_->tokenizer;
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
