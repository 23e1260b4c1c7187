// The decoder skeleton every family shares: embedding lookup, the layers, the final norm and the output head.
#include "models/model.h"

#include <string>

#include "kernels/ops.h"
#include "models/deepseek2.h"
#include "models/dense.h"
#include "models/weights.h"

namespace baleen {

std::unique_ptr<KvCache> Model::NewCache(int64_t n_ctx) const {
  const CacheGeometry g = cache_geometry();
  return std::make_unique<KvCache>(g.n_layers, n_ctx, g.k_width, g.v_width);
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
  const int64_t n = static_cast<int64_t>(tokens.size()), dim = config_.dim;
  if (n == 0) return InvalidArgument("no tokens to process");
  if (pos < 0 || pos + n > cache.n_ctx()) {
    return ResourceExhausted("context is full: " + std::to_string(pos + n) + " tokens do not fit in a context of " +
                             std::to_string(cache.n_ctx()));
  }
  std::vector<float> x(static_cast<size_t>(n * dim));
  for (int64_t t = 0; t < n; ++t) {
    if (tokens[t] < 0 || tokens[t] >= config_.vocab_size) {
      return InvalidArgument("token id " + std::to_string(tokens[t]) + " is outside the vocabulary (0.." +
                             std::to_string(config_.vocab_size - 1) + ")");
    }
    DequantizeWeightRow(tok_embd_, tokens[t], &x[t * dim]);
  }
  for (int64_t layer = 0; layer < config_.n_layers; ++layer) Layer(layer, x.data(), n, pos, cache);

  if (which == LogitsFor::kNone) {
    logits.clear();
    return Status::Ok();
  }
  const int64_t first = which == LogitsFor::kLast ? n - 1 : 0, n_out = n - first;
  std::vector<float> normed(static_cast<size_t>(n_out * dim));
  RmsNormRows(&x[first * dim], output_norm_.data(), n_out, dim, static_cast<float>(config_.rms_norm_eps),
              normed.data());
  logits.resize(static_cast<size_t>(n_out * config_.vocab_size));
  MatMul(output_, normed.data(), n_out, logits.data());
  return Status::Ok();
}

Result<std::unique_ptr<Model>> LoadModel(const GgufModel& gguf, const ModelConfig& config,
                                         const ModelOptions& options) {
  switch (config.arch) {
    case Architecture::kDeepseek2: return LoadDeepseek2(gguf, config, options);
    case Architecture::kQwen2:
    case Architecture::kLlama:
    case Architecture::kQwen3: return LoadDense(gguf, config, options);
    default:
      return Unimplemented(std::string("architecture '") + ArchitectureName(config.arch) +
                           "' is recognized but its forward pass is not implemented yet");
  }
}

}  // namespace baleen
