// Quantization recipes: which GGUF type each tensor gets when a model is converted or re-quantized, including the
// mixed-precision _S/_M variants, and the row-by-row encoder both tools share. Formats layer.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "formats/ggml_type.h"

namespace baleen {

struct QuantRecipe {
  std::string name;                 // "q4_k_m", "bf16", "auto"
  bool keep_native = false;         // "auto": every tensor keeps the type it has (FP8 -> BF16)
  GgmlType base = GgmlType::kF16;   // routed experts and everything not named below
  GgmlType attention = GgmlType::kF16;   // attn_* matrices (and the MTP projection)
  GgmlType ffn_down = GgmlType::kF16;    // dense and shared-expert ffn_down, llama.cpp's "more bits" tensor
  GgmlType experts_down = GgmlType::kF16;  // routed ffn_down_exps
  GgmlType output = GgmlType::kF16;        // output.weight (the head)
  uint32_t file_type = 1;                  // general.file_type (llama_ftype)
};

// Names accepted by convert and quantize, for usage messages.
const char* QuantRecipeNames();
Result<QuantRecipe> ParseQuantRecipe(std::string_view name);

// The type of one tensor (GGUF name, ggml dims) under the recipe. `native` is the type it has now. Vectors, the
// router and computed factors stay F32; a row length that is not a whole number of the type's blocks falls back to
// Q8_0, then F16.
GgmlType ChooseTensorType(const QuantRecipe& recipe, const std::string& name, std::span<const int64_t> dims,
                          GgmlType native);

// Produces rows [row_begin, row_begin + n_rows) of a tensor as float32.
using FloatRowSource = std::function<Status(int64_t row_begin, int64_t n_rows, float* out)>;
// Encodes a whole tensor of n_rows rows of row_length elements into `out` (RowBytes * n_rows bytes) in `type`,
// reading a bounded number of rows at a time.
Status EncodeTensor(GgmlType type, int64_t row_length, int64_t n_rows, const FloatRowSource& source,
                    std::span<uint8_t> out);

}  // namespace baleen
