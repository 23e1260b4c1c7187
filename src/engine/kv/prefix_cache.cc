// PrefixCache: the per-tenant block tries and LRU eviction over their leaves (the --cache-dir file is in
// prefix_cache_file.cc). Engine layer.
#include "engine/kv/prefix_cache.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "base/check.h"
#include "engine/kv/prefix_cache_node.h"

namespace baleen {

PrefixCache::LeafKey PrefixCache::KeyOf(const Node* node) { return {node->tick, node->depth, node->serial}; }

bool PrefixCache::LeafOrder::operator()(const LeafKey& a, const LeafKey& b) const {
  if (a.tick != b.tick) return a.tick < b.tick;
  if (a.depth != b.depth) return a.depth > b.depth;
  return a.serial < b.serial;
}
bool PrefixCache::LeafOrder::operator()(const Node* a, const Node* b) const { return (*this)(KeyOf(a), KeyOf(b)); }
bool PrefixCache::LeafOrder::operator()(const Node* a, const LeafKey& b) const { return (*this)(KeyOf(a), b); }
bool PrefixCache::LeafOrder::operator()(const LeafKey& a, const Node* b) const { return (*this)(a, KeyOf(b)); }

namespace {

// Tears a tree down without recursion: a chain of 10^5 blocks (a long context, or a hostile file) would otherwise
// recurse once per block in unique_ptr destructors.
template <typename NodeT>
void DestroyTree(std::unique_ptr<NodeT> root) {
  std::vector<std::unique_ptr<NodeT>> pending;
  pending.push_back(std::move(root));
  while (!pending.empty()) {
    std::unique_ptr<NodeT> node = std::move(pending.back());
    pending.pop_back();
    for (auto& entry : node->children) pending.push_back(std::move(entry.second));
  }
}

}  // namespace

PrefixCache::PrefixCache(BlockAllocator& allocator, int64_t block_tokens)
    : allocator_(allocator), block_tokens_(block_tokens), node_of_block_(allocator.n_blocks(), nullptr) {
  CHECK(block_tokens > 0 && block_tokens <= (int64_t{1} << 20));  // the file stores it as u32
}

PrefixCache::~PrefixCache() { Clear(); }

std::span<const int32_t> PrefixCache::BlockTokens(std::span<const int32_t> tokens, size_t index) const {
  return tokens.subspan(index * static_cast<size_t>(block_tokens_), static_cast<size_t>(block_tokens_));
}

uint64_t PrefixCache::HashTokens(std::span<const int32_t> tokens) const {
  uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a over 32-bit words, then a final mix so the low bits spread
  for (int32_t token : tokens) hash = (hash ^ static_cast<uint32_t>(token)) * 0x100000001b3ull;
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdull;
  return hash ^ (hash >> 33);
}

PrefixCache::Node* PrefixCache::FindRoot(const std::string& tenant) const {
  auto it = roots_.find(tenant);
  return it == roots_.end() ? nullptr : it->second.get();
}

PrefixCache::Node* PrefixCache::GetOrCreateRoot(const std::string& tenant) {
  std::unique_ptr<Node>& root = roots_[tenant];
  if (root == nullptr) {
    root = std::make_unique<Node>();
    root->tenant = tenant;
  }
  return root.get();
}

PrefixCache::Node* PrefixCache::FindChild(const Node* parent, std::span<const int32_t> tokens, uint64_t hash) {
  auto [begin, end] = parent->children.equal_range(hash);
  for (auto it = begin; it != end; ++it) {
    if (std::equal(tokens.begin(), tokens.end(), it->second->tokens.begin(), it->second->tokens.end())) {
      return it->second.get();
    }
  }
  return nullptr;
}

PrefixCache::Node* PrefixCache::AddChild(Node* parent, std::span<const int32_t> tokens, uint64_t hash, int32_t block,
                                         uint64_t tick) {
  if (parent->parent != nullptr && parent->children.empty()) leaves_.erase(parent);
  auto child = std::make_unique<Node>();
  child->parent = parent;
  child->tokens.assign(tokens.begin(), tokens.end());
  child->hash = hash;
  child->block = block;
  child->depth = parent->depth + 1;
  child->tick = tick;
  child->serial = serial_++;
  Node* node = child.get();
  parent->children.emplace(hash, std::move(child));
  leaves_.insert(node);
  node_of_block_[block] = node;
  ++n_nodes_;
  TouchPath(parent, tick);  // the parent may be an older node: a parent is never older than its children
  return node;
}

void PrefixCache::RemoveLeaf(Node* node) {
  CHECK(node->parent != nullptr && node->children.empty());
  leaves_.erase(node);
  node_of_block_[node->block] = nullptr;
  allocator_.Unref(node->block);
  Node* parent = node->parent;
  auto [begin, end] = parent->children.equal_range(node->hash);
  for (auto it = begin; it != end; ++it) {
    if (it->second.get() == node) {
      parent->children.erase(it);  // destroys node
      break;
    }
  }
  --n_nodes_;
  if (!parent->children.empty()) return;
  if (parent->parent != nullptr) {
    leaves_.insert(parent);
  } else {
    roots_.erase(roots_.find(parent->tenant));  // an empty tenant keeps nothing, not even its name
  }
}

void PrefixCache::SetTick(Node* node, uint64_t tick) {
  const bool is_leaf = node->parent != nullptr && node->children.empty();
  if (is_leaf) leaves_.erase(node);  // the set's order reads the tick: take it out before changing it
  node->tick = tick;
  if (is_leaf) leaves_.insert(node);
}

void PrefixCache::TouchPath(Node* node, uint64_t tick) {
  // Raising every ancestor keeps "a parent is never older than its children", which Evict's order relies on. The
  // walk stops at the first node already that recent: the invariant holds above it. (AddChild touches the parent of
  // every new node, so a new node's tick never hides an older ancestor.)
  for (; node != nullptr && node->parent != nullptr && node->tick < tick; node = node->parent) SetTick(node, tick);
}

std::vector<int32_t> PrefixCache::Match(const std::string& tenant, std::span<const int32_t> tokens,
                                        int64_t max_blocks) {
  std::vector<int32_t> blocks;
  Node* node = FindRoot(tenant);
  if (node == nullptr) return blocks;
  const int64_t n_full = std::min(static_cast<int64_t>(tokens.size()) / block_tokens_, max_blocks);
  for (int64_t i = 0; i < n_full; ++i) {
    const std::span<const int32_t> chunk = BlockTokens(tokens, static_cast<size_t>(i));
    Node* child = FindChild(node, chunk, HashTokens(chunk));
    if (child == nullptr) break;
    allocator_.Ref(child->block);
    blocks.push_back(child->block);
    node = child;
  }
  if (!blocks.empty()) TouchPath(node, ++tick_);
  return blocks;
}

void PrefixCache::RecordLookup(int64_t hit_tokens, int64_t miss_tokens) {
  hit_tokens_ += hit_tokens;
  miss_tokens_ += miss_tokens;
}

void PrefixCache::Insert(const std::string& tenant, std::span<const int32_t> tokens, std::span<const int32_t> blocks) {
  const size_t n_full = std::min(tokens.size() / static_cast<size_t>(block_tokens_), blocks.size());
  if (n_full == 0) return;
  const uint64_t tick = ++tick_;
  Node* node = GetOrCreateRoot(tenant);
  for (size_t i = 0; i < n_full; ++i) {
    const std::span<const int32_t> chunk = BlockTokens(tokens, i);
    const uint64_t hash = HashTokens(chunk);
    Node* child = FindChild(node, chunk, hash);
    if (child == nullptr) {
      const int32_t block = blocks[i];
      CHECK(allocator_.refcount(block) > 0);  // the caller holds what it offers (also CHECKs the id)
      if (node_of_block_[block] != nullptr) break;  // already cached at another path: never share it
      allocator_.Ref(block);
      child = AddChild(node, chunk, hash, block, tick);
      ++inserted_blocks_;
    }
    node = child;
  }
  if (node->parent != nullptr) {
    TouchPath(node, tick);
  } else if (node->children.empty()) {
    roots_.erase(tenant);  // nothing was inserted under a root made for this call
  }
}

int32_t PrefixCache::Evict(int32_t n) {
  int32_t freed = 0;
  auto it = leaves_.begin();
  while (freed < n && it != leaves_.end()) {
    Node* node = *it;
    if (allocator_.refcount(node->block) != 1) {  // a running sequence still reads it
      ++it;
      continue;
    }
    // Freeing may make the parent a leaf. LeafOrder puts it after `node`, so resuming just after node's place
    // reaches it in this pass, and the referenced leaves already skipped are not scanned again.
    const LeafKey key = KeyOf(node);
    RemoveLeaf(node);
    ++freed;
    it = leaves_.upper_bound(key);
  }
  evicted_blocks_ += freed;
  return freed;
}

int32_t PrefixCache::evictable_blocks() const {
  int32_t count = 0;
  for (size_t block = 0; block < node_of_block_.size(); ++block) {
    if (node_of_block_[block] != nullptr && allocator_.refcount(static_cast<int32_t>(block)) == 1) ++count;
  }
  return count;
}

PrefixCacheStats PrefixCache::stats() const {
  return {.cached_blocks = n_nodes_,
          .evictable_blocks = evictable_blocks(),
          .hit_tokens = hit_tokens_,
          .miss_tokens = miss_tokens_,
          .evicted_blocks = evicted_blocks_,
          .inserted_blocks = inserted_blocks_};
}

void PrefixCache::Clear() {
  for (Node*& node : node_of_block_) {
    if (node == nullptr) continue;
    allocator_.Unref(node->block);
    node = nullptr;
  }
  leaves_.clear();
  for (auto& [tenant, root] : roots_) DestroyTree(std::move(root));
  roots_.clear();
  n_nodes_ = 0;
}

}  // namespace baleen
