// Which family file loads each runnable architecture, and LoadModel, which dispatches through it.
#include "models/model_registry.h"

#include <iterator>

#include "models/deepseek2.h"
#include "models/dense.h"

namespace baleen {
namespace {

struct LoaderRow {
  Architecture arch;
  ModelLoaderFn load;
};
constexpr LoaderRow kLoaders[] = {
    {Architecture::kDeepseek2, LoadDeepseek2},
    {Architecture::kQwen2, LoadDense},
    {Architecture::kLlama, LoadDense},
    {Architecture::kQwen3, LoadDense},
};

}  // namespace

ModelLoaderFn ModelLoaderFor(Architecture arch) {
  for (const LoaderRow& row : kLoaders) {
    if (row.arch == arch) return row.load;
  }
  return nullptr;
}

Result<std::unique_ptr<Model>> LoadModel(const GgufModel& gguf, const ModelConfig& config,
                                         const ModelOptions& options) {
  RETURN_IF_ERROR(NotRunnable(config.arch));
  const ModelLoaderFn load = ModelLoaderFor(config.arch);
  if (load == nullptr) {
    return Internal(std::string("architecture '") + ArchitectureName(config.arch) +
                    "' is marked runnable in formats/architectures.cc but has no loader in models/model_registry.cc");
  }
  return load(gguf, config, options);
}

}  // namespace baleen
