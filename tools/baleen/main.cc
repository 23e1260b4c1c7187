// The baleen command line: dispatches to subcommands. Tools layer.
#include <cstdio>
#include <string>
#include <vector>

#include "baleen/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: baleen COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  serve [MODEL] [--host H] [--port P] [--api-key KEY] [--parallel N] [--ctx N] [-t N]\n"
    "      the OpenAI-compatible API server and web chat (http://127.0.0.1:8080/)\n"
    "  inspect MODEL [--json] [--tensors] [--metadata]\n"
    "      architecture, resolved hyperparameters, tokenizer summary, tensor statistics\n"
    "  tokenize MODEL [--json] [--bos] [--no-special] (TEXT | --file FILE | --jsonl FILE)\n"
    "  detokenize MODEL [--skip-special] ID...\n"
    "  template MODEL --messages FILE.json [--tools FILE.json] [--no-generation-prompt] [--thinking on|off]\n"
    "  run [MODEL] -p PROMPT [-n N] [--temp T] [--top-p P] [--seed S] [--ctx N] [-t N] [--raw] [--json]\n"
    "      generate a reply (chat template applied unless --raw), streamed; speed on stderr\n"
    "  chat [MODEL]    interactive multi-turn chat (/clear, /system TEXT, /think on|off, Ctrl-C stops a reply)\n"
    "  perplexity MODEL (--file FILE | --jsonl FILE | TEXT) [--json] [--window N]\n"
    "      teacher-forced scoring: perplexity, or per-token log-probabilities with --json\n"
    "  bench [MODEL] [-p 512] [-n 128] [-t THREADS] [-r REPS] [--json]\n"
    "      prompt-processing and generation throughput (tokens/s, mean ± sd)\n"
    "  convert DIR OUT.gguf [--type auto|f16|bf16|q8_0|q4_k_m|q5_k_m|q6_k|...] [--keep-mtp]\n"
    "      a Hugging Face folder (safetensors, FP8 included) to GGUF, streamed tensor by tensor\n"
    "  quantize IN.gguf OUT.gguf TYPE    re-quantize (q4_k_m, q5_k_m: mixed precision)\n"
    "  verify PATH [--sha256-manifest FILE]    check a download's structure, sizes and hashes\n"
    "\n"
    "MODEL is a GGUF file (or the first shard of a split one) or a Hugging Face model folder (config.json,\n"
    "safetensors, tokenizer.json); tokenize, detokenize and template need only the folder's tokenizer files.\n"
    "Pickle checkpoints (.bin, .pt) are never loaded. Where MODEL is in brackets it may be left out: serve,\n"
    "run, chat and bench then use $BALEEN_MODEL, or else the bundled baleen-tiny-r1 (models/README.md).\n"
    "\n"
    "Run 'baleen COMMAND --help' for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "inspect") return baleen::cli::RunInspect(args);
  if (command == "tokenize") return baleen::cli::RunTokenize(args);
  if (command == "detokenize") return baleen::cli::RunDetokenize(args);
  if (command == "template") return baleen::cli::RunTemplate(args);
  if (command == "run") return baleen::cli::RunRun(args);
  if (command == "chat") return baleen::cli::RunChat(args);
  if (command == "perplexity") return baleen::cli::RunPerplexity(args);
  if (command == "bench") return baleen::cli::RunBench(args);
  if (command == "serve") return baleen::cli::RunServe(args);
  if (command == "convert") return baleen::cli::RunConvert(args);
  if (command == "quantize") return baleen::cli::RunQuantize(args);
  if (command == "verify") return baleen::cli::RunVerify(args);
  std::fprintf(stderr, "baleen: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
