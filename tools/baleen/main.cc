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
    "  inspect MODEL.gguf [--json] [--tensors] [--metadata]\n"
    "      architecture, resolved hyperparameters, tokenizer summary, tensor statistics\n"
    "  tokenize MODEL [--json] [--bos] [--no-special] (TEXT | --file FILE | --jsonl FILE)\n"
    "  detokenize MODEL [--skip-special] ID...\n"
    "  template MODEL --messages FILE.json [--tools FILE.json] [--no-generation-prompt] [--thinking on|off]\n"
    "\n"
    "MODEL is a GGUF file (or the first shard of a split one); tokenize, detokenize and template also accept a\n"
    "folder holding tokenizer.json and tokenizer_config.json.\n"
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
  std::fprintf(stderr, "baleen: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
