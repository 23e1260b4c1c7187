// Tiny random-weight GGUF models in the exact schema llama.cpp's converter writes, for tests and demos.
// Formats layer (test support). Shapes are small but keep every structural feature of the real models.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/ggml_type.h"
#include "formats/gguf/gguf_writer.h"
#include "formats/model_config.h"

namespace baleen::testing {

struct TinyModelSpec {
  Architecture arch = Architecture::kDeepseek2;
  bool q_lora = true;         // deepseek2: V3-style wq_a/q_norm/wq_b; false = V2-Lite-style single wq
  bool with_mtp = false;      // deepseek2/32: an extra NextN block (nextn_predict_layers = 1)
  GgmlType weight_type = GgmlType::kF32;  // 2-D weight matrices; norms and routers stay F32
  uint64_t seed = 1;
};

// A short human-readable name such as "deepseek2-v3" or "qwen3", unique per spec variant.
std::string TinyModelName(const TinyModelSpec& spec);

// GoogleTest prints parameterized specs with this (the name) instead of a byte dump.
void PrintTo(const TinyModelSpec& spec, std::ostream* os);

// Whether the architecture has a tiny-model builder (every runnable one must; models_test checks).
bool HasTinyBuilder(Architecture arch);
// One spec per architecture with a builder, in registry order, then the MLA variants (deepseek2-v2lite,
// deepseek2-v3-mtp): what `baleen-tiny-model --all` writes and the tests iterate over.
std::vector<TinyModelSpec> TinyModelVariants(GgmlType weight_type = GgmlType::kF32, uint64_t seed = 1);

// Fills `writer` with metadata, tokenizer and tensors for the spec.
Status BuildTinyModel(const TinyModelSpec& spec, GgufWriter& writer);
// Builds and writes a single file.
Status WriteTinyModel(const TinyModelSpec& spec, const std::string& path);

}  // namespace baleen::testing
