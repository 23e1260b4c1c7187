// BlockAllocator: reference-counted ids of the fixed-size blocks of a paged KV pool. Engine layer.
// Only bookkeeping: the pool itself (the bytes a block id points to) belongs to the model's KV cache.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

namespace baleen {

// Blocks 0..n_blocks-1, each free (refcount 0) or held by one or more owners: running sequences and the prefix
// cache. A block goes back to the free list when its last holder lets go.
class BlockAllocator {
 public:
  explicit BlockAllocator(int32_t n_blocks);

  // A free block with refcount 1, the lowest-numbered one (deterministic, so tests and logs repeat), or nullopt when
  // every block is held.
  std::optional<int32_t> Allocate();
  // Another holder of a block that is already held. CHECKs a bad id or a free block.
  void Ref(int32_t block);
  // One holder lets go; at 0 the block is free again. CHECKs a bad id or underflow.
  void Unref(int32_t block);

  int32_t refcount(int32_t block) const;
  int32_t free_blocks() const { return static_cast<int32_t>(free_.size()); }
  int32_t n_blocks() const { return static_cast<int32_t>(refcounts_.size()); }

 private:
  void CheckId(int32_t block) const;

  std::vector<int32_t> refcounts_;  // [n_blocks]
  // Ordered so that Allocate hands out the lowest id: O(log n) either way, and a sorted free list would cost the same.
  std::set<int32_t> free_;
};

}  // namespace baleen
