// KvBlockPool storage and KvCache's views of it. Large `new float[]` allocations come from mmap, untouched until
// written.
#include "models/kv_cache.h"

#include <numeric>

namespace baleen {

KvBlockPool::KvBlockPool(const CacheGeometry& geometry, int64_t n_blocks)
    : geometry_(geometry),
      n_blocks_(n_blocks),
      block_floats_(geometry.n_layers * (geometry.k_width + geometry.v_width) * kKvBlockTokens),
      data_(new float[static_cast<size_t>(n_blocks * block_floats_)]) {}

KvCache::KvCache(const CacheGeometry& geometry, int64_t n_ctx)
    : own_pool_(std::make_unique<KvBlockPool>(geometry, (n_ctx + kKvBlockTokens - 1) / kKvBlockTokens)),
      pool_(own_pool_.get()),
      n_ctx_(n_ctx),
      blocks_(static_cast<size_t>(own_pool_->n_blocks())) {
  std::iota(blocks_.begin(), blocks_.end(), 0);
}

CacheRows KvCache::KRows(int64_t layer, int64_t offset, std::vector<const float*>& bases) {
  bases.clear();
  for (int32_t b : blocks_) bases.push_back(pool_->K(b, layer));
  return CacheRows{bases.data(), kKvBlockShift, k_width(), offset};
}

CacheRows KvCache::VRows(int64_t layer, int64_t offset, std::vector<const float*>& bases) {
  bases.clear();
  for (int32_t b : blocks_) bases.push_back(pool_->V(b, layer));
  return CacheRows{bases.data(), kKvBlockShift, v_width(), offset};
}

}  // namespace baleen
