// DeepSeek-V2/V2-Lite/V2.5/V3/R1/V3.1 (`deepseek2`): MLA attention, leading dense layers, then MoE layers; the
// MTP (NextN) block is loaded when the file has it and kept for speculative decoding. Models layer.
#pragma once

#include <memory>

#include "models/model.h"

namespace baleen {

Result<std::unique_ptr<Model>> LoadDeepseek2(const GgufModel& gguf, const ModelConfig& config,
                                             const ModelOptions& options);

}  // namespace baleen
