// Option parsing and model opening shared by the CLI subcommands.
#include "baleen/cli_util.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/thread_pool.h"

namespace baleen::cli {

bool TakeValue(const std::vector<std::string>& args, size_t& i, std::string& out) {
  if (i + 1 >= args.size()) return false;
  out = args[++i];
  return true;
}

bool ParseInt(const std::string& text, int64_t& out) {
  if (text.empty()) return false;
  size_t used = 0;
  try {
    out = std::stoll(text, &used);
  } catch (...) {
    return false;
  }
  return used == text.size();
}

bool ParseFloat(const std::string& text, double& out) {
  if (text.empty()) return false;
  size_t used = 0;
  try {
    out = std::stod(text, &used);
  } catch (...) {
    return false;
  }
  return used == text.size();
}

int Fail(const Status& status) {
  std::fprintf(stderr, "baleen: error: %s\n", status.message().c_str());
  return 1;
}

int Usage(const char* usage, const std::string& problem) {
  std::fprintf(stderr, "baleen: %s\n%s", problem.c_str(), usage);
  return 2;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool ParseModelArg(const std::vector<std::string>& args, size_t& i, ModelArgs& out, std::string& error) {
  const std::string& arg = args[i];
  std::string value;
  int64_t number = 0;
  auto positive = [&](const char* what) {
    if (!TakeValue(args, i, value) || !ParseInt(value, number) || number <= 0) {
      error = std::string(what) + " takes a positive integer";
      return false;
    }
    return true;
  };
  if (arg == "--ctx" || arg == "-c") {
    if (positive("--ctx")) out.n_ctx = number;
  } else if (arg == "--threads" || arg == "-t") {
    if (positive("--threads")) out.threads = static_cast<int>(std::min<int64_t>(number, 1024));
  } else if (arg == "--batch" || arg == "-b") {
    if (positive("--batch")) out.n_batch = number;
  } else if (arg == "--no-repack") {
    out.repack = false;
  } else if (arg == "--cache-type") {
    TakeValue(args, i, value);
    if (value == "f32" || value == "f16") {
      out.cache_type = value == "f16" ? KvCacheType::kF16 : KvCacheType::kF32;
    } else {
      error = "--cache-type takes f32 or f16";
    }
  } else if (arg == "--mla") {
    TakeValue(args, i, value);
    if (value == "auto") {
      out.mla_mode = MlaMode::kAuto;
    } else if (value == "naive") {
      out.mla_mode = MlaMode::kNaive;
    } else if (value == "absorbed") {
      out.mla_mode = MlaMode::kAbsorbed;
    } else {
      error = "--mla takes auto, naive or absorbed";
    }
  } else {
    return false;
  }
  return true;
}

Result<std::string> DefaultModelPath() {
  if (const char* env = std::getenv("BALEEN_MODEL"); env != nullptr && *env != '\0') return std::string(env);
  const std::string bundled = BALEEN_DEFAULT_MODEL;
  if (access(bundled.c_str(), R_OK) != 0) {
    return NotFound("no MODEL given and the bundled model " + bundled +
                    " is not there (give a model file or set BALEEN_MODEL)");
  }
  return bundled;
}

int UseDefaultModelIfNone(std::string& path) {
  if (!path.empty()) return -1;
  Result<std::string> fallback = DefaultModelPath();
  if (!fallback.ok()) return Fail(fallback.status());
  path = *fallback;
  return -1;
}

Result<std::unique_ptr<LoadedModel>> OpenForInference(const ModelArgs& args) {
  if (args.threads > 0) ThreadPool::SetGlobalThreads(args.threads);
  LoadOptions options;
  options.n_ctx = args.n_ctx;
  options.mla_mode = args.mla_mode;
  options.repack = args.repack;
  options.cache_type = args.cache_type;
  const bool tty = isatty(STDERR_FILENO) != 0;
  options.progress = [tty](uint64_t done, uint64_t total) {
    // A bar only where someone watches and the wait is noticeable (files over 256 MiB).
    if (!tty || total < (256ull << 20)) return;
    const int width = 40, filled = static_cast<int>(width * done / std::max<uint64_t>(total, 1));
    std::fprintf(stderr, "\rloading [%.*s%*s] %3d%%", filled, "########################################",
                 width - filled, "", static_cast<int>(100 * done / std::max<uint64_t>(total, 1)));
    if (done == total) std::fputs("\r\033[K", stderr);
  };
  ASSIGN_OR_RETURN(std::unique_ptr<LoadedModel> model, OpenModel(args.path, options));
  std::fprintf(stderr, "%s\n", DescribeLoadedModel(*model, args.path, ThreadPool::Global().n_threads()).c_str());
  return model;
}

}  // namespace baleen::cli
