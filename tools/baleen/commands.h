// Subcommands of the baleen CLI. Tools layer: each returns the process exit code (0 ok, 1 error, 2 usage).
#pragma once

#include <string>
#include <vector>

namespace baleen::cli {

int RunInspect(const std::vector<std::string>& args);
int RunTokenize(const std::vector<std::string>& args);
int RunDetokenize(const std::vector<std::string>& args);
int RunTemplate(const std::vector<std::string>& args);
int RunRun(const std::vector<std::string>& args);
int RunChat(const std::vector<std::string>& args);
int RunPerplexity(const std::vector<std::string>& args);
int RunBench(const std::vector<std::string>& args);
int RunServe(const std::vector<std::string>& args);
int RunConvert(const std::vector<std::string>& args);
int RunQuantize(const std::vector<std::string>& args);
int RunVerify(const std::vector<std::string>& args);

}  // namespace baleen::cli
