// Multi-head latent attention (DeepSeek-V2/V3): the query path (q-LoRA or a single wq), the compressed KV latent
// with its shared rope key, and attention over the K-only latent cache in the naive (decompressed) or absorbed
// form. Models layer.
#pragma once

#include <cstdint>
#include <vector>

#include "base/scratch.h"
#include "formats/model_config.h"
#include "kernels/rope.h"
#include "models/kv_cache.h"
#include "models/model.h"
#include "models/weights.h"

namespace baleen {

struct MlaWeights {
  std::vector<float> attn_norm;
  bool q_lora = false;
  WeightMatrix wq_a, wq_b, wq;  // wq_a → q_norm → wq_b with q-LoRA, else wq
  std::vector<float> q_norm;
  WeightMatrix wkv_a;           // → [c_kv (kv_lora_rank) ; k_pe (qk_rope_head_dim)]
  std::vector<float> kv_norm;
  // Per head: k_b[h] maps q_nope (cols = qk_nope) to the latent (rows = kv_lora_rank), i.e. W_UKᵀ;
  // v_b[h] maps the latent (cols = kv_lora_rank) to the value (rows = v_head_dim), i.e. W_UV.
  std::vector<WeightMatrix> k_b, v_b;
  std::vector<float> owned_k_b;  // legacy attn_kv_b files: W_UKᵀ built at load
  // W_UK of every head stacked (head h: rows h·qk_nope ..), kv_lora_rank columns, in Q8_0: the naive form's
  // decompression on the integer kernels. Built at load from k_b.
  WeightMatrix uk;
  std::vector<uint8_t> owned_uk;
  WeightMatrix wo;
};

// Loads the layer's attention; legacy files (attn_kv_b) get k_b/v_b derived from kv_b.
Result<MlaWeights> LoadMla(const WeightLoader& w, int64_t layer, const ModelConfig& config);

class MlaAttention {
 public:
  MlaAttention(const ModelConfig& config, Rope rope);

  // x += MLA(xn) for the batch's rows; writes their latent rows into their sequences' caches. The form is chosen per
  // sequence chunk (kAuto: naive for long prefill chunks).
  void Forward(const MlaWeights& l, int64_t layer, const float* xn, const BatchRows& batch, MlaMode mode,
               float* x) const;
  float softmax_scale() const { return softmax_scale_; }

 private:
  // q for every row: n × n_heads × (qk_nope + qk_rope), with RoPE applied to the rope part.
  ScratchVector<float> Queries(const MlaWeights& l, const float* xn, const BatchRows& batch) const;
  // Writes [kv_norm(c_kv) ; RoPE(k_pe)] rows for the batch's rows into their caches.
  void CacheLatents(const MlaWeights& l, int64_t layer, const float* xn, const BatchRows& batch) const;
  // Per-head attention outputs (rows × n_heads × v_head_dim) into `out` (n rows): the absorbed form for the rows of
  // the listed chunks, the naive form for one chunk.
  void Absorbed(const MlaWeights& l, int64_t layer, const ScratchVector<float>& q, const BatchRows& batch,
                const std::vector<size_t>& chunks, ScratchVector<float>& out) const;
  void Naive(const MlaWeights& l, int64_t layer, const ScratchVector<float>& q, const BatchRows& batch, size_t chunk,
             ScratchVector<float>& out) const;
  // For heads [h0, h0 + count): k_nope and v of every latent, into keys (position s, head j at (s · count + j) ·
  // qk) and values (at (s · count + j) · v_head).
  void Decompress(const MlaWeights& l, int64_t h0, int64_t count, const ScratchVector<float>& latents,
                  int64_t n_keys, float* keys, float* values) const;
  bool PreferNaive(int64_t n, int64_t pos) const;

  const ModelConfig& config_;
  Rope rope_;
  int64_t n_heads_, nope_, rope_dim_, qk_, kv_lora_, v_head_;
  float softmax_scale_;
};

}  // namespace baleen
