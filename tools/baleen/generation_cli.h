// What `baleen run` and `baleen chat` share: sampling flags, the streaming printer (reasoning dimmed on a
// terminal, or hidden) and the speed line. Tools layer.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "baleen/cli_util.h"
#include "engine/generation/generate.h"
#include "text/chat_prompt_builder.h"

namespace baleen::cli {

struct SamplingArgs {
  SamplingParams sampling;  // DeepSeek's R1 defaults: temperature 0.6, top_p 0.95
  bool seed_given = false;
  int64_t max_tokens = -1;
  std::vector<std::string> stop;
  std::string chat_format;
  bool thinking = true;
  bool hide_thinking = false;
};
inline constexpr const char* kSamplingArgsHelp =
    "  -n, --max-tokens N  stop after N generated tokens (default: EOS or the end of the context)\n"
    "  --temp T       temperature (default 0.6; 0 = greedy)\n"
    "  --top-p P      nucleus sampling (default 0.95)    --top-k K   (default off)\n"
    "  --min-p P      (default off)     --repeat-penalty R   --presence-penalty P   --frequency-penalty F\n"
    "  --seed S       sampling seed (default: random; same seed, same output)\n"
    "  --stop TEXT    stop when TEXT is generated (repeatable, up to 16)\n"
    "  --chat-format NAME  a built-in template or native format instead of the model's own\n"
    "  --think on|off  reasoning on (default) or off where the template can switch\n"
    "  --hide-thinking  do not print the reasoning\n";

// Consumes a sampling flag at args[i]; sets `error` on a bad value.
bool ParseSamplingArg(const std::vector<std::string>& args, size_t& i, SamplingArgs& out, std::string& error);
// What a command's own flag parser says about args[i]: not its flag, consumed (i advanced past any value), or a
// usage error it has already reported.
enum class OwnFlag { kNotMine, kConsumed, kError };
// The argument loop `run` and `chat` share: --help, the model and sampling flags, the MODEL path, and the
// command's own flags through `own`. Returns -1 to go on, or the exit code (0 after --help, 2 on a usage error).
int ParseGenerationCommand(const std::vector<std::string>& args, const char* usage, ModelArgs& model,
                           SamplingArgs& sampling, const std::function<OwnFlag(size_t& i)>& own);

// The request for a prompt under the sampling flags (tool calls are not parsed: the CLI offers no tools).
GenerationRequest MakeRequest(const SamplingArgs& args, const ChatPrompt& prompt);

// Picks a random seed unless one was given.
void FinalizeSampling(SamplingArgs& args);

// Streams output deltas to stdout: reasoning dimmed (terminal) or hidden, a blank line between reasoning and
// answer, tool calls as JSON lines.
class StreamPrinter {
 public:
  explicit StreamPrinter(bool hide_thinking);
  bool operator()(const OutputDelta& delta);
  void End();  // resets the color and ends the line

 private:
  void Write(const std::string& text);

  bool hide_thinking_, tty_, in_reasoning_ = false, printed_ = false;
};

// "prompt 12 tokens, 0.05 s (240.0 t/s) · generated 64 tokens, 1.20 s (53.3 t/s) · stop" on stderr.
void PrintSpeed(const GenerationResult& result);

}  // namespace baleen::cli
