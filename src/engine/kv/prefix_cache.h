// PrefixCache: per-tenant radix trees of full KV blocks, so a prompt that repeats a cached prefix skips its prefill
// (DeepSeek's context caching, vLLM's automatic prefix caching), with save/load to a file for --cache-dir. Engine
// layer: blocks are ids from a BlockAllocator; their bytes are only seen through the persistence callbacks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/kv/kv_blocks.h"

namespace baleen {

namespace prefix_cache_internal {
struct CacheFile;  // a parsed, checked file (prefix_cache_file.cc)
class FileSink;    // the hashing file writer (prefix_cache_file.cc)
}  // namespace prefix_cache_internal

struct PrefixCacheStats {
  int64_t cached_blocks = 0;     // nodes in all trees (each holds one block)
  int64_t evictable_blocks = 0;  // of those, blocks nobody but the cache references
  int64_t hit_tokens = 0;        // prompt tokens served from the cache (RecordLookup)
  int64_t miss_tokens = 0;       // prompt tokens that had to be computed (RecordLookup)
  int64_t evicted_blocks = 0;    // freed by Evict
  int64_t inserted_blocks = 0;   // nodes created by Insert and Load
};

// One trie per tenant. Each edge is exactly one full block of `block_tokens` token ids; its node holds the block with
// those tokens' KV (computed after the whole path above it) and the tick it was last used. Tenants never share nodes
// or blocks: a lookup for one tenant cannot see what another inserted, even for identical tokens, so cache timing or
// contents never leak across tenants.
//
// Not thread-safe: the engine thread owns it, like the rest of the inference state.
class PrefixCache {
 public:
  PrefixCache(BlockAllocator& allocator, int64_t block_tokens);
  ~PrefixCache();  // Unrefs every block it holds
  PrefixCache(const PrefixCache&) = delete;
  PrefixCache& operator=(const PrefixCache&) = delete;

  // The longest chain of cached full blocks prefixing `tokens` for `tenant`, at most max_blocks of them. Each returned
  // block gets a Ref for the caller (who Unrefs when done). Touches them for LRU. Does not change hit/miss counters.
  std::vector<int32_t> Match(const std::string& tenant, std::span<const int32_t> tokens, int64_t max_blocks);

  // Counts a request's prompt: hit = tokens served from cache, miss = the rest (for metrics).
  void RecordLookup(int64_t hit_tokens, int64_t miss_tokens);

  // Offers a sequence's blocks: blocks[i] holds tokens[i*B, (i+1)*B). Only the first floor(tokens.size()/B) blocks
  // (full ones) are considered (blocks.size() may be larger; if it is smaller, only those). A block whose path already
  // exists in the tree is left as is (the tree keeps its own block; the caller's duplicate is not taken). New nodes
  // take a Ref on the caller's block. A block the cache already holds at another path (a caller bug, and with another
  // tenant a leak) ends the insert there.
  void Insert(const std::string& tenant, std::span<const int32_t> tokens, std::span<const int32_t> blocks);

  // Frees up to n blocks held only by the cache (refcount 1), least recently used leaves first (a parent becomes a
  // leaf once its children are gone). Returns how many were freed.
  int32_t Evict(int32_t n);

  // Blocks the cache holds that nobody else references. O(n_blocks) of contiguous reads.
  int32_t evictable_blocks() const;
  PrefixCacheStats stats() const;
  int64_t block_tokens() const { return block_tokens_; }
  void Clear();  // drops every node (Unref)

  // Persistence (--cache-dir): writes every cached block (tenant, its token path, its bytes) to `path` atomically
  // (a new 0600 file under a random name beside it, created with O_EXCL|O_NOFOLLOW; fsync, rename, fsync of the
  // directory; `path` itself is never opened for writing). `fingerprint` identifies the model and KV layout;
  // `block_bytes(id)` returns a block's KV bytes (all the same size). Most recently used blocks come first, so a
  // smaller pool that loads the file keeps the hottest ones.
  Status Save(const std::string& path, const std::string& fingerprint,
              const std::function<std::span<const std::byte>(int32_t)>& block_bytes) const;

  // Reads such a file: checks magic, version, the SHA-256 over the whole payload, fingerprint (a mismatch names
  // both), block_tokens, sizes and every count BEFORE changing anything; then allocates a block per entry (stopping
  // quietly when the allocator runs out, so what is restored is closed under parents), copies the bytes in through
  // `write_block(id, bytes)` and inserts the nodes. Paths already cached are kept and not loaded again. Returns how
  // many blocks were restored. Every error leaves the cache unchanged and names the file: NotFound (no file),
  // DataLoss (truncated, flipped bit, bad counts or indices), InvalidArgument (another fingerprint, block_tokens or
  // block size), Unimplemented (a newer file version). `expected_block_bytes` (when >= 0) is the size write_block
  // needs: a file of another size is rejected rather than handing the callback a span it cannot take. A symlink, a
  // file that is not regular, not owned by this process's uid or open to group or others is refused (InvalidArgument)
  // before it is read. The file is memory-mapped, never copied whole into memory (it must not be truncated by someone
  // else while loading).
  Result<int64_t> Load(const std::string& path, const std::string& fingerprint,
                       const std::function<void(int32_t, std::span<const std::byte>)>& write_block,
                       int64_t expected_block_bytes = -1);
  // Load from bytes already in memory (`source` names them in errors): what Load runs on the mapping; the fuzz target
  // calls it directly.
  Result<int64_t> LoadBytes(std::span<const uint8_t> file, const std::string& source, const std::string& fingerprint,
                            const std::function<void(int32_t, std::span<const std::byte>)>& write_block,
                            int64_t expected_block_bytes = -1);

 private:
  struct Node;
  // Orders LRU leaves: oldest tick first; on equal ticks deeper first, so a parent (tick >= its children's, depth
  // smaller) always sorts after its children and an Evict pass that frees a child still reaches the parent.
  struct LeafKey {
    uint64_t tick;
    int32_t depth;
    uint64_t serial;
  };
  struct LeafOrder {
    using is_transparent = void;  // Evict looks up a removed node's place by its key
    bool operator()(const LeafKey& a, const LeafKey& b) const;
    bool operator()(const Node* a, const Node* b) const;
    bool operator()(const Node* a, const LeafKey& b) const;
    bool operator()(const LeafKey& a, const Node* b) const;
  };
  static LeafKey KeyOf(const Node* node);

  Node* FindRoot(const std::string& tenant) const;
  Node* GetOrCreateRoot(const std::string& tenant);
  static Node* FindChild(const Node* parent, std::span<const int32_t> tokens, uint64_t hash);
  // Adds a child holding `block` (whose reference the cache now owns) and returns it.
  Node* AddChild(Node* parent, std::span<const int32_t> tokens, uint64_t hash, int32_t block, uint64_t tick);
  // Removes a leaf: Unrefs its block, and its parent may become a leaf (or, a tenant root, go away).
  void RemoveLeaf(Node* node);
  // Sets a node's tick (re-keying it in leaves_) and raises its ancestors' to at least that.
  void TouchPath(Node* node, uint64_t tick);
  void SetTick(Node* node, uint64_t tick);
  std::span<const int32_t> BlockTokens(std::span<const int32_t> tokens, size_t index) const;
  uint64_t HashTokens(std::span<const int32_t> tokens) const;
  struct SaveEntry {
    const Node* node;
    uint32_t tenant;  // index in roots_ order
  };
  // Every non-root node, in the order Save writes them: most recently used first, parents before children.
  std::vector<SaveEntry> NodesForSave() const;
  Status WriteFile(prefix_cache_internal::FileSink& sink, const std::string& fingerprint,
                   const std::function<std::span<const std::byte>(int32_t)>& block_bytes) const;
  int64_t ApplyFile(const prefix_cache_internal::CacheFile& parsed, std::span<const uint8_t> file,
                    const std::function<void(int32_t, std::span<const std::byte>)>& write_block);

  BlockAllocator& allocator_;
  int64_t block_tokens_;
  std::map<std::string, std::unique_ptr<Node>> roots_;  // tenant -> root (no block); ordered, so Save is stable
  std::set<Node*, LeafOrder> leaves_;                   // every non-root node without children
  std::vector<Node*> node_of_block_;                    // [n_blocks] the node holding a block, or null
  int64_t n_nodes_ = 0;
  uint64_t tick_ = 0;    // bumped once per Match / Insert; a whole path shares the tick
  uint64_t serial_ = 0;  // creation order: the last tie-breaker, so eviction order is deterministic
  int64_t hit_tokens_ = 0;
  int64_t miss_tokens_ = 0;
  int64_t evicted_blocks_ = 0;
  int64_t inserted_blocks_ = 0;
};

}  // namespace baleen
