// Dense GQA decoders of the R1-Distill family: qwen2 (QKV bias), llama (llama3 rope factors), qwen3 (per-head
// q/k RMSNorm, YaRN). Models layer.
#pragma once

#include <memory>

#include "models/model.h"

namespace baleen {

Result<std::unique_ptr<Model>> LoadDense(const GgufModel& gguf, const ModelConfig& config,
                                         const ModelOptions& options);

}  // namespace baleen
