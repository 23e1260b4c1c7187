// Sampling flags, streaming output and the speed line for the generating commands.
#include "baleen/generation_cli.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "baleen/cli_util.h"
#include "engine/sampling/stop_strings.h"

namespace baleen::cli {

bool ParseSamplingArg(const std::vector<std::string>& args, size_t& i, SamplingArgs& out, std::string& error) {
  const std::string& arg = args[i];
  std::string value;
  auto number = [&](double& v) {
    if (!TakeValue(args, i, value) || !ParseFloat(value, v)) error = arg + " takes a number";
    return error.empty();
  };
  auto integer = [&](int64_t& v) {
    if (!TakeValue(args, i, value) || !ParseInt(value, v)) error = arg + " takes an integer";
    return error.empty();
  };
  double d = 0.0;
  int64_t n = 0;
  SamplingParams& s = out.sampling;
  if (arg == "--temp" || arg == "--temperature") {
    if (number(d)) s.temperature = static_cast<float>(d);
  } else if (arg == "--top-p") {
    if (number(d)) s.top_p = static_cast<float>(d);
  } else if (arg == "--min-p") {
    if (number(d)) s.min_p = static_cast<float>(d);
  } else if (arg == "--top-k") {
    if (integer(n)) s.top_k = static_cast<int32_t>(n);
  } else if (arg == "--repeat-penalty") {
    if (number(d)) s.repetition_penalty = static_cast<float>(d);
  } else if (arg == "--presence-penalty") {
    if (number(d)) s.presence_penalty = static_cast<float>(d);
  } else if (arg == "--frequency-penalty") {
    if (number(d)) s.frequency_penalty = static_cast<float>(d);
  } else if (arg == "--seed") {
    if (integer(n)) {
      s.seed = static_cast<uint64_t>(n);
      out.seed_given = true;
    }
  } else if (arg == "-n" || arg == "--max-tokens") {
    if (integer(n)) out.max_tokens = n;
  } else if (arg == "--stop") {
    if (!TakeValue(args, i, value)) error = "--stop needs a string";
    if (out.stop.size() >= static_cast<size_t>(kMaxStopStrings)) error = "at most 16 --stop strings";
    if (error.empty()) out.stop.push_back(value);
  } else if (arg == "--chat-format") {
    if (!TakeValue(args, i, out.chat_format)) error = "--chat-format needs a name";
  } else if (arg == "--think") {
    if (!TakeValue(args, i, value) || (value != "on" && value != "off")) error = "--think takes on or off";
    out.thinking = value == "on";
  } else if (arg == "--hide-thinking") {
    out.hide_thinking = true;
  } else {
    return false;
  }
  return true;
}

int ParseGenerationCommand(const std::vector<std::string>& args, const char* usage, ModelArgs& model,
                           SamplingArgs& sampling, const std::function<OwnFlag(size_t& i)>& own) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string error;
    if (arg == "--help" || arg == "-h") {
      std::printf("%s%s%s", usage, kModelArgsHelp, kSamplingArgsHelp);
      return 0;
    }
    const OwnFlag mine = own(i);
    if (mine == OwnFlag::kError) return 2;
    if (mine == OwnFlag::kConsumed) continue;
    if (ParseModelArg(args, i, model, error) || ParseSamplingArg(args, i, sampling, error)) {
      if (!error.empty()) return Usage(usage, error);
    } else if (model.path.empty() && !arg.starts_with("-")) {
      model.path = arg;
    } else {
      return Usage(usage, "unexpected argument '" + arg + "'");
    }
  }
  return UseDefaultModelIfNone(model.path);
}

GenerationRequest MakeRequest(const SamplingArgs& args, const ChatPrompt& prompt) {
  GenerationRequest request;
  request.prompt = prompt.tokens;
  request.sampling = args.sampling;
  request.max_tokens = args.max_tokens;
  request.stop = args.stop;
  request.output.starts_in_reasoning = prompt.starts_in_reasoning;
  request.output.parse_tool_calls = false;
  return request;
}

void FinalizeSampling(SamplingArgs& args) {
  if (!args.seed_given) args.sampling.seed = std::random_device{}() ^ static_cast<uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count());
}

StreamPrinter::StreamPrinter(bool hide_thinking) : hide_thinking_(hide_thinking), tty_(isatty(STDOUT_FILENO) != 0) {}

void StreamPrinter::Write(const std::string& text) {
  if (!tty_) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  // Model output must not drive the terminal: control characters other than newline and tab (escape sequences,
  // carriage returns, bells) are shown as '?'.
  std::string safe = text;
  for (char& c : safe) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) c = '?';
  }
  std::fwrite(safe.data(), 1, safe.size(), stdout);
}

bool StreamPrinter::operator()(const OutputDelta& delta) {
  if (!delta.reasoning.empty() && !hide_thinking_) {
    if (!in_reasoning_ && tty_) std::fputs("\033[2m", stdout);  // dim
    in_reasoning_ = true;
    Write(delta.reasoning);
    printed_ = true;
  }
  if (!delta.content.empty() || !delta.tool_calls.empty()) {
    if (in_reasoning_) {
      std::fputs(tty_ ? "\033[0m\n\n" : "\n\n", stdout);
      in_reasoning_ = false;
    }
    Write(delta.content);
    for (const ToolCall& call : delta.tool_calls) Write("\n[tool call] " + call.name + " " + call.arguments + "\n");
    printed_ = true;
  }
  std::fflush(stdout);
  return true;
}

void StreamPrinter::End() {
  if (in_reasoning_ && tty_) std::fputs("\033[0m", stdout);
  in_reasoning_ = false;
  if (printed_) std::fputs("\n", stdout);
  printed_ = false;
  std::fflush(stdout);
}

void PrintSpeed(const GenerationResult& r) {
  const int64_t evaluated = r.prompt_tokens - r.cached_tokens;
  const double gen = static_cast<double>(r.tokens.size());
  std::fprintf(stderr,
               "prompt %lld tokens (%lld cached), %.2f s (%.1f t/s) · generated %lld tokens, %.2f s (%.1f t/s) · %s\n",
               static_cast<long long>(r.prompt_tokens), static_cast<long long>(r.cached_tokens), r.prompt_seconds,
               r.prompt_seconds > 0 ? evaluated / r.prompt_seconds : 0.0, static_cast<long long>(r.tokens.size()),
               r.generation_seconds, r.generation_seconds > 0 ? gen / r.generation_seconds : 0.0,
               FinishReasonName(r.finish));
}

}  // namespace baleen::cli
