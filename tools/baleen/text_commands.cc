// `baleen tokenize`, `baleen detokenize` and `baleen template`: the text layer from the command line. Tools layer.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "baleen/cli_util.h"
#include "baleen/commands.h"
#include "text/builtin_templates.h"
#include "text/chat_format/native_chat.h"
#include "text/jinja/template.h"
#include "text/text_assets.h"

namespace baleen::cli {
namespace {

constexpr const char* kTokenizeUsage =
    "usage: baleen tokenize MODEL [--json] [--bos] [--no-special] (TEXT | --file FILE | --jsonl FILE)\n"
    "  MODEL         a GGUF file, or a folder with tokenizer.json (+ tokenizer_config.json)\n"
    "  --json        print {\"ids\": [...], \"pieces\": [...]} (single text)\n"
    "  --bos         add BOS (and EOS) where the model's tokenizer asks for them\n"
    "  --no-special  treat the text as untrusted user text: marker strings such as <｜User｜> stay plain text\n"
    "  --file FILE   read the text from FILE\n"
    "  --jsonl FILE  one JSON string per line; prints one JSON array of ids per line\n";
constexpr const char* kDetokenizeUsage =
    "usage: baleen detokenize MODEL [--skip-special] ID...\n";
constexpr const char* kTemplateUsage =
    "usage: baleen template MODEL --messages FILE.json [--tools FILE.json] [--no-generation-prompt]\n"
    "                       [--thinking on|off] [--chat-format NAME]\n"
    "  prints the prompt the model's chat template renders, exactly (no trailing newline added)\n"
    "  --chat-format NAME  use a built-in template instead of the model's (see --list-chat-formats), or a\n"
    "                      native format: deepseek-v3.2, deepseek-v4 (DeepSeek's Python encoders, rebuilt)\n"
    "  --list-chat-formats print the built-in template names\n";

Result<std::vector<int32_t>> EncodeText(const Tokenizer& tok, const std::string& text, bool untrusted, bool bos) {
  EncodeOptions options;
  options.add_special_tokens = bos;
  // Text given on the command line is the operator's own, so markers are recognized unless --no-special.
  return untrusted ? tok.EncodeUntrusted(text, options) : tok.Encode(TrustedText(text), options);
}

struct TokenizeArgs {
  std::string model, text, file, jsonl;
  bool json = false, bos = false, untrusted = false, have_text = false;
};

int ParseTokenizeArgs(const std::vector<std::string>& args, TokenizeArgs& a) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string& out) { return TakeValue(args, i, out); };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kTokenizeUsage, stdout);
      return 0;
    } else if (arg == "--json") {
      a.json = true;
    } else if (arg == "--bos") {
      a.bos = true;
    } else if (arg == "--no-special") {
      a.untrusted = true;
    } else if (arg == "--file") {
      if (!value(a.file)) return Usage(kTokenizeUsage, "--file needs a path");
    } else if (arg == "--jsonl") {
      if (!value(a.jsonl)) return Usage(kTokenizeUsage, "--jsonl needs a path");
    } else if (a.model.empty()) {
      a.model = arg;
    } else if (!a.have_text) {
      a.text = arg;
      a.have_text = true;
    } else {
      return Usage(kTokenizeUsage, "unexpected argument '" + arg + "'");
    }
  }
  const int sources = a.have_text + !a.file.empty() + !a.jsonl.empty();
  if (a.model.empty() || sources != 1) return Usage(kTokenizeUsage, "give MODEL and exactly one of TEXT, --file, --jsonl");
  if (a.json && !a.jsonl.empty()) return Usage(kTokenizeUsage, "--json and --jsonl cannot be combined");
  return -1;
}

int TokenizeJsonl(const Tokenizer& tok, const TokenizeArgs& a) {
  std::ifstream in(a.jsonl);
  if (!in) return Fail(IoError(a.jsonl + ": cannot open"));
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    const nlohmann::json text = nlohmann::json::parse(line, nullptr, false);
    if (text.is_discarded() || !text.is_string()) {
      return Fail(InvalidArgument(a.jsonl + ": line " + std::to_string(line_no) + " is not a JSON string"));
    }
    Result<std::vector<int32_t>> ids = EncodeText(tok, text.get<std::string>(), a.untrusted, a.bos);
    if (!ids.ok()) return Fail(ids.status().WithContext(a.jsonl + ": line " + std::to_string(line_no)));
    std::printf("%s\n", nlohmann::json(*ids).dump().c_str());
  }
  return 0;
}

}  // namespace

int RunTokenize(const std::vector<std::string>& args) {
  TokenizeArgs a;
  if (const int code = ParseTokenizeArgs(args, a); code >= 0) return code;
  Result<TextAssets> assets = LoadTextAssetsFromPath(a.model);
  if (!assets.ok()) return Fail(assets.status());
  const Tokenizer& tok = *assets->tokenizer;
  if (!a.jsonl.empty()) return TokenizeJsonl(tok, a);
  if (!a.file.empty()) {
    Result<std::string> text = ReadFile(a.file);
    if (!text.ok()) return Fail(text.status());
    a.text = *text;
  }
  Result<std::vector<int32_t>> ids = EncodeText(tok, a.text, a.untrusted, a.bos);
  if (!ids.ok()) return Fail(ids.status());
  if (a.json) {
    nlohmann::json pieces = nlohmann::json::array();
    for (int32_t id : *ids) pieces.push_back(tok.TokenPiece(id));
    std::printf("%s\n", nlohmann::json{{"ids", *ids}, {"pieces", pieces}}.dump().c_str());
  } else {
    std::string line;
    for (size_t i = 0; i < ids->size(); ++i) {
      if (i > 0) line += ' ';
      line += std::to_string((*ids)[i]);
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

int RunDetokenize(const std::vector<std::string>& args) {
  std::string model;
  std::vector<int32_t> ids;
  DecodeOptions options;
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(kDetokenizeUsage, stdout);
      return 0;
    } else if (arg == "--skip-special") {
      options.skip_special_tokens = true;
    } else if (model.empty()) {
      model = arg;
    } else {
      size_t used = 0;
      long long id = -1;
      try {
        id = std::stoll(arg, &used);
      } catch (...) {
        used = 0;
      }
      if (used != arg.size() || id < 0 || id > INT32_MAX) {
        return Usage(kDetokenizeUsage, "'" + arg + "' is not a token id");
      }
      ids.push_back(static_cast<int32_t>(id));
    }
  }
  if (model.empty()) return Usage(kDetokenizeUsage, "missing MODEL");
  Result<TextAssets> assets = LoadTextAssetsFromPath(model);
  if (!assets.ok()) return Fail(assets.status());
  for (int32_t id : ids) {
    if (id >= assets->tokenizer->vocab_size()) {
      return Fail(InvalidArgument("token id " + std::to_string(id) + " is outside the vocabulary of " +
                                  std::to_string(assets->tokenizer->vocab_size())));
    }
  }
  std::fputs(assets->tokenizer->Decode(ids, options).c_str(), stdout);
  std::fputs("\n", stdout);
  return 0;
}

int RunTemplate(const std::vector<std::string>& args) {
  std::string model, messages_path, tools_path, thinking, chat_format;
  bool generation_prompt = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string& out) { return TakeValue(args, i, out); };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kTemplateUsage, stdout);
      return 0;
    } else if (arg == "--messages") {
      if (!value(messages_path)) return Usage(kTemplateUsage, "--messages needs a path");
    } else if (arg == "--tools") {
      if (!value(tools_path)) return Usage(kTemplateUsage, "--tools needs a path");
    } else if (arg == "--thinking") {
      if (!value(thinking) || (thinking != "on" && thinking != "off")) {
        return Usage(kTemplateUsage, "--thinking takes on or off");
      }
    } else if (arg == "--chat-format") {
      if (!value(chat_format)) return Usage(kTemplateUsage, "--chat-format needs a name");
    } else if (arg == "--list-chat-formats") {
      for (const BuiltinTemplate& t : BuiltinTemplates()) std::printf("%s\n", std::string(t.name).c_str());
      return 0;
    } else if (arg == "--no-generation-prompt") {
      generation_prompt = false;
    } else if (model.empty()) {
      model = arg;
    } else {
      return Usage(kTemplateUsage, "unexpected argument '" + arg + "'");
    }
  }
  if (model.empty() || messages_path.empty()) return Usage(kTemplateUsage, "give MODEL and --messages");
  Result<TextAssets> assets = LoadTextAssetsFromPath(model);
  if (!assets.ok()) return Fail(assets.status());
  auto read_json = [](const std::string& path) -> Result<nlohmann::ordered_json> {
    ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(text, nullptr, false);
    if (j.is_discarded()) return InvalidArgument(path + ": not valid JSON");
    return j;
  };
  Result<nlohmann::ordered_json> messages = read_json(messages_path);
  if (!messages.ok()) return Fail(messages.status());
  if (messages->is_object() && messages->contains("messages")) *messages = (*messages)["messages"];
  if (!messages->is_array()) return Fail(InvalidArgument(messages_path + ": expected an array of messages"));
  nlohmann::ordered_json tools = nullptr;
  if (!tools_path.empty()) {
    Result<nlohmann::ordered_json> read = read_json(tools_path);
    if (!read.ok()) return Fail(read.status());
    tools = *read;
  }
  if (Result<NativeChatFormat> native = ParseNativeChatFormat(chat_format); !chat_format.empty() && native.ok()) {
    NativeChatOptions options;
    options.add_generation_prompt = generation_prompt;
    options.thinking = thinking == "on";
    if (!assets->bos_token.empty()) options.bos_token = assets->bos_token;
    Result<std::string> prompt = RenderNativeChat(*native, *messages, tools, options);
    if (!prompt.ok()) return Fail(prompt.status().WithContext(messages_path));
    std::fwrite(prompt->data(), 1, prompt->size(), stdout);
    return 0;
  }
  if (!chat_format.empty()) {
    const BuiltinTemplate* builtin = FindBuiltinTemplate(chat_format);
    if (builtin == nullptr) {
      return Fail(InvalidArgument("unknown chat format '" + chat_format + "'; built-in: " + BuiltinTemplateNames() +
                                  ", deepseek-v3.2, deepseek-v4"));
    }
    assets->chat_template = std::string(builtin->source);
  }
  if (!assets->chat_template) {
    return Fail(NotFound(model + ": the model has no chat template (tokenizer.chat_template); name a built-in one "
                         "with --chat-format (" + BuiltinTemplateNames() + ", deepseek-v3.2, deepseek-v4)"));
  }
  nlohmann::ordered_json context = {{"messages", *messages}, {"add_generation_prompt", generation_prompt},
                                    {"bos_token", assets->bos_token}, {"eos_token", assets->eos_token},
                                    {"tools", tools}};
  if (!thinking.empty()) {
    // DeepSeek-V3.1 reads `thinking`, Qwen3 `enable_thinking`; templates ignore the one they do not use.
    context["thinking"] = thinking == "on";
    context["enable_thinking"] = thinking == "on";
  }
  Result<jinja::Template> tmpl = jinja::Template::Parse(*assets->chat_template);
  if (!tmpl.ok()) return Fail(tmpl.status().WithContext(model + ": chat template"));
  Result<std::string> prompt = tmpl->Render(context);
  if (!prompt.ok()) return Fail(prompt.status().WithContext(model + ": chat template"));
  std::fwrite(prompt->data(), 1, prompt->size(), stdout);
  return 0;
}

}  // namespace baleen::cli
