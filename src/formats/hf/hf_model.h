// A Hugging Face model folder opened as the GGUF model it converts to: config.json -> metadata, safetensors shards
// -> tensors. Formats layer; the engine then loads it exactly like a GGUF file.
// F32/F16/BF16 (and integer) tensors stored as-is are used in place from the mapping; FP8 weights are multiplied by
// their block scales and kept as BF16, and stacked experts, the split kv_b and llama's permuted q/k are built once
// at load into owned buffers.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "formats/gguf/gguf_model.h"

namespace baleen {

// True when `path` is a directory (a Hugging Face folder rather than a GGUF file).
bool IsModelFolder(const std::string& path);

Result<std::unique_ptr<GgufModel>> OpenHfModel(const std::string& dir);

// A GGUF file (or first shard) or a Hugging Face folder; pickle checkpoints are refused with the reason.
Result<std::unique_ptr<GgufModel>> OpenModelPath(const std::string& path);

}  // namespace baleen
