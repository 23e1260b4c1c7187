// The one table from Hugging Face tensor names to GGUF tensor names (llama.cpp's converter schema), and the rows of
// each GGUF tensor computed from the checkpoint: experts stacked into *_exps, DeepSeek's kv_b_proj split into
// attn_k_b (W_UK transposed per head) and attn_v_b, llama q/k rows permuted for NORM RoPE, FP8 blocks scaled by
// weight_scale_inv. Formats layer; used both to load a folder and to convert it, one tensor at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/ggml_type.h"
#include "formats/hf/hf_config.h"
#include "formats/safetensors/safetensors_checkpoint.h"

namespace baleen {

enum class HfTensorOp {
  kCopy,          // one source, rows as stored
  kStackExperts,  // sources[e] is expert e: [n_expert, rows, cols]
  kPermuteRows,   // llama q/k: within each head, HF rows j and j + head_dim/2 become rows 2j and 2j + 1
  kSplitKB,       // kv_b_proj [H * (nope + v), kv_lora] -> attn_k_b [H][kv_lora][nope] (W_UK^T per head)
  kSplitVB,       // kv_b_proj -> attn_v_b [H][v][kv_lora] (W_UV per head)
  kConstant,      // computed values (llama3 rope_freqs)
};

struct HfSource {
  const SafetensorsTensor* tensor = nullptr;
  const SafetensorsTensor* scale_inv = nullptr;  // FP8: [ceil(rows / block), ceil(cols / block)] multipliers
};

struct HfTensor {
  std::string name;           // GGUF name, e.g. "blk.3.ffn_gate_exps.weight"
  std::vector<int64_t> dims;  // ggml order: dims[0] is the row length
  HfTensorOp op = HfTensorOp::kCopy;
  std::vector<HfSource> sources;
  std::vector<float> constant;  // kConstant
  int64_t group = 0;            // heads for kPermuteRows / kSplit*

  int64_t row_length() const { return dims[0]; }
  int64_t n_rows() const;
  bool is_vector() const { return dims.size() == 1; }
};

struct HfTensorPlan {
  std::vector<HfTensor> tensors;
  int64_t fp8_block_rows = 128, fp8_block_cols = 128;
};

// Maps every checkpoint tensor; an unknown name, a missing tensor or a wrong shape is an error naming it (MTP layers
// are skipped unless the shape counts them).
Result<HfTensorPlan> PlanHfTensors(const HfModelShape& shape, const SafetensorsCheckpoint& checkpoint);

// The type the tensor has when used without re-quantization: F32/F16/BF16 and integers as stored, FP8 and F64
// decoded to BF16 and F32, computed tensors F32.
GgmlType NativeType(const HfTensor& tensor);
// True when the tensor's bytes can be used in place, straight from the mapping (no decoding, no reordering).
bool IsZeroCopy(const HfTensor& tensor);

// Decodes rows [row_begin, row_begin + n_rows) of the tensor to float32, `out` holding n_rows * row_length values.
Status ReadHfRows(const HfTensorPlan& plan, const HfTensor& tensor, int64_t row_begin, int64_t n_rows, float* out);

}  // namespace baleen
