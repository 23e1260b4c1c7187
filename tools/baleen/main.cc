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
  std::fprintf(stderr, "baleen: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
