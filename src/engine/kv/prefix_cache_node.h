// PrefixCache's tree node, shared by the tree code (prefix_cache.cc) and the file code (prefix_cache_file.cc).
// Engine layer, internal to PrefixCache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/kv/prefix_cache.h"

namespace baleen {

struct PrefixCache::Node {
  Node* parent = nullptr;       // null at a tenant root
  std::string tenant;           // roots only
  std::vector<int32_t> tokens;  // [block_tokens] the edge from the parent; empty at a root
  uint64_t hash = 0;            // HashTokens(tokens): the key in parent->children
  int32_t block = -1;           // -1 at a root
  int32_t depth = 0;            // blocks from the root
  uint64_t tick = 0;            // last use; never older than any child's
  uint64_t serial = 0;
  // Keyed by the hash of the child's tokens; tokens are still compared exactly, a hash collision only costs a compare.
  std::unordered_multimap<uint64_t, std::unique_ptr<Node>> children;
};

}  // namespace baleen
