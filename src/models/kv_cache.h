// The attention cache of one sequence: per layer, one row of keys (and optionally values) per position. Models
// layer. GQA models store K and V rows of n_kv_heads·head_dim; MLA stores only the K row [c_kv ; k_pe]
// (kv_lora_rank + qk_rope_head_dim), whose first kv_lora_rank values double as the value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace baleen {

class KvCache {
 public:
  KvCache(int64_t n_layers, int64_t n_ctx, int64_t k_width, int64_t v_width);

  int64_t n_ctx() const { return n_ctx_; }
  int64_t k_width() const { return k_width_; }
  int64_t v_width() const { return v_width_; }
  float* K(int64_t layer, int64_t pos) { return &k_[Index(layer, pos, k_width_)]; }
  float* V(int64_t layer, int64_t pos) { return &v_[Index(layer, pos, v_width_)]; }
  uint64_t bytes() const { return static_cast<uint64_t>(n_layers_ * n_ctx_ * (k_width_ + v_width_)) * sizeof(float); }

 private:
  size_t Index(int64_t layer, int64_t pos, int64_t width) const {
    return static_cast<size_t>((layer * n_ctx_ + pos) * width);
  }

  int64_t n_layers_, n_ctx_, k_width_, v_width_;
  // Uninitialized on purpose: the OS commits pages as positions are written, so resident memory follows the
  // tokens actually cached rather than --ctx. Positions are always written before they are read.
  std::unique_ptr<float[]> k_, v_;
};

// Bytes a cache of one position takes for the model (all layers), for sizing --ctx against memory.
struct CacheGeometry {
  int64_t n_layers = 0;
  int64_t k_width = 0;
  int64_t v_width = 0;
  uint64_t BytesPerToken() const { return static_cast<uint64_t>(n_layers * (k_width + v_width)) * sizeof(float); }
};

}  // namespace baleen
