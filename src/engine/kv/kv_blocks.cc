// BlockAllocator: refcounts and the free list of the paged KV pool's blocks. Engine layer.
#include "engine/kv/kv_blocks.h"

#include "base/check.h"

namespace baleen {

BlockAllocator::BlockAllocator(int32_t n_blocks) : refcounts_(static_cast<size_t>(n_blocks > 0 ? n_blocks : 0), 0) {
  CHECK(n_blocks >= 0);
  for (int32_t block = 0; block < n_blocks; ++block) free_.insert(free_.end(), block);
}

std::optional<int32_t> BlockAllocator::Allocate() {
  if (free_.empty()) return std::nullopt;
  const int32_t block = *free_.begin();
  free_.erase(free_.begin());
  refcounts_[block] = 1;
  return block;
}

void BlockAllocator::Ref(int32_t block) {
  CheckId(block);
  CHECK(refcounts_[block] > 0);  // a free block has no holder to share it with
  ++refcounts_[block];
}

void BlockAllocator::Unref(int32_t block) {
  CheckId(block);
  CHECK(refcounts_[block] > 0);
  if (--refcounts_[block] == 0) free_.insert(block);
}

int32_t BlockAllocator::refcount(int32_t block) const {
  CheckId(block);
  return refcounts_[block];
}

void BlockAllocator::CheckId(int32_t block) const {
  CHECK(block >= 0 && block < n_blocks());
}

}  // namespace baleen
