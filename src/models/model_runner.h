// What the engine needs of a model to run sequences: its vocabulary size, caches of the right shape, and a forward
// pass over one sequence or a batch of them. Models layer. Model implements it; the engine's sessions, generations
// and scheduler see only this, so they can be tested against a fake runner as well as a real model.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "models/kv_cache.h"

namespace baleen {

// Which positions of a Forward call need logits.
enum class LogitsFor { kLast, kAll, kNone };

// One sequence's share of a batched Forward: its tokens at positions pos, pos+1, … of its cache.
struct SequenceChunk {
  std::span<const int32_t> tokens;
  int64_t pos = 0;
  KvCache* cache = nullptr;
  LogitsFor which = LogitsFor::kNone;
};

class ModelRunner {
 public:
  virtual ~ModelRunner() = default;

  virtual int64_t vocab_size() const = 0;
  // The rows each position keeps, in the cache type every cache for this model uses (a scheduler's pool).
  virtual CacheGeometry cache_geometry() const = 0;
  // A single sequence's cache with every block in place.
  virtual std::unique_ptr<KvCache> NewCache(int64_t n_ctx) const = 0;

  // Runs `tokens` at positions pos, pos+1, …: the cache must hold positions [0, pos) and gets the new ones.
  // `logits` receives vocab_size floats per selected position (row-major).
  virtual Status Forward(std::span<const int32_t> tokens, int64_t pos, KvCache& cache, LogitsFor which,
                         std::vector<float>& logits) = 0;
  // Runs several sequences' chunks in one pass (continuous batching): each chunk as Forward would, with the same
  // results bit for bit. `logits` receives the chunks' selected rows in chunk order. Every cache must have blocks
  // for its new positions.
  virtual Status ForwardBatch(std::span<const SequenceChunk> chunks, std::vector<float>& logits) = 0;
};

}  // namespace baleen
