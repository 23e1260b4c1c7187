// Tests of BlockAllocator and PrefixCache: refcounts, longest-prefix matching, tenant isolation, LRU eviction, and
// the --cache-dir file (round trip, corruption, hostile counts, a pool too small for the file, links and files planted
// by another local user). Engine layer.
#include "engine/kv/prefix_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "engine/kv/kv_blocks.h"

namespace baleen {
namespace {

constexpr int64_t kBlockTokens = 4;
constexpr size_t kBlockBytes = 24;
constexpr char kFingerprint[] = "test-model/kv-v1";

// Tokens `first`, `first`+1, ... : distinct runs stand for distinct prompts.
std::vector<int32_t> TokenRun(int32_t first, int32_t n) {
  std::vector<int32_t> tokens(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) tokens[i] = first + i;
  return tokens;
}

std::vector<int32_t> Concat(std::vector<int32_t> a, const std::vector<int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A fake KV pool: the bytes behind each block id, as a model's KV cache would hold them.
struct FakePool {
  explicit FakePool(int32_t n_blocks) : bytes(static_cast<size_t>(n_blocks), std::vector<std::byte>(kBlockBytes)) {}
  std::span<const std::byte> Read(int32_t block) const { return bytes[block]; }
  void Write(int32_t block, std::span<const std::byte> data) {
    ASSERT_EQ(data.size(), kBlockBytes);
    bytes[block].assign(data.begin(), data.end());
    ++writes;
  }
  std::vector<std::vector<std::byte>> bytes;
  int writes = 0;
};

class PrefixCacheTest : public ::testing::Test {
 protected:
  static constexpr int32_t kBlocks = 64;

  // Runs a sequence the way the engine would: reuse the cached prefix, allocate the rest, "compute" their KV into
  // the pool (bytes derived from the tokens), offer everything to the cache, and let the sequence's refs go.
  // Returns the sequence's blocks.
  std::vector<int32_t> RunSequence(PrefixCache& cache, const std::string& tenant, const std::vector<int32_t>& tokens) {
    std::vector<int32_t> blocks = cache.Match(tenant, tokens, INT64_MAX);
    const size_t n_needed = (tokens.size() + kBlockTokens - 1) / kBlockTokens;
    while (blocks.size() < n_needed) {
      const std::optional<int32_t> block = allocator_.Allocate();
      EXPECT_TRUE(block.has_value());
      if (!block) break;
      for (size_t i = 0; i < kBlockBytes; ++i) {
        pool_.bytes[*block][i] = static_cast<std::byte>(tokens[blocks.size() * kBlockTokens] * 7 + i);
      }
      blocks.push_back(*block);
    }
    cache.Insert(tenant, tokens, blocks);
    for (int32_t block : blocks) allocator_.Unref(block);
    return blocks;
  }

  // Match and give the refs straight back: what is cached, without holding anything.
  std::vector<int32_t> Peek(PrefixCache& cache, const std::string& tenant, const std::vector<int32_t>& tokens) {
    std::vector<int32_t> blocks = cache.Match(tenant, tokens, INT64_MAX);
    for (int32_t block : blocks) allocator_.Unref(block);
    return blocks;
  }

  std::string TempPath(const std::string& name) {
    return ::testing::TempDir() + "/prefix_cache_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" + name;
  }

  BlockAllocator allocator_{kBlocks};
  FakePool pool_{kBlocks};
  PrefixCache cache_{allocator_, kBlockTokens};
};

TEST(BlockAllocator, RefcountsAndLowestFreeFirst) {
  BlockAllocator allocator(3);
  EXPECT_EQ(allocator.n_blocks(), 3);
  EXPECT_EQ(allocator.Allocate(), 0);
  EXPECT_EQ(allocator.Allocate(), 1);
  EXPECT_EQ(allocator.Allocate(), 2);
  EXPECT_EQ(allocator.Allocate(), std::nullopt);
  EXPECT_EQ(allocator.free_blocks(), 0);
  allocator.Ref(1);
  EXPECT_EQ(allocator.refcount(1), 2);
  allocator.Unref(1);
  EXPECT_EQ(allocator.refcount(1), 1);
  EXPECT_EQ(allocator.free_blocks(), 0);
  allocator.Unref(2);
  allocator.Unref(1);
  EXPECT_EQ(allocator.free_blocks(), 2);
  EXPECT_EQ(allocator.refcount(1), 0);
  EXPECT_EQ(allocator.Allocate(), 1);  // the lowest free id, not the last freed
  EXPECT_EQ(allocator.Allocate(), 2);
}

TEST(BlockAllocatorDeathTest, UnderflowAndBadIds) {
  BlockAllocator allocator(2);
  EXPECT_DEATH(allocator.Unref(0), "CHECK failed");   // free already
  EXPECT_DEATH(allocator.Ref(0), "CHECK failed");     // nobody holds it to share
  EXPECT_DEATH(allocator.Unref(2), "CHECK failed");   // out of range
  EXPECT_DEATH(allocator.refcount(-1), "CHECK failed");
}

TEST_F(PrefixCacheTest, MatchReturnsLongestFullBlockPrefixWithRefs) {
  const std::vector<int32_t> prompt = TokenRun(100, 12);  // 3 full blocks
  const std::vector<int32_t> blocks = RunSequence(cache_, "t", prompt);
  ASSERT_EQ(blocks.size(), 3u);
  for (int32_t block : blocks) EXPECT_EQ(allocator_.refcount(block), 1);  // the cache's own ref

  // Same first 2 blocks, then a different third block.
  const std::vector<int32_t> diverging = Concat(TokenRun(100, 8), TokenRun(500, 4));
  const std::vector<int32_t> matched = cache_.Match("t", diverging, INT64_MAX);
  EXPECT_EQ(matched, std::vector<int32_t>(blocks.begin(), blocks.begin() + 2));
  for (int32_t block : matched) EXPECT_EQ(allocator_.refcount(block), 2);  // one more, for the caller
  EXPECT_EQ(allocator_.refcount(blocks[2]), 1);
  for (int32_t block : matched) allocator_.Unref(block);

  EXPECT_EQ(Peek(cache_, "t", Concat(prompt, TokenRun(900, 3))), blocks);  // longer prompt, trailing partial block
  EXPECT_EQ(cache_.Match("t", prompt, 1), std::vector<int32_t>{blocks[0]});
  allocator_.Unref(blocks[0]);
  EXPECT_TRUE(cache_.Match("t", prompt, 0).empty());
  EXPECT_TRUE(cache_.Match("t", TokenRun(101, 12), INT64_MAX).empty());  // first block differs
  EXPECT_TRUE(cache_.Match("t", {}, INT64_MAX).empty());
}

TEST_F(PrefixCacheTest, PartialLastBlockIsNeverCachedOrMatched) {
  const std::vector<int32_t> prompt = TokenRun(100, 10);  // 2 full blocks + 2 tokens
  const std::vector<int32_t> blocks = RunSequence(cache_, "t", prompt);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(cache_.stats().cached_blocks, 2);
  EXPECT_EQ(allocator_.refcount(blocks[2]), 0);  // the sequence let go and the cache never took it
  // Even a prompt that has the partial block's tokens and more gets only the 2 full blocks.
  EXPECT_EQ(Peek(cache_, "t", TokenRun(100, 16)), std::vector<int32_t>(blocks.begin(), blocks.begin() + 2));
  EXPECT_EQ(Peek(cache_, "t", TokenRun(100, 7)), std::vector<int32_t>{blocks[0]});  // 7 tokens: one full block
}

TEST_F(PrefixCacheTest, InsertConsidersOnlyBlocksGiven) {
  std::vector<int32_t> blocks = {*allocator_.Allocate(), *allocator_.Allocate()};
  cache_.Insert("t", TokenRun(0, 16), blocks);  // 4 full blocks of tokens, 2 blocks
  EXPECT_EQ(cache_.stats().cached_blocks, 2);
  for (int32_t block : blocks) allocator_.Unref(block);
}

TEST_F(PrefixCacheTest, TenantsNeverShareNodesOrBlocks) {
  const std::vector<int32_t> prompt = TokenRun(100, 8);
  const std::vector<int32_t> blocks_a = RunSequence(cache_, "tenant-a", prompt);
  EXPECT_TRUE(cache_.Match("tenant-b", prompt, INT64_MAX).empty());
  EXPECT_TRUE(cache_.Match("", prompt, INT64_MAX).empty());
  const std::vector<int32_t> blocks_b = RunSequence(cache_, "tenant-b", prompt);
  for (int32_t block : blocks_b) {
    EXPECT_EQ(std::count(blocks_a.begin(), blocks_a.end(), block), 0);
  }
  EXPECT_EQ(Peek(cache_, "tenant-a", prompt), blocks_a);
  EXPECT_EQ(Peek(cache_, "tenant-b", prompt), blocks_b);
  EXPECT_EQ(cache_.stats().cached_blocks, 4);

  // A caller bug offering A's cached blocks under tenant C is refused rather than shared.
  for (int32_t block : blocks_a) allocator_.Ref(block);
  cache_.Insert("tenant-c", prompt, blocks_a);
  for (int32_t block : blocks_a) allocator_.Unref(block);
  EXPECT_TRUE(cache_.Match("tenant-c", prompt, INT64_MAX).empty());
  EXPECT_EQ(cache_.stats().cached_blocks, 4);
  for (int32_t block : blocks_a) EXPECT_EQ(allocator_.refcount(block), 1);
}

TEST_F(PrefixCacheTest, InsertOfExistingPathKeepsTheTreeBlock) {
  const std::vector<int32_t> prompt = TokenRun(100, 8);
  const std::vector<int32_t> first = RunSequence(cache_, "t", prompt);
  // A second sequence computed the same prefix into its own blocks (it started before the first was cached) and
  // one block further.
  std::vector<int32_t> second;
  for (int i = 0; i < 3; ++i) second.push_back(*allocator_.Allocate());
  const std::vector<int32_t> longer = Concat(prompt, TokenRun(300, 4));
  cache_.Insert("t", longer, second);
  EXPECT_EQ(allocator_.refcount(second[0]), 1);  // not taken: only the sequence holds its duplicates
  EXPECT_EQ(allocator_.refcount(second[1]), 1);
  EXPECT_EQ(allocator_.refcount(second[2]), 2);  // the new third block hangs under the tree's own path
  EXPECT_EQ(Peek(cache_, "t", longer), (std::vector<int32_t>{first[0], first[1], second[2]}));
  EXPECT_EQ(cache_.stats().inserted_blocks, 3);
  for (int32_t block : second) allocator_.Unref(block);
  EXPECT_EQ(allocator_.refcount(second[0]), 0);
}

TEST_F(PrefixCacheTest, EvictFreesLeastRecentlyUsedLeavesFirst) {
  const std::vector<int32_t> x = TokenRun(100, 8), y = TokenRun(200, 8), z = TokenRun(300, 8);
  const std::vector<int32_t> blocks_x = RunSequence(cache_, "t", x);
  const std::vector<int32_t> blocks_y = RunSequence(cache_, "t", y);
  const std::vector<int32_t> blocks_z = RunSequence(cache_, "t", z);
  Peek(cache_, "t", x);  // x is now the most recent; y the least
  const int32_t free_before = allocator_.free_blocks();

  EXPECT_EQ(cache_.Evict(1), 1);  // y's leaf, not its parent: a parent never goes before its children
  EXPECT_EQ(allocator_.refcount(blocks_y[1]), 0);
  EXPECT_EQ(Peek(cache_, "t", y), std::vector<int32_t>{blocks_y[0]});
  EXPECT_EQ(cache_.Evict(2), 2);  // y's root block was touched by that Peek: z's two go now
  EXPECT_EQ(Peek(cache_, "t", z), std::vector<int32_t>{});
  EXPECT_EQ(Peek(cache_, "t", x), blocks_x);
  EXPECT_EQ(Peek(cache_, "t", y), std::vector<int32_t>{blocks_y[0]});
  EXPECT_EQ(allocator_.free_blocks(), free_before + 3);
  EXPECT_EQ(cache_.stats().evicted_blocks, 3);
  EXPECT_EQ(cache_.Evict(10), 3);
  EXPECT_EQ(cache_.stats().cached_blocks, 0);
  EXPECT_EQ(allocator_.free_blocks(), kBlocks);
  EXPECT_EQ(cache_.Evict(1), 0);
}

TEST_F(PrefixCacheTest, EvictNeverFreesReferencedBlocks) {
  const std::vector<int32_t> held = TokenRun(100, 12), shared_prefix = Concat(TokenRun(100, 4), TokenRun(700, 8));
  const std::vector<int32_t> other = TokenRun(200, 8);
  const std::vector<int32_t> blocks_held = RunSequence(cache_, "t", held);
  RunSequence(cache_, "t", shared_prefix);
  RunSequence(cache_, "t", other);
  // A running sequence holds the whole `held` path (the oldest entry in the cache).
  const std::vector<int32_t> running = cache_.Match("t", held, INT64_MAX);
  ASSERT_EQ(running, blocks_held);
  Peek(cache_, "t", other);
  EXPECT_EQ(cache_.stats().cached_blocks, 3 + 2 + 2);
  EXPECT_EQ(cache_.evictable_blocks(), 4);  // shared_prefix's two own blocks and other's two
  EXPECT_EQ(cache_.Evict(100), 4);
  EXPECT_EQ(cache_.evictable_blocks(), 0);
  for (int32_t block : blocks_held) EXPECT_EQ(allocator_.refcount(block), 2);
  EXPECT_EQ(Peek(cache_, "t", held), blocks_held);
  for (int32_t block : running) allocator_.Unref(block);
  EXPECT_EQ(cache_.evictable_blocks(), 3);
  EXPECT_EQ(cache_.Evict(100), 3);
}

TEST_F(PrefixCacheTest, EvictableBlocksAndStatsFollowRefs) {
  std::vector<int32_t> blocks = {*allocator_.Allocate(), *allocator_.Allocate(), *allocator_.Allocate()};
  cache_.Insert("t", TokenRun(0, 12), blocks);
  PrefixCacheStats stats = cache_.stats();
  EXPECT_EQ(stats.cached_blocks, 3);
  EXPECT_EQ(stats.evictable_blocks, 0);  // the sequence still holds them
  EXPECT_EQ(cache_.Evict(3), 0);
  allocator_.Unref(blocks[2]);  // e.g. the sequence dropped its tail
  EXPECT_EQ(cache_.evictable_blocks(), 1);
  allocator_.Unref(blocks[1]);
  allocator_.Unref(blocks[0]);
  EXPECT_EQ(cache_.evictable_blocks(), 3);
  cache_.RecordLookup(8, 4);
  cache_.RecordLookup(0, 5);
  EXPECT_EQ(cache_.Evict(1), 1);
  stats = cache_.stats();
  EXPECT_EQ(stats.cached_blocks, 2);
  EXPECT_EQ(stats.evictable_blocks, 2);
  EXPECT_EQ(stats.hit_tokens, 8);
  EXPECT_EQ(stats.miss_tokens, 9);
  EXPECT_EQ(stats.inserted_blocks, 3);
  EXPECT_EQ(stats.evicted_blocks, 1);
  Peek(cache_, "t", TokenRun(0, 12));
  EXPECT_EQ(cache_.stats().hit_tokens, 8);  // Match does not count lookups
  cache_.Clear();
  EXPECT_EQ(cache_.stats().cached_blocks, 0);
  EXPECT_EQ(allocator_.free_blocks(), kBlocks);
}

TEST(PrefixCache, DestructorReleasesEveryBlock) {
  BlockAllocator allocator(8);
  {
    PrefixCache cache(allocator, 2);
    std::vector<int32_t> blocks = {*allocator.Allocate(), *allocator.Allocate()};
    cache.Insert("t", TokenRun(0, 4), blocks);
    allocator.Unref(blocks[0]);
    allocator.Unref(blocks[1]);
    EXPECT_EQ(allocator.free_blocks(), 6);
  }
  EXPECT_EQ(allocator.free_blocks(), 8);
}

// 10^5 blocks: eviction must not be quadratic, and a deep chain must not recurse.
TEST(PrefixCache, ManyBlocksEvictAndDeepChains) {
  constexpr int32_t kMany = 100000;
  BlockAllocator allocator(kMany);
  PrefixCache cache(allocator, 16);
  std::vector<std::vector<int32_t>> held;
  for (int32_t seq = 0; seq < kMany / 16; ++seq) {
    const std::vector<int32_t> tokens = TokenRun(seq * 1000, 16 * 16);
    std::vector<int32_t> blocks;
    for (int i = 0; i < 16; ++i) blocks.push_back(*allocator.Allocate());
    cache.Insert("t", tokens, blocks);
    if (seq % 2 == 0) {
      held.push_back(blocks);  // half the sequences are still running
    } else {
      for (int32_t block : blocks) allocator.Unref(block);
    }
  }
  EXPECT_EQ(cache.evictable_blocks(), kMany / 2);
  EXPECT_EQ(cache.Evict(kMany), kMany / 2);
  for (const auto& blocks : held) {
    for (int32_t block : blocks) allocator.Unref(block);
  }
  EXPECT_EQ(cache.Evict(kMany), kMany / 2);
  // One chain of 10^5 blocks, torn down by Clear.
  std::vector<int32_t> chain;
  for (int32_t i = 0; i < kMany; ++i) chain.push_back(*allocator.Allocate());
  cache.Insert("t", TokenRun(0, 16 * kMany), chain);
  for (int32_t block : chain) allocator.Unref(block);
  EXPECT_EQ(cache.stats().cached_blocks, kMany);
  cache.Clear();
  EXPECT_EQ(allocator.free_blocks(), kMany);
}

// --- Persistence ---

auto ReaderOf(const FakePool& pool) {
  return [&pool](int32_t block) { return pool.Read(block); };
}
auto WriterOf(FakePool& pool) {
  return [&pool](int32_t block, std::span<const std::byte> bytes) { pool.Write(block, bytes); };
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
// Written private, as Save writes them: Load refuses a cache file that group or others could read or write.
void WriteFile(const std::string& path, const std::string& bytes) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_EQ(::chmod(path.c_str(), 0600), 0) << path;
}

// Files beside `path` whose names start with its own followed by ".tmp" (Save's temp files, old and new names).
std::vector<std::string> TempFilesBeside(const std::string& path) {
  const std::filesystem::path final_path(path);
  const std::string prefix = final_path.filename().string() + ".tmp";
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(final_path.parent_path())) {
    if (entry.path().filename().string().starts_with(prefix)) found.push_back(entry.path().string());
  }
  return found;
}

class PrefixCacheFileTest : public PrefixCacheTest {
 protected:
  // Two tenants, a branching tree, some shared tokens between tenants; `order` is least to most recently used.
  void Populate() {
    prompts_ = {{"a", TokenRun(100, 12)},
                {"a", Concat(TokenRun(100, 4), TokenRun(600, 8))},
                {"b", TokenRun(100, 12)},
                {"b", TokenRun(200, 9)},
                {"a", TokenRun(300, 4)}};
    for (const auto& [tenant, tokens] : prompts_) RunSequence(cache_, tenant, tokens);
  }

  // For every prompt, the restored cache matches as many blocks, holding the same bytes.
  void ExpectSameContents(PrefixCache& restored, BlockAllocator& allocator, const FakePool& pool) {
    for (const auto& [tenant, tokens] : prompts_) {
      const std::vector<int32_t> original = Peek(cache_, tenant, tokens);
      std::vector<int32_t> copy = restored.Match(tenant, tokens, INT64_MAX);
      ASSERT_EQ(copy.size(), original.size()) << tenant;
      for (size_t i = 0; i < copy.size(); ++i) EXPECT_EQ(pool.bytes[copy[i]], pool_.bytes[original[i]]);
      for (int32_t block : copy) allocator.Unref(block);
    }
    EXPECT_EQ(restored.stats().cached_blocks, cache_.stats().cached_blocks);
  }

  // Loads `bytes` into a fresh cache and expects an error of `code` that leaves it untouched.
  void ExpectRejected(std::span<const uint8_t> bytes, StatusCode code, const std::string& message_part = "") {
    BlockAllocator allocator(kBlocks);
    FakePool pool(kBlocks);
    PrefixCache restored(allocator, kBlockTokens);
    restored.Insert("a", TokenRun(100, 4), std::vector<int32_t>{*allocator.Allocate()});
    allocator.Unref(0);
    Result<int64_t> loaded = restored.LoadBytes(bytes, "crafted", kFingerprint, WriterOf(pool), kBlockBytes);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), code) << loaded.status().ToString();
    EXPECT_NE(loaded.status().message().find(message_part), std::string::npos) << loaded.status().ToString();
    EXPECT_EQ(pool.writes, 0);
    EXPECT_EQ(restored.stats().cached_blocks, 1);
    EXPECT_EQ(allocator.free_blocks(), kBlocks - 1);
  }

  std::vector<std::pair<std::string, std::vector<int32_t>>> prompts_;
};

TEST_F(PrefixCacheFileTest, SaveLoadRoundTrip) {
  Populate();
  const std::string path = TempPath("cache.bin");
  ASSERT_TRUE(cache_.Save(path, kFingerprint, ReaderOf(pool_)).ok());
  EXPECT_EQ(TempFilesBeside(path), std::vector<std::string>{});  // renamed into place

  BlockAllocator allocator(kBlocks);
  FakePool pool(kBlocks);
  PrefixCache restored(allocator, kBlockTokens);
  Result<int64_t> loaded = restored.Load(path, kFingerprint, WriterOf(pool), kBlockBytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded, cache_.stats().cached_blocks);
  EXPECT_EQ(pool.writes, *loaded);
  EXPECT_EQ(restored.stats().inserted_blocks, *loaded);
  ExpectSameContents(restored, allocator, pool);
  EXPECT_EQ(restored.evictable_blocks(), *loaded);
  EXPECT_TRUE(restored.Match("c", TokenRun(100, 12), INT64_MAX).empty());

  // Loading the same file again restores nothing new: every path is cached already.
  Result<int64_t> again = restored.Load(path, kFingerprint, WriterOf(pool), kBlockBytes);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(restored.stats().cached_blocks, *loaded);

  // A saved empty cache loads as nothing.
  restored.Clear();
  ASSERT_TRUE(restored.Save(path, kFingerprint, ReaderOf(pool)).ok());
  Result<int64_t> empty = restored.Load(path, kFingerprint, WriterOf(pool), kBlockBytes);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, 0);
  std::remove(path.c_str());
}

TEST_F(PrefixCacheFileTest, RoundTripKeepsRecencyForEviction) {
  Populate();
  Peek(cache_, "b", TokenRun(200, 9));  // b's second prompt becomes the most recent
  const std::string path = TempPath("cache.bin");
  ASSERT_TRUE(cache_.Save(path, kFingerprint, ReaderOf(pool_)).ok());
  BlockAllocator allocator(kBlocks);
  FakePool pool(kBlocks);
  PrefixCache restored(allocator, kBlockTokens);
  ASSERT_TRUE(restored.Load(path, kFingerprint, WriterOf(pool)).ok());
  const int32_t n_restored = static_cast<int32_t>(restored.stats().cached_blocks);
  EXPECT_EQ(restored.Evict(n_restored - 2), n_restored - 2);
  EXPECT_EQ(restored.stats().cached_blocks, 2);
  std::vector<int32_t> kept = restored.Match("b", TokenRun(200, 9), INT64_MAX);
  EXPECT_EQ(kept.size(), 2u);
  for (int32_t block : kept) allocator.Unref(block);
  std::remove(path.c_str());
}

TEST_F(PrefixCacheFileTest, TooFewBlocksRestoresWholePathsMostRecentFirst) {
  Populate();
  Peek(cache_, "a", TokenRun(100, 12));  // most recent: a's 3-block path
  const std::string path = TempPath("cache.bin");
  ASSERT_TRUE(cache_.Save(path, kFingerprint, ReaderOf(pool_)).ok());
  for (int32_t n_free = 0; n_free <= 9; ++n_free) {
    BlockAllocator allocator(n_free + 3);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(allocator.Allocate().has_value());  // held by someone else
    FakePool pool(n_free + 3);
    PrefixCache restored(allocator, kBlockTokens);
    Result<int64_t> loaded = restored.Load(path, kFingerprint, WriterOf(pool), kBlockBytes);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(*loaded, std::min<int64_t>(n_free, cache_.stats().cached_blocks));
    EXPECT_EQ(allocator.free_blocks(), n_free - *loaded);
    // Every restored node is reachable from its tenant's root by Match: none lost its parent.
    std::set<int32_t> reachable;
    for (const auto& [tenant, tokens] : prompts_) {
      const std::vector<int32_t> original = Peek(cache_, tenant, tokens);
      const std::vector<int32_t> copy = restored.Match(tenant, tokens, INT64_MAX);
      ASSERT_LE(copy.size(), original.size());
      for (size_t i = 0; i < copy.size(); ++i) {
        EXPECT_EQ(pool.bytes[copy[i]], pool_.bytes[original[i]]);
        reachable.insert(copy[i]);
        allocator.Unref(copy[i]);
      }
    }
    EXPECT_EQ(static_cast<int64_t>(reachable.size()), *loaded) << n_free;
    if (n_free >= 3) {
      std::vector<int32_t> hottest = restored.Match("a", TokenRun(100, 12), INT64_MAX);
      EXPECT_EQ(hottest.size(), 3u) << n_free;
      for (int32_t block : hottest) allocator.Unref(block);
    }
  }
  std::remove(path.c_str());
}

TEST_F(PrefixCacheFileTest, FingerprintMismatchNamesBoth) {
  Populate();
  const std::string path = TempPath("cache.bin");
  ASSERT_TRUE(cache_.Save(path, "model-A/layout-1", ReaderOf(pool_)).ok());
  const std::string bytes = ReadFile(path);
  const std::span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ExpectRejected(span, StatusCode::kInvalidArgument, "model-A/layout-1");
  ExpectRejected(span, StatusCode::kInvalidArgument, kFingerprint);
  std::remove(path.c_str());
}

TEST_F(PrefixCacheFileTest, BlockSizeAndBlockTokensMustMatch) {
  Populate();
  const std::string path = TempPath("cache.bin");
  ASSERT_TRUE(cache_.Save(path, kFingerprint, ReaderOf(pool_)).ok());
  BlockAllocator allocator(kBlocks);
  FakePool pool(kBlocks);
  PrefixCache restored(allocator, kBlockTokens);
  Result<int64_t> loaded = restored.Load(path, kFingerprint, WriterOf(pool), kBlockBytes + 1);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("24 bytes"), std::string::npos) << loaded.status().ToString();
  PrefixCache other_blocks(allocator, kBlockTokens * 2);
  loaded = other_blocks.Load(path, kFingerprint, WriterOf(pool));
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("blocks of 4 tokens"), std::string::npos) << loaded.status().ToString();
  EXPECT_EQ(allocator.free_blocks(), kBlocks);
  std::remove(path.c_str());
}

TEST_F(PrefixCacheFileTest, MissingFileIsNotFound) {
  BlockAllocator allocator(kBlocks);
  FakePool pool(kBlocks);
  PrefixCache restored(allocator, kBlockTokens);
  Result<int64_t> loaded = restored.Load(TempPath("does-not-exist.bin"), kFingerprint, WriterOf(pool));
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kNotFound);
}

TEST_F(PrefixCacheFileTest, TruncatedFilesAreRejected) {
  Populate();
  const std::string path = TempPath("cache.bin");
  ASSERT_TRUE(cache_.Save(path, kFingerprint, ReaderOf(pool_)).ok());
  const std::string bytes = ReadFile(path);
  for (size_t size : {size_t{0}, size_t{7}, size_t{12}, size_t{43}, size_t{44}, size_t{100}, bytes.size() / 2,
                      bytes.size() - 33, bytes.size() - 32, bytes.size() - 1}) {
    SCOPED_TRACE(size);
    ExpectRejected({reinterpret_cast<const uint8_t*>(bytes.data()), size}, StatusCode::kDataLoss);
  }
  // Also through the file path: the mapping, not just the bytes.
  WriteFile(path, bytes.substr(0, bytes.size() - 1));
  BlockAllocator allocator(kBlocks);
  FakePool pool(kBlocks);
  PrefixCache restored(allocator, kBlockTokens);
  EXPECT_EQ(restored.Load(path, kFingerprint, WriterOf(pool)).status().code(), StatusCode::kDataLoss);
  WriteFile(path, "");
  EXPECT_EQ(restored.Load(path, kFingerprint, WriterOf(pool)).status().code(), StatusCode::kDataLoss);
  std::remove(path.c_str());
}

TEST_F(PrefixCacheFileTest, FlippedBitsAnywhereAreRejected) {
  Populate();
  const std::string path = TempPath("cache.bin");
  ASSERT_TRUE(cache_.Save(path, kFingerprint, ReaderOf(pool_)).ok());
  const std::string bytes = ReadFile(path);
  std::vector<uint8_t> copy(bytes.begin(), bytes.end());
  for (size_t position = 0; position < copy.size(); position += (position < 64 ? 1 : 37)) {
    for (int bit : {0, 7}) {
      SCOPED_TRACE(testing::Message() << "byte " << position << " bit " << bit);
      copy[position] ^= static_cast<uint8_t>(1 << bit);
      ExpectRejected(copy, StatusCode::kDataLoss);
      copy[position] ^= static_cast<uint8_t>(1 << bit);
    }
  }
  copy.back() ^= 1;  // the digest itself
  ExpectRejected(copy, StatusCode::kDataLoss, "checksum");
  std::remove(path.c_str());
}

// Builds files by hand, digest included, to reach the checks behind the checksum.
class FileBuilder {
 public:
  FileBuilder& U32(uint32_t value) { return LittleEndian(value, 4); }
  FileBuilder& U64(uint64_t value) { return LittleEndian(value, 8); }
  FileBuilder& Str(const std::string& text) {
    U32(static_cast<uint32_t>(text.size()));
    bytes_.insert(bytes_.end(), text.begin(), text.end());
    return *this;
  }
  FileBuilder& Raw(size_t n, uint8_t value) {
    bytes_.insert(bytes_.end(), n, value);
    return *this;
  }
  // magic, version, fingerprint, block_tokens, block_bytes
  FileBuilder& Header(uint64_t block_bytes = kBlockBytes) {
    const std::string magic = "BALEENKV";
    bytes_.insert(bytes_.end(), magic.begin(), magic.end());
    return U32(2).Str(kFingerprint).U32(kBlockTokens).U64(block_bytes);
  }
  FileBuilder& Entry(uint32_t tenant, uint64_t parent, int32_t first_token) {
    U32(tenant).U64(parent);
    for (int i = 0; i < kBlockTokens; ++i) U32(static_cast<uint32_t>(first_token + i));
    return Raw(kBlockBytes, 0x5a);
  }
  std::vector<uint8_t> Finish() const {
    Sha256 sha;
    sha.Update(bytes_);
    const auto digest = sha.Finish();
    std::vector<uint8_t> file = bytes_;
    file.insert(file.end(), digest.begin(), digest.end());
    return file;
  }

 private:
  FileBuilder& LittleEndian(uint64_t value, int n) {
    for (int i = 0; i < n; ++i) bytes_.push_back(static_cast<uint8_t>(value >> (8 * i)));
    return *this;
  }
  std::vector<uint8_t> bytes_;
};

constexpr uint64_t kNoParent = ~uint64_t{0};

TEST_F(PrefixCacheFileTest, HandBuiltFileLoads) {
  // The builder itself is right: a well-formed two-tenant file loads, so the rejections below are about their flaw.
  const std::vector<uint8_t> file =
      FileBuilder().Header().U32(2).Str("a").Str("b").U64(3).Entry(0, kNoParent, 10).Entry(1, kNoParent, 10)
          .Entry(0, 0, 20).Finish();
  BlockAllocator allocator(kBlocks);
  FakePool pool(kBlocks);
  PrefixCache restored(allocator, kBlockTokens);
  Result<int64_t> loaded = restored.LoadBytes(file, "built", kFingerprint, WriterOf(pool), kBlockBytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded, 3);
  std::vector<int32_t> blocks = restored.Match("a", Concat(TokenRun(10, 4), TokenRun(20, 4)), INT64_MAX);
  EXPECT_EQ(blocks.size(), 2u);
  for (int32_t block : blocks) {
    EXPECT_EQ(pool.bytes[block], std::vector<std::byte>(kBlockBytes, std::byte{0x5a}));
    allocator.Unref(block);
  }
}

TEST_F(PrefixCacheFileTest, HostileCountsAndIndicesAreRejected) {
  // Counts that would allocate or read far past the file.
  ExpectRejected(FileBuilder().Header().U32(0xffffffffu).Finish(), StatusCode::kDataLoss, "tenants");
  ExpectRejected(FileBuilder().Header().U32(1).Str("a").U64(uint64_t{1} << 62).Finish(), StatusCode::kDataLoss,
                 "entries");
  ExpectRejected(FileBuilder().Header().U32(1).Str("a").U64(~uint64_t{0}).Finish(), StatusCode::kDataLoss, "entries");
  ExpectRejected(FileBuilder().Header(~uint64_t{0}).U32(0).U64(0).Finish(), StatusCode::kDataLoss, "block_bytes");
  ExpectRejected(FileBuilder().Header().U32(1).U32(0x7fffffff).Finish(), StatusCode::kDataLoss, "tenant");
  FileBuilder huge_fingerprint;
  for (char c : std::string("BALEENKV")) huge_fingerprint.Raw(1, static_cast<uint8_t>(c));
  huge_fingerprint.U32(2).U32(0xfffffff0u);
  ExpectRejected(huge_fingerprint.Finish(), StatusCode::kDataLoss, "fingerprint");
  // An entry count off by one, and trailing bytes after the entries.
  ExpectRejected(FileBuilder().Header().U32(1).Str("a").U64(2).Entry(0, kNoParent, 1).Finish(), StatusCode::kDataLoss,
                 "entries");
  ExpectRejected(FileBuilder().Header().U32(1).Str("a").U64(1).Entry(0, kNoParent, 1).Raw(3, 0).Finish(),
                 StatusCode::kDataLoss, "entries");
  // Indices that point nowhere, forward, at themselves, or across tenants.
  ExpectRejected(FileBuilder().Header().U32(1).Str("a").U64(1).Entry(1, kNoParent, 1).Finish(), StatusCode::kDataLoss,
                 "tenant index");
  ExpectRejected(FileBuilder().Header().U32(1).Str("a").U64(1).Entry(0, 0, 1).Finish(), StatusCode::kDataLoss,
                 "parent");
  ExpectRejected(FileBuilder().Header().U32(1).Str("a").U64(2).Entry(0, 1, 1).Entry(0, kNoParent, 2).Finish(),
                 StatusCode::kDataLoss, "parent");
  ExpectRejected(FileBuilder().Header().U32(2).Str("a").Str("b").U64(2).Entry(0, kNoParent, 1).Entry(1, 0, 2).Finish(),
                 StatusCode::kDataLoss, "parent");
  // A future version, and version 1, whose tenants were unkeyed digests of API keys (guessable offline).
  for (const uint32_t version : {3u, 1u}) {
    FileBuilder builder;
    for (char c : std::string("BALEENKV")) builder.Raw(1, static_cast<uint8_t>(c));
    ExpectRejected(builder.U32(version).Str(kFingerprint).U32(kBlockTokens).U64(kBlockBytes).U32(0).U64(0).Finish(),
                   StatusCode::kUnimplemented, "version " + std::to_string(version));
  }
  // Not a cache file at all.
  std::vector<uint8_t> wrong_magic = FileBuilder().Header().U32(0).U64(0).Finish();
  wrong_magic[0] = 'X';
  ExpectRejected(wrong_magic, StatusCode::kDataLoss, "magic");
}

TEST_F(PrefixCacheFileTest, SaveRejectsBlocksOfDifferentSizes) {
  Populate();
  const std::string path = TempPath("cache.bin");
  std::vector<std::byte> short_block(kBlockBytes - 1);
  const auto uneven = [&](int32_t block) -> std::span<const std::byte> {
    return block == 1 ? std::span<const std::byte>(short_block) : pool_.Read(block);
  };
  const Status status = cache_.Save(path, kFingerprint, uneven);
  EXPECT_EQ(status.code(), StatusCode::kInternal) << status.ToString();
  EXPECT_FALSE(std::ifstream(path).good());
  EXPECT_EQ(TempFilesBeside(path), std::vector<std::string>{});  // the half-written file is gone
  EXPECT_EQ(cache_.Save("/nonexistent-dir/cache.bin", kFingerprint, ReaderOf(pool_)).code(), StatusCode::kIoError);
}

// --cache-dir as another local user could prepare it: links planted where the server writes, cache files it reads.
class PrefixCacheFileSafetyTest : public PrefixCacheFileTest {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/prefix_cache_safety_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/prefix-cache-0123456789abcdef.bin";
    victim_ = dir_ + "/victim";  // stands for any file the server can write: /etc/shadow when it runs as root
    WriteFile(victim_, "precious");
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  void Plant(const std::string& link) { ASSERT_EQ(::symlink(victim_.c_str(), link.c_str()), 0) << link; }
  Status LoadStatus(const std::string& path) {
    BlockAllocator allocator(kBlocks);
    FakePool pool(kBlocks);
    PrefixCache restored(allocator, kBlockTokens);
    return restored.Load(path, kFingerprint, WriterOf(pool), kBlockBytes).status();
  }
  void ExpectRefused(const std::string& path, const std::string& message_part) {
    const Status status = LoadStatus(path);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
    EXPECT_NE(status.message().find(path), std::string::npos) << status.ToString();
    EXPECT_NE(status.message().find(message_part), std::string::npos) << status.ToString();
  }

  std::string dir_, path_, victim_;
};

TEST_F(PrefixCacheFileSafetyTest, SaveNeverWritesThroughPlantedLinks) {
  Populate();
  Plant(path_ + ".tmp");  // the old predictable temp name
  Plant(path_);           // and the final name: rename replaces the link itself
  ASSERT_TRUE(cache_.Save(path_, kFingerprint, ReaderOf(pool_)).ok());
  EXPECT_EQ(ReadFile(victim_), "precious");
  struct stat info {};
  ASSERT_EQ(::lstat(path_.c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(info.st_uid, ::geteuid());
  EXPECT_EQ(TempFilesBeside(path_), std::vector<std::string>{path_ + ".tmp"});  // only the planted link is left
  EXPECT_TRUE(std::filesystem::is_symlink(path_ + ".tmp"));
  EXPECT_TRUE(LoadStatus(path_).ok()) << LoadStatus(path_).ToString();
}

TEST_F(PrefixCacheFileSafetyTest, SavedFileIsOwnerOnlyWhateverTheUmask) {
  Populate();
  WriteFile(path_, "an older cache");
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);  // an existing file's wider mode is not inherited either
  const mode_t old_umask = ::umask(0);
  const Status saved = cache_.Save(path_, kFingerprint, ReaderOf(pool_));
  ::umask(old_umask);
  ASSERT_TRUE(saved.ok()) << saved.ToString();
  struct stat info {};
  ASSERT_EQ(::lstat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(PrefixCacheFileSafetyTest, LoadRefusesFilesOthersCouldHavePlantedOrRead) {
  Populate();
  ASSERT_TRUE(cache_.Save(path_, kFingerprint, ReaderOf(pool_)).ok());
  ASSERT_TRUE(LoadStatus(path_).ok());
  // A link to a good cache file is still a link: whoever made it chooses what the server reads.
  const std::string link = dir_ + "/linked.bin";
  ASSERT_EQ(::symlink(path_.c_str(), link.c_str()), 0);
  ExpectRefused(link, "symbolic link");
  for (const mode_t mode : {0640, 0604, 0660, 0606}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
    ExpectRefused(path_, "chmod 600");
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  const std::string fifo = dir_ + "/fifo.bin";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ::alarm(30);  // refused at once, not blocked waiting for a writer: a hang ends the test instead of the suite
  ExpectRefused(fifo, "not a regular file");
  ::alarm(0);
  ExpectRefused(dir_, "not a regular file");
  if (::chown(path_.c_str(), 65534, 65534) != 0) {
    GTEST_SKIP() << "cannot chown to uid 65534 to play another local user (needs root): " << std::strerror(errno);
  }
  ExpectRefused(path_, "uid 65534");
}

}  // namespace
}  // namespace baleen
