// `baleen chat`: an interactive multi-turn chat. The session keeps its cache between turns, so each turn only
// evaluates the new messages. Tools layer.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "baleen/cli_util.h"
#include "baleen/commands.h"
#include "baleen/generation_cli.h"
#include "text/chat_prompt_builder.h"

namespace baleen::cli {
namespace {

constexpr const char* kChatUsage =
    "usage: baleen chat [MODEL] [options]\n"
    "  type a message and press Enter. Commands: /clear (forget the conversation), /system TEXT (set the system\n"
    "  message and clear), /think on|off, /quit. Ctrl-C stops the current answer; at the prompt it exits.\n"
    "  --system TEXT   initial system message\n";

std::atomic<bool> g_generating{false};
std::atomic<bool> g_cancel{false};

void OnInterrupt(int) {
  if (g_generating.load()) {
    g_cancel.store(true);
  } else {
    constexpr char kBye[] = "\n";
    (void)!write(STDOUT_FILENO, kBye, 1);
    _exit(130);
  }
}

struct ChatArgs {
  ModelArgs model;
  SamplingArgs sampling;
  std::string system;
};

int ParseChatArgs(const std::vector<std::string>& args, ChatArgs& a) {
  auto own = [&](size_t& i) {
    if (args[i] != "--system") return OwnFlag::kNotMine;
    if (TakeValue(args, i, a.system)) return OwnFlag::kConsumed;
    Usage(kChatUsage, "--system needs a message");
    return OwnFlag::kError;
  };
  return ParseGenerationCommand(args, kChatUsage, a.model, a.sampling, own);
}

nlohmann::ordered_json Fresh(const std::string& system) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
  return messages;
}

// Handles a /command; returns false for an unknown one.
bool Command(const std::string& line, ChatArgs& a, nlohmann::ordered_json& messages) {
  if (line == "/clear") {
    messages = Fresh(a.system);
  } else if (line.starts_with("/system")) {
    a.system = line.size() > 8 ? line.substr(8) : "";
    messages = Fresh(a.system);
  } else if (line == "/think on" || line == "/think off") {
    a.sampling.thinking = line == "/think on";
  } else {
    return false;
  }
  std::fprintf(stderr, "ok\n");
  return true;
}

}  // namespace

int RunChat(const std::vector<std::string>& args) {
  ChatArgs a;
  if (const int code = ParseChatArgs(args, a); code >= 0) return code;
  FinalizeSampling(a.sampling);
  Result<std::unique_ptr<LoadedModel>> model = OpenForInference(a.model);
  if (!model.ok()) return Fail(model.status());
  if (Status s = ValidateSamplingParams(a.sampling.sampling, (*model)->config.vocab_size); !s.ok()) return Fail(s);
  Result<ChatPromptBuilder> builder = ChatPromptBuilder::Create((*model)->text, a.sampling.chat_format);
  if (!builder.ok()) return Fail(builder.status());
  Session session(*(*model)->model, (*model)->n_ctx, a.model.n_batch);
  std::signal(SIGINT, OnInterrupt);

  nlohmann::ordered_json messages = Fresh(a.system);
  std::string line;
  const bool tty = isatty(STDIN_FILENO) != 0;
  while (true) {
    if (tty) std::fputs("> ", stdout), std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    if (line == "/quit" || line == "/exit") break;
    if (line.starts_with("/") && Command(line, a, messages)) continue;
    messages.push_back({{"role", "user"}, {"content", line}});
    Result<ChatPrompt> prompt = builder->Build(messages, a.sampling.thinking);
    if (!prompt.ok()) {
      Fail(prompt.status());
      messages.erase(messages.end() - 1);
      continue;
    }
    const GenerationRequest request = MakeRequest(a.sampling, *prompt);
    StreamPrinter printer(a.sampling.hide_thinking);
    g_cancel.store(false);
    g_generating.store(true);
    Result<GenerationResult> result = Generate(session, *(*model)->text.tokenizer, request,
                                               [&](const OutputDelta& d) { return printer(d); }, &g_cancel);
    g_generating.store(false);
    printer.End();
    if (!result.ok()) {
      Fail(result.status());  // e.g. the context is full: the turn is dropped, /clear starts over
      messages.erase(messages.end() - 1);
      continue;
    }
    PrintSpeed(*result);
    // History keeps the answer only: templates drop earlier turns' reasoning anyway.
    messages.push_back({{"role", "assistant"}, {"content", result->content}});
  }
  return 0;
}

}  // namespace baleen::cli
