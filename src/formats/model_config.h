// Model configuration resolved once from GGUF metadata into an immutable struct, named after DeepSeek's reference
// code (inference/model.py ModelArgs). Formats layer. Every value records whether it came from the file, a default
// or a derivation, so `baleen inspect` can show exactly what the engine will use.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "base/status.h"
#include "formats/gguf/gguf_model.h"

namespace baleen {

enum class Architecture { kDeepseek2, kDeepseek32, kDeepseek4, kQwen2, kLlama, kQwen3 };
enum class ParamSource { kFile, kDefault, kDerived };
enum class RopeScalingType { kNone, kLinear, kYarn, kLlama3 };
enum class ScoreFunc { kSoftmax = 1, kSigmoid = 2, kSqrtSoftplus = 4 };  // GGUF expert_gating_func ids

const char* ArchitectureName(Architecture arch);
// The one message for an architecture Baleen recognizes but does not run (deepseek32, deepseek4): LoadModel,
// convert and inspect all give it. Ok for a runnable one. Both are read from the registry (architectures.h).
Status NotRunnable(Architecture arch);
const char* ParamSourceName(ParamSource source);

// One resolved hyperparameter, keyed by its GGUF name without the architecture prefix ("attention.kv_lora_rank").
struct ResolvedParam {
  std::string key;
  std::variant<int64_t, double, bool, std::string> value;
  ParamSource source;
};

struct RopeConfig {
  double rope_theta = 10000.0;
  int64_t n_rot = 0;  // rotated dims per head (qk_rope_head_dim for MLA)
  RopeScalingType scaling = RopeScalingType::kNone;
  double factor = 1.0;
  int64_t original_seq_len = 0;
  double yarn_log_multiplier = 0.0;  // as stored (0.1 * mscale_all_dim for deepseek2)
  double beta_fast = 32.0;
  double beta_slow = 1.0;
};

// Multi-head latent attention (deepseek2/32/4).
struct MlaConfig {
  int64_t q_lora_rank = 0;  // 0: a single wq (V2-Lite) instead of wq_a -> q_norm -> wq_b
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
  bool split_kv_b = false;  // attn_k_b/attn_v_b present (MLA conversion) rather than attn_kv_b (legacy)
};

struct MoeConfig {
  int64_t n_dense_layers = 0;  // leading dense layers (first_k_dense_replace)
  int64_t moe_inter_dim = 0;
  int64_t n_routed_experts = 0;
  int64_t n_activated_experts = 0;
  int64_t n_shared_experts = 0;
  int64_t n_expert_groups = 1;
  int64_t n_limited_groups = 1;
  double route_scale = 1.0;
  bool norm_topk_prob = false;
  ScoreFunc score_func = ScoreFunc::kSoftmax;
};

// DeepSeek Sparse Attention indexer (deepseek32).
struct DsaConfig {
  int64_t index_n_heads = 0;
  int64_t index_head_dim = 0;
  int64_t index_topk = 0;
};

struct ModelConfig {
  Architecture arch = Architecture::kLlama;
  int64_t vocab_size = 0;
  int64_t dim = 0;        // embedding_length
  int64_t inter_dim = 0;  // dense FFN width
  int64_t n_layers = 0;   // main-model layers (block_count minus MTP layers)
  int64_t n_mtp_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;    // per-head q/k width for GQA models
  int64_t context_length = 0;
  double rms_norm_eps = 1e-6;
  RopeConfig rope;
  bool has_mla = false;
  MlaConfig mla;
  bool has_moe = false;
  MoeConfig moe;
  DsaConfig dsa;  // deepseek32 only

  std::vector<ResolvedParam> params;  // every value above as resolved, in reading order
};

// Resolves and sanity-checks the configuration; errors name the key that is missing or inconsistent.
Result<ModelConfig> ResolveModelConfig(const GgufModel& model);

}  // namespace baleen
