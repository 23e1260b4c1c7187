// The attention cache, paged: a KvBlockPool holds fixed-size blocks of kKvBlockTokens positions (every layer's K and V
// rows of those positions), and a KvCache is one sequence's block table into a pool, so many sequences share one
// allocation, memory follows the tokens actually cached, and a block of a shared prefix can serve several sequences.
// Models layer. GQA models store K and V rows of n_kv_heads·head_dim; MLA stores only the K row [c_kv ; k_pe]
// (kv_lora_rank + qk_rope_head_dim), whose first kv_lora_rank values double as the value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/attention.h"

namespace baleen {

// Positions per block: small enough that a shared prefix is reused to within 15 tokens and memory follows use, a
// power of two so a position's block is a shift away.
inline constexpr int kKvBlockShift = 4;
inline constexpr int64_t kKvBlockTokens = int64_t{1} << kKvBlockShift;

// How cached rows are stored. F16 halves the bytes attention reads per token (what bounds generation at long
// context) at the cost of rounding keys and values to 11 significant bits, as llama.cpp's default cache does.
enum class KvCacheType { kF32, kF16 };
const char* KvCacheTypeName(KvCacheType type);  // "f32", "f16"

// The rows a cache keeps per position, and their storage; BytesPerToken for sizing --ctx against memory.
struct CacheGeometry {
  int64_t n_layers = 0;
  int64_t k_width = 0;
  int64_t v_width = 0;
  KvCacheType type = KvCacheType::kF32;
  int64_t ElementBytes() const { return type == KvCacheType::kF16 ? 2 : 4; }
  uint64_t BytesPerToken() const { return static_cast<uint64_t>(n_layers * (k_width + v_width) * ElementBytes()); }
};

// Blocks of rows (F32 or F16 elements). Block b holds, for each layer, kKvBlockTokens K rows, then (after all layers'
// K) the V rows.
class KvBlockPool {
 public:
  KvBlockPool(const CacheGeometry& geometry, int64_t n_blocks);

  int64_t n_blocks() const { return n_blocks_; }
  const CacheGeometry& geometry() const { return geometry_; }
  // The first K (V) row of a layer in a block.
  std::byte* K(int32_t block, int64_t layer) { return Element(block, layer * kKvBlockTokens * geometry_.k_width); }
  std::byte* V(int32_t block, int64_t layer) {
    return Element(block, (geometry_.n_layers * geometry_.k_width + layer * geometry_.v_width) * kKvBlockTokens);
  }
  uint64_t block_bytes() const { return static_cast<uint64_t>(block_elements_ * geometry_.ElementBytes()); }
  std::span<std::byte> BlockBytes(int32_t block) { return {Element(block, 0), static_cast<size_t>(block_bytes())}; }
  uint64_t bytes() const { return block_bytes() * static_cast<uint64_t>(n_blocks_); }

 private:
  std::byte* Element(int32_t block, int64_t index) {
    return data_.get() + (static_cast<size_t>(block) * static_cast<size_t>(block_elements_) + static_cast<size_t>(index)) *
                             static_cast<size_t>(geometry_.ElementBytes());
  }

  CacheGeometry geometry_;
  int64_t n_blocks_, block_elements_;
  // Uninitialized on purpose: the OS commits pages as blocks are written, so resident memory follows the tokens
  // actually cached rather than the pool's size. Positions are always written before they are read.
  std::unique_ptr<std::byte[]> data_;
};

// One sequence: the blocks holding its positions, in order. Position p lives in blocks()[p / kKvBlockTokens].
class KvCache {
 public:
  // A view into a shared pool; its owner adds blocks (set_blocks) before positions are written.
  KvCache(KvBlockPool& pool, int64_t n_ctx) : pool_(&pool), n_ctx_(n_ctx) {}
  // A single sequence with a private pool of n_ctx positions, every block in place.
  KvCache(const CacheGeometry& geometry, int64_t n_ctx);

  int64_t n_ctx() const { return n_ctx_; }
  // Positions its blocks can hold (at most n_ctx are used).
  int64_t capacity() const { return static_cast<int64_t>(blocks_.size()) * kKvBlockTokens; }
  int64_t k_width() const { return pool_->geometry().k_width; }
  int64_t v_width() const { return pool_->geometry().v_width; }
  uint64_t bytes() const { return static_cast<uint64_t>(blocks_.size()) * pool_->block_bytes(); }
  const std::vector<int32_t>& blocks() const { return blocks_; }
  void set_blocks(std::vector<int32_t> blocks) { blocks_ = std::move(blocks); }
  KvBlockPool& pool() { return *pool_; }

  KvCacheType type() const { return pool_->geometry().type; }

  // Writes a position's K (V) row of a layer, converting to the cache's type.
  void StoreK(int64_t layer, int64_t pos, const float* row) { Store(KRow(layer, pos), row, k_width()); }
  void StoreV(int64_t layer, int64_t pos, const float* row) { Store(VRow(layer, pos), row, v_width()); }
  // Reads `count` values of a position's K row from `offset` on, as F32.
  void LoadK(int64_t layer, int64_t pos, int64_t offset, int64_t count, float* out) const;

  // The layer's K (or V) rows for attention, starting `offset` elements into each row. `bases` is filled with one
  // pointer per block and must outlive the returned view.
  CacheRows KRows(int64_t layer, int64_t offset, std::vector<const void*>& bases);
  CacheRows VRows(int64_t layer, int64_t offset, std::vector<const void*>& bases);

 private:
  int32_t BlockOf(int64_t pos) const { return blocks_[static_cast<size_t>(pos >> kKvBlockShift)]; }
  std::byte* KRow(int64_t layer, int64_t pos) const { return Row(pool_->K(BlockOf(pos), layer), pos, k_width()); }
  std::byte* VRow(int64_t layer, int64_t pos) const { return Row(pool_->V(BlockOf(pos), layer), pos, v_width()); }
  std::byte* Row(std::byte* first, int64_t pos, int64_t width) const {
    return first + (pos & (kKvBlockTokens - 1)) * width * pool_->geometry().ElementBytes();
  }
  void Store(std::byte* dst, const float* row, int64_t n) const;

  std::unique_ptr<KvBlockPool> own_pool_;  // the single-sequence form only
  KvBlockPool* pool_;
  int64_t n_ctx_;
  std::vector<int32_t> blocks_;
};

}  // namespace baleen
