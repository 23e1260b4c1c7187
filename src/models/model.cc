// The decoder skeleton every family shares: embedding lookup, the layers, the final norm and the output head.
#include "models/model.h"

#include <string>

#include "base/scratch.h"
#include "kernels/ops.h"
#include "models/weights.h"

namespace baleen {

std::unique_ptr<KvCache> Model::NewCache(int64_t n_ctx) const {
  return std::make_unique<KvCache>(cache_geometry(), n_ctx);
}

BatchRows::BatchRows(std::span<const SequenceChunk> chunks_in) : chunks(chunks_in) {
  for (const SequenceChunk& c : chunks) {
    first_row.push_back(n);
    for (int64_t t = 0; t < static_cast<int64_t>(c.tokens.size()); ++t) positions.push_back(c.pos + t);
    n += static_cast<int64_t>(c.tokens.size());
  }
}

Status Model::LoadCommon(const WeightLoader& w) {
  const int64_t dim = config_.dim, vocab = config_.vocab_size;
  ASSIGN_OR_RETURN(output_norm_, w.Vector("output_norm.weight", dim));
  // Tied embeddings: the converter omits output.weight and the engine reuses token_embd, which then multiplies
  // and is worth packing; otherwise it only serves row lookups.
  if (w.Has("output.weight")) {
    ASSIGN_OR_RETURN(tok_embd_, w.Matrix("token_embd.weight", {dim, vocab}, WeightLoader::kNoPacking));
    ASSIGN_OR_RETURN(output_, w.Matrix("output.weight", {dim, vocab}));
  } else {
    ASSIGN_OR_RETURN(tok_embd_, w.Matrix("token_embd.weight", {dim, vocab}));
    output_ = tok_embd_;
  }
  return Status::Ok();
}

Status Model::Forward(std::span<const int32_t> tokens, int64_t pos, KvCache& cache, LogitsFor which,
                      std::vector<float>& logits) {
  const SequenceChunk chunk{tokens, pos, &cache, which};
  return ForwardBatch(std::span(&chunk, 1), logits);
}

namespace {

Status CheckChunk(const SequenceChunk& c, int64_t vocab_size) {
  const int64_t n = static_cast<int64_t>(c.tokens.size());
  if (n == 0) return InvalidArgument("no tokens to process");
  if (c.pos < 0 || c.pos + n > c.cache->n_ctx()) {
    return OutOfRange("context is full: " + std::to_string(c.pos + n) + " tokens do not fit in a context of " +
                             std::to_string(c.cache->n_ctx()));
  }
  if (c.pos + n > c.cache->capacity()) {
    return Internal("the cache has blocks for " + std::to_string(c.cache->capacity()) + " positions, not " +
                    std::to_string(c.pos + n));
  }
  for (int32_t id : c.tokens) {
    if (id < 0 || id >= vocab_size) {
      return InvalidArgument("token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                             std::to_string(vocab_size - 1) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

Status Model::ForwardBatch(std::span<const SequenceChunk> chunks, std::vector<float>& logits) {
  if (chunks.empty()) return InvalidArgument("no tokens to process");
  for (const SequenceChunk& c : chunks) RETURN_IF_ERROR(CheckChunk(c, config_.vocab_size));
  const BatchRows batch(chunks);
  const int64_t dim = config_.dim;
  ScratchVector<float> x(static_cast<size_t>(batch.n * dim));
  int64_t row = 0;
  for (const SequenceChunk& c : chunks) {
    for (int32_t id : c.tokens) DequantizeWeightRow(tok_embd_, id, &x[row++ * dim]);
  }
  for (int64_t layer = 0; layer < config_.n_layers; ++layer) Layer(layer, x.data(), batch);

  // The rows that need logits, gathered, through the final norm and the head in one product.
  std::vector<int64_t> out_rows;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const int64_t first = batch.first_row[i], n = batch.rows(i);
    if (chunks[i].which == LogitsFor::kAll) {
      for (int64_t t = 0; t < n; ++t) out_rows.push_back(first + t);
    } else if (chunks[i].which == LogitsFor::kLast) {
      out_rows.push_back(first + n - 1);
    }
  }
  logits.clear();
  if (out_rows.empty()) return Status::Ok();
  const int64_t n_out = static_cast<int64_t>(out_rows.size());
  ScratchVector<float> normed(static_cast<size_t>(n_out * dim));
  for (int64_t i = 0; i < n_out; ++i) {
    RmsNormRows(&x[out_rows[i] * dim], output_norm_.data(), 1, dim, static_cast<float>(config_.rms_norm_eps),
                &normed[i * dim]);
  }
  logits.resize(static_cast<size_t>(n_out * config_.vocab_size));
  MatMul(output_, normed.data(), n_out, logits.data());
  return Status::Ok();
}

// LoadModel: models/model_registry.cc.

}  // namespace baleen
