// Converting a Hugging Face folder to a GGUF file in llama.cpp's schema, and re-quantizing a GGUF: both stream one
// tensor at a time (memory bounded by the largest tensor), through the same recipes. Formats layer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/gguf/gguf_file.h"
#include "formats/gguf/gguf_model.h"
#include "formats/quants/quant_recipe.h"

namespace baleen {

// Called before each tensor is written: (tensors done, tensor count, bytes written, bytes total, tensor name).
using ConvertProgress = std::function<void(size_t, size_t, uint64_t, uint64_t, const std::string&)>;

struct HfConvertOptions {
  QuantRecipe recipe;
  bool keep_mtp = false;                     // keep DeepSeek-V3's MTP block (nextn_predict_layers)
  std::vector<GgufKeyValue> extra_metadata;  // tokenizer.* keys, from the text layer
  ConvertProgress progress;
};

Status ConvertHfToGguf(const std::string& dir, const std::string& out_path, const HfConvertOptions& options);

// Re-quantizes every weight matrix of `in` under `recipe` (quantized tensors are decoded first); metadata is kept
// except general.file_type and the split.* keys.
Status RequantizeGguf(const GgufModel& in, const std::string& out_path, const QuantRecipe& recipe,
                      const ConvertProgress& progress);

}  // namespace baleen
