// The per-thread cache of free scratch blocks behind ScratchAllocator. Base layer.
#include "base/scratch.h"

#include <algorithm>
#include <new>

namespace baleen {
namespace {

// Below this, malloc serves from its heap without mapping pages, and caching would only add a search.
constexpr size_t kMinCachedBytes = size_t{256} << 10;
// At most this much free memory stays cached per thread; a forward pass's working set is far below it except for
// very long prompts, whose blocks then go back to the system as before.
constexpr size_t kMaxCachedBytes = size_t{1} << 30;
constexpr std::align_val_t kAlignment{64};  // whole cache lines, full-width vector loads

// Rounds a large request up to one of eight classes per power of two, so a block freed by one request serves the
// next request of the same class (deallocate gets back the requested size, so the class must be recomputable from
// it) while wasting at most 12.5%.
size_t ClassBytes(size_t bytes) {
  const int top = 63 - __builtin_clzll(bytes);  // 2^top ≤ bytes
  const size_t step = size_t{1} << (top - 3);
  return (bytes + step - 1) / step * step;
}

struct Block {
  void* p;
  size_t bytes;
};

struct Cache {
  std::vector<Block> free;
  size_t bytes = 0;

  ~Cache() { Trim(); }
  void Trim() {
    for (const Block& b : free) ::operator delete(b.p, kAlignment);
    free.clear();
    bytes = 0;
  }
};

// The cache lives as long as its thread. A vector freed after the thread's cache was destroyed (a thread_local or
// static destroyed later) finds the pointer null and frees its block directly.
thread_local Cache* t_cache = nullptr;
thread_local struct CacheOwner {
  Cache cache;
  CacheOwner() { t_cache = &cache; }
  ~CacheOwner() { t_cache = nullptr; }
} t_owner;

Cache* ThisThreadsCache() {
  (void)&t_owner;  // constructs the owner on first use in this thread
  return t_cache;
}

// AddressSanitizer must see every block freed, so the cache is off under it.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCaching = false;
#else
constexpr bool kCaching = true;
#endif

}  // namespace

namespace scratch_internal {

void* Acquire(size_t bytes) {
  if (!kCaching || bytes < kMinCachedBytes) return ::operator new(std::max<size_t>(bytes, 1), kAlignment);
  const size_t class_bytes = ClassBytes(bytes);
  if (Cache* cache = ThisThreadsCache()) {
    auto it = std::find_if(cache->free.begin(), cache->free.end(),
                           [&](const Block& b) { return b.bytes == class_bytes; });
    if (it != cache->free.end()) {
      void* p = it->p;
      cache->bytes -= it->bytes;
      *it = cache->free.back();
      cache->free.pop_back();
      return p;
    }
  }
  return ::operator new(class_bytes, kAlignment);
}

void Release(void* p, size_t bytes) {
  if (p == nullptr) return;
  if (!kCaching || bytes < kMinCachedBytes) return ::operator delete(p, kAlignment);
  const size_t class_bytes = ClassBytes(bytes);
  Cache* cache = ThisThreadsCache();
  if (cache == nullptr || cache->bytes + class_bytes > kMaxCachedBytes) return ::operator delete(p, kAlignment);
  cache->free.push_back({p, class_bytes});
  cache->bytes += class_bytes;
}

}  // namespace scratch_internal

size_t ScratchCachedBytes() {
  const Cache* cache = ThisThreadsCache();
  return cache == nullptr ? 0 : cache->bytes;
}

void ScratchTrim() {
  if (Cache* cache = ThisThreadsCache()) cache->Trim();
}

}  // namespace baleen
