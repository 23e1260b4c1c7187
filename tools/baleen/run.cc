// `baleen run`: one prompt, one streamed reply. Tools layer.
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "baleen/cli_util.h"
#include "baleen/commands.h"
#include "baleen/generation_cli.h"
#include "text/chat_prompt_builder.h"

namespace baleen::cli {
namespace {

constexpr const char* kRunUsage =
    "usage: baleen run [MODEL] -p PROMPT [options]\n"
    "  -p, --prompt TEXT   the user message (or the raw text with --raw)\n"
    "  --file FILE         read the prompt from FILE\n"
    "  --system TEXT       a system message\n"
    "  --raw               no chat template: continue the text as given (special-token strings recognized)\n"
    "  --json              print {\"reasoning\", \"content\", \"usage\", \"finish_reason\"} at the end instead of\n"
    "                      streaming\n";

struct RunArgs {
  ModelArgs model;
  SamplingArgs sampling;
  std::string prompt, file, system;
  bool have_prompt = false, raw = false, json = false;
};

int ParseRunArgs(const std::vector<std::string>& args, RunArgs& a) {
  auto own = [&](size_t& i) {
    const std::string& arg = args[i];
    auto value = [&](std::string& out, const char* problem) {
      if (TakeValue(args, i, out)) return OwnFlag::kConsumed;
      Usage(kRunUsage, problem);
      return OwnFlag::kError;
    };
    if (arg == "-p" || arg == "--prompt") {
      a.have_prompt = true;
      return value(a.prompt, "-p needs a prompt");
    }
    if (arg == "--file") return value(a.file, "--file needs a path");
    if (arg == "--system") return value(a.system, "--system needs a message");
    if (arg != "--raw" && arg != "--json") return OwnFlag::kNotMine;
    (arg == "--raw" ? a.raw : a.json) = true;
    return OwnFlag::kConsumed;
  };
  if (const int code = ParseGenerationCommand(args, kRunUsage, a.model, a.sampling, own); code >= 0) return code;
  if (!a.have_prompt && a.file.empty()) return Usage(kRunUsage, "give a prompt with -p or --file");
  return -1;
}

// The prompt tokens and where the output starts (inside reasoning or not).
Result<ChatPrompt> BuildPrompt(const LoadedModel& model, const RunArgs& a, const std::string& text) {
  if (a.raw) {
    EncodeOptions options;
    options.add_special_tokens = true;
    ChatPrompt prompt;
    ASSIGN_OR_RETURN(prompt.tokens, model.text.tokenizer->Encode(TrustedText(text), options));
    prompt.text = text;
    return prompt;
  }
  ASSIGN_OR_RETURN(ChatPromptBuilder builder, ChatPromptBuilder::Create(model.text, a.sampling.chat_format));
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!a.system.empty()) messages.push_back({{"role", "system"}, {"content", a.system}});
  messages.push_back({{"role", "user"}, {"content", text}});
  return builder.Build(messages, a.sampling.thinking);
}

nlohmann::ordered_json ResultJson(const GenerationResult& r) {
  nlohmann::ordered_json calls = nlohmann::ordered_json::array();
  for (const ToolCall& c : r.tool_calls) calls.push_back({{"name", c.name}, {"arguments", c.arguments}});
  const int64_t completion = static_cast<int64_t>(r.tokens.size());
  return {{"reasoning", r.reasoning},
          {"content", r.content},
          {"tool_calls", calls},
          {"finish_reason", FinishReasonName(r.finish)},
          {"usage",
           {{"prompt_tokens", r.prompt_tokens},
            {"completion_tokens", completion},
            {"total_tokens", r.prompt_tokens + completion},
            {"reasoning_tokens", r.reasoning_tokens}}},
          {"timings",
           {{"prompt_seconds", r.prompt_seconds},
            {"generation_seconds", r.generation_seconds},
            {"generation_tokens_per_s", r.generation_seconds > 0 ? completion / r.generation_seconds : 0.0}}}};
}

}  // namespace

int RunRun(const std::vector<std::string>& args) {
  RunArgs a;
  if (const int code = ParseRunArgs(args, a); code >= 0) return code;
  FinalizeSampling(a.sampling);
  std::string text = a.prompt;
  if (!a.file.empty()) {
    Result<std::string> read = ReadFile(a.file);
    if (!read.ok()) return Fail(read.status());
    text = *read;
  }
  Result<std::unique_ptr<LoadedModel>> model = OpenForInference(a.model);
  if (!model.ok()) return Fail(model.status());
  if (Status s = ValidateSamplingParams(a.sampling.sampling, (*model)->config.vocab_size); !s.ok()) return Fail(s);
  Result<ChatPrompt> prompt = BuildPrompt(**model, a, text);
  if (!prompt.ok()) return Fail(prompt.status());

  const GenerationRequest request = MakeRequest(a.sampling, *prompt);
  Session session(*(*model)->model, (*model)->n_ctx, a.model.n_batch);
  StreamPrinter printer(a.sampling.hide_thinking);
  DeltaCallback on_delta;
  if (!a.json) on_delta = [&](const OutputDelta& d) { return printer(d); };
  Result<GenerationResult> result = Generate(session, *(*model)->text.tokenizer, request, on_delta);
  printer.End();
  if (!result.ok()) return Fail(result.status());
  if (a.json) std::printf("%s\n", ResultJson(*result).dump().c_str());
  PrintSpeed(*result);
  return 0;
}

}  // namespace baleen::cli
