// Hugging Face config.json -> the GGUF metadata llama.cpp's converter would write for the same model, plus the few
// numbers that name and shape its tensors. Formats layer. ResolveModelConfig then reads that metadata, so a folder
// and its converted GGUF resolve to the same ModelConfig by construction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/gguf/gguf_file.h"
#include "formats/model_config.h"

namespace baleen {

// What the tensor table needs from config.json, in DeepSeek's ModelArgs vocabulary.
struct HfModelShape {
  Architecture arch = Architecture::kLlama;
  std::string hf_architecture;  // "DeepseekV3ForCausalLM"
  int64_t n_layers = 0;         // main decoder layers (num_hidden_layers)
  int64_t n_mtp_layers = 0;     // num_nextn_predict_layers: stored after the main layers
  int64_t dim = 0, vocab_size = 0;
  int64_t n_heads = 0, n_kv_heads = 0, head_dim = 0;
  bool tie_word_embeddings = false;
  // deepseek2
  int64_t q_lora_rank = 0, kv_lora_rank = 0, qk_nope_head_dim = 0, qk_rope_head_dim = 0, v_head_dim = 0;
  int64_t n_routed_experts = 0, n_dense_layers = 0;
  // FP8 checkpoints: quantization_config.weight_block_size ([rows, cols] of one weight_scale_inv entry)
  bool fp8 = false;
  int64_t fp8_block_rows = 128, fp8_block_cols = 128;
  // llama3 rope: the rope_freqs.weight factors llama.cpp's converter computes; empty otherwise.
  std::vector<float> rope_freqs;
};

struct HfConfig {
  HfModelShape shape;
  std::vector<GgufKeyValue> metadata;  // general.* and <arch>.* keys (no tokenizer keys)
};

// The Hugging Face `architectures` Baleen can run, for messages.
const char* SupportedHfArchitectures();

// Parses `dir`/config.json. `keep_mtp` counts the MTP layers into block_count and writes nextn_predict_layers (the
// converter's --keep-mtp); otherwise the model is described without them. Unsupported architectures and fields get
// a message naming config.json, the field and its value.
Result<HfConfig> ReadHfConfig(const std::string& dir, bool keep_mtp);

}  // namespace baleen
