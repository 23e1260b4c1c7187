// Shared pieces of the CLI subcommands: option values, error/usage exits, file reading, and opening a model for
// inference with the common flags (--ctx, --threads, --batch, --mla). Tools layer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/generation/loaded_model.h"

namespace baleen::cli {

// Reads the value of an option that takes one ("--file PATH"): advances i; false when the value is missing.
bool TakeValue(const std::vector<std::string>& args, size_t& i, std::string& out);
// Parses a whole decimal/float option value; false on junk.
bool ParseInt(const std::string& text, int64_t& out);
bool ParseFloat(const std::string& text, double& out);

int Fail(const Status& status);                                 // prints "baleen: error: …", returns 1
int Usage(const char* usage, const std::string& problem);      // prints the problem and usage, returns 2
Result<std::string> ReadFile(const std::string& path);

// The model a command uses when it names none: $BALEEN_MODEL when set, else the bundled trained model
// (models/baleen-tiny-r1.gguf of the source tree this binary was built from). Fails, saying which path it tried,
// when that file is missing.
Result<std::string> DefaultModelPath();
// Fills an empty `path` with DefaultModelPath(); an error exit code (>= 0) on failure, -1 when `path` is set.
int UseDefaultModelIfNone(std::string& path);

// Flags every inference command takes.
struct ModelArgs {
  std::string path;
  int64_t n_ctx = 0;
  int64_t n_batch = 512;
  int threads = 0;  // 0: all cores
  MlaMode mla_mode = MlaMode::kAuto;
  bool repack = true;
  KvCacheType cache_type = KvCacheType::kF32;
};
inline constexpr const char* kModelArgsHelp =
    "  --ctx N        context length (default: the trained one, capped to a memory-safe size; printed)\n"
    "  -t, --threads N  worker threads (default: all cores)\n"
    "  --batch N      prompt tokens per forward pass (default 512)\n"
    "  --mla auto|naive|absorbed  MLA attention form (deepseek2; default auto)\n"
    "  --no-repack    keep Q8_0/Q4_0/Q5_0/Q4_K/Q5_K/Q6_K weights in the file's layout (default: interleaved\n"
    "                 copies for the integer kernels on AVX2 and better)\n"
    "  --cache-type f32|f16  KV cache elements (default f32, exact; f16 halves what attention reads at long context)\n";

// Consumes args[i] (and its value) when it is one of the flags above; sets `error` on a bad value.
bool ParseModelArg(const std::vector<std::string>& args, size_t& i, ModelArgs& out, std::string& error);

// Sets the thread count, opens the model with a progress bar on a terminal for large files, and prints the
// one-line summary to stderr.
Result<std::unique_ptr<LoadedModel>> OpenForInference(const ModelArgs& args);

}  // namespace baleen::cli
