// KvBlockPool storage and KvCache's views of it. Large `new std::byte[]` allocations come from mmap, untouched until
// written.
#include "models/kv_cache.h"

#include <cstring>
#include <numeric>

#include "base/check.h"
#include "formats/quants/quants.h"

namespace baleen {

const char* KvCacheTypeName(KvCacheType type) { return type == KvCacheType::kF16 ? "f16" : "f32"; }

KvBlockPool::KvBlockPool(const CacheGeometry& geometry, int64_t n_blocks)
    : geometry_(geometry),
      n_blocks_(n_blocks),
      block_elements_(geometry.n_layers * (geometry.k_width + geometry.v_width) * kKvBlockTokens),
      data_(new std::byte[static_cast<size_t>(n_blocks * block_elements_ * geometry.ElementBytes())]) {}

KvCache::KvCache(const CacheGeometry& geometry, int64_t n_ctx)
    : own_pool_(std::make_unique<KvBlockPool>(geometry, (n_ctx + kKvBlockTokens - 1) / kKvBlockTokens)),
      pool_(own_pool_.get()),
      n_ctx_(n_ctx),
      blocks_(static_cast<size_t>(own_pool_->n_blocks())) {
  std::iota(blocks_.begin(), blocks_.end(), 0);
}

void KvCache::Store(std::byte* dst, const float* row, int64_t n) const {
  if (type() == KvCacheType::kF32) {
    std::memcpy(dst, row, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  CHECK(QuantizeRow(GgmlType::kF16, row, dst, n).ok());  // F16 has no blocks: cannot fail
}

void KvCache::LoadK(int64_t layer, int64_t pos, int64_t offset, int64_t count, float* out) const {
  const std::byte* src = KRow(layer, pos) + offset * pool_->geometry().ElementBytes();
  if (type() == KvCacheType::kF32) {
    std::memcpy(out, src, static_cast<size_t>(count) * sizeof(float));
    return;
  }
  CHECK(DequantizeRow(GgmlType::kF16, src, out, count).ok());
}

CacheRows KvCache::KRows(int64_t layer, int64_t offset, std::vector<const void*>& bases) {
  bases.clear();
  for (int32_t b : blocks_) bases.push_back(pool_->K(b, layer));
  return CacheRows{bases.data(), kKvBlockShift, k_width(), offset, type() == KvCacheType::kF16};
}

CacheRows KvCache::VRows(int64_t layer, int64_t offset, std::vector<const void*>& bases) {
  bases.clear();
  for (int32_t b : blocks_) bases.push_back(pool_->V(b, layer));
  return CacheRows{bases.data(), kKvBlockShift, v_width(), offset, type() == KvCacheType::kF16};
}

}  // namespace baleen
