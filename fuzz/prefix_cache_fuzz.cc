// libFuzzer target for the prefix cache file reader behind --cache-dir (PrefixCache::LoadBytes). Fuzz harness.
// A SHA-256 closes every file, so a mutated input almost never gets past it; each input is therefore loaded twice,
// as given and with a valid digest appended, and the second load fuzzes the structure behind the checksum.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/sha256.h"
#include "engine/kv/kv_blocks.h"
#include "engine/kv/prefix_cache.h"
#include "fuzz_check.h"

namespace {

constexpr int32_t kBlocks = 32;      // fewer than a large input's entries, so the "pool ran out" path runs too
constexpr int64_t kBlockTokens = 2;  // short entries, easier to build
constexpr char kFingerprint[] = "fuzz";

void LoadOnce(std::span<const uint8_t> file) {
  baleen::BlockAllocator allocator(kBlocks);
  baleen::PrefixCache cache(allocator, kBlockTokens);
  int64_t writes = 0;
  const auto write_block = [&](int32_t block, std::span<const std::byte> bytes) {
    FUZZ_CHECK(block >= 0 && block < kBlocks && allocator.refcount(block) == 1);
    if (!bytes.empty()) (void)(static_cast<int>(bytes.front()) + static_cast<int>(bytes.back()));  // in bounds
    ++writes;
  };
  baleen::Result<int64_t> loaded = cache.LoadBytes(file, "fuzz", kFingerprint, write_block);
  if (!loaded.ok()) {  // rejected: nothing may have changed
    FUZZ_CHECK(writes == 0 && cache.stats().cached_blocks == 0 && allocator.free_blocks() == kBlocks);
    return;
  }
  FUZZ_CHECK(*loaded == writes && cache.stats().cached_blocks == *loaded);
  FUZZ_CHECK(allocator.free_blocks() == kBlocks - *loaded);
  // Nobody else holds the restored blocks, so all of them can go, leaves first; any orphan or stale leaf shows here.
  FUZZ_CHECK(cache.evictable_blocks() == *loaded);
  FUZZ_CHECK(cache.Evict(kBlocks) == *loaded);
  FUZZ_CHECK(allocator.free_blocks() == kBlocks);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  LoadOnce(input);
  baleen::Sha256 sha;
  sha.Update(input);
  const auto digest = sha.Finish();
  std::vector<uint8_t> sealed(input.begin(), input.end());
  sealed.insert(sealed.end(), digest.begin(), digest.end());
  LoadOnce(sealed);
  return 0;
}
