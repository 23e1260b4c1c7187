// One sequence being evaluated: the model, its attention cache and the tokens the cache holds. Engine layer.
// Prompts are evaluated in chunks of n_batch tokens so a long prompt never needs a huge activation buffer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "models/model_runner.h"

namespace baleen {

class Session {
 public:
  // A sequence with a private cache of n_ctx positions.
  Session(ModelRunner& model, int64_t n_ctx, int64_t n_batch);
  // A sequence whose cache is a block table into a shared pool (the scheduler's); whoever owns the blocks gives the
  // cache blocks for new positions before they are evaluated.
  Session(ModelRunner& model, std::unique_ptr<KvCache> cache, int64_t n_batch);

  // Evaluates `tokens` after those already cached. With logits != nullptr, fills it with vocab_size floats per
  // token (LogitsFor::kAll) or for the last token only (kLast).
  Status Append(std::span<const int32_t> tokens, LogitsFor which, std::vector<float>* logits);
  // Keeps the first n cached tokens and forgets the rest (the next Append overwrites them).
  void Truncate(int64_t n);
  // Length of the common prefix of the cached tokens and `tokens` (what a new prompt can reuse).
  int64_t CommonPrefix(std::span<const int32_t> tokens) const;

  // For a batched forward (ModelRunner::ForwardBatch): `tokens` evaluated after the cached ones; Commit records them once
  // the forward has written them.
  SequenceChunk Chunk(std::span<const int32_t> tokens, LogitsFor which) {
    return {tokens, static_cast<int64_t>(tokens_.size()), cache_.get(), which};
  }
  void Commit(std::span<const int32_t> tokens) { tokens_.insert(tokens_.end(), tokens.begin(), tokens.end()); }
  // The cache now holds exactly these tokens (a prefix whose blocks were restored from the prefix cache, or none).
  void Restore(std::vector<int32_t> tokens) { tokens_ = std::move(tokens); }
  KvCache& cache() { return *cache_; }

  const std::vector<int32_t>& tokens() const { return tokens_; }
  int64_t n_ctx() const { return cache_->n_ctx(); }
  int64_t n_batch() const { return n_batch_; }
  ModelRunner& model() { return model_; }
  uint64_t cache_bytes() const { return cache_->bytes(); }

 private:
  ModelRunner& model_;
  std::unique_ptr<KvCache> cache_;
  int64_t n_batch_;
  std::vector<int32_t> tokens_;
};

}  // namespace baleen
