// The architecture registry, models half: Architecture -> the loader that builds its forward pass. Models layer.
// The formats half (formats/architectures.h) says which architectures are runnable; models_test checks that the
// two agree (every runnable row has a loader here, a tiny model and reference goldens; no other row has any).
#pragma once

#include <memory>

#include "models/model.h"

namespace baleen {

using ModelLoaderFn = Result<std::unique_ptr<Model>> (*)(const GgufModel& gguf, const ModelConfig& config,
                                                        const ModelOptions& options);

// The architecture's loader, or nullptr when it has no forward pass (LoadModel then answers NotRunnable).
ModelLoaderFn ModelLoaderFor(Architecture arch);

}  // namespace baleen
