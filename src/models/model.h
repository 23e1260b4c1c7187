// The forward pass of a loaded model: tokens in, log-its out, with the attention cache of one sequence. Models
// layer. One implementation per architecture family (deepseek2.cc, dense.cc) on a shared decoder skeleton.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "formats/gguf/gguf_model.h"
#include "formats/model_config.h"
#include "kernels/matmul.h"
#include "kernels/packed_weights.h"
#include "models/kv_cache.h"
#include "models/model_runner.h"

namespace baleen {

// Which MLA form computes attention. kAuto: the naive (decompressed) form for long prefill chunks, the absorbed
// form otherwise; both read the same K-only latent cache and agree to rounding.
enum class MlaMode { kAuto, kNaive, kAbsorbed };

struct ModelOptions {
  MlaMode mla_mode = MlaMode::kAuto;
  // Repack the weight matrices whose formats have packed kernels (kernels/packed_rows.h) at load.
  bool repack = true;
  // The tensors are in a read-only file mapping: drop each packed tensor's pages once copied (PackedWeights).
  bool release_packed_sources = false;
  KvCacheType cache_type = KvCacheType::kF32;  // of every cache made for this model (NewCache, a scheduler's pool)
};

// The rows of one Forward call: the chunks' tokens one after another. Every matrix product runs over all rows at
// once; attention runs per chunk, against that chunk's cache.
struct BatchRows {
  explicit BatchRows(std::span<const SequenceChunk> chunks);
  std::span<const SequenceChunk> chunks;
  std::vector<int64_t> first_row;  // of each chunk
  std::vector<int64_t> positions;  // of each row
  int64_t n = 0;
  int64_t rows(size_t chunk) const { return static_cast<int64_t>(chunks[chunk].tokens.size()); }
};

// A loaded model's forward pass (ModelRunner's contract). Batched rows never change a row's result: every kernel's
// result for a row is independent of the other rows.
class Model : public ModelRunner {
 public:
  const ModelConfig& config() const { return config_; }
  int64_t vocab_size() const override { return config_.vocab_size; }
  // The rows each position keeps, in options' cache type.
  CacheGeometry cache_geometry() const override {
    CacheGeometry g = CacheRowsPerPosition();
    g.type = options_.cache_type;
    return g;
  }
  std::unique_ptr<KvCache> NewCache(int64_t n_ctx) const override;
  Status Forward(std::span<const int32_t> tokens, int64_t pos, KvCache& cache, LogitsFor which,
                 std::vector<float>& logits) override;
  Status ForwardBatch(std::span<const SequenceChunk> chunks, std::vector<float>& logits) override;

  void set_mla_mode(MlaMode mode) { options_.mla_mode = mode; }

  // The repacked copies of weights made at load (empty when repacking is off or nothing qualifies).
  const PackedWeights& packed_weights() const { return packed_weights_; }
  // Where a family's loader puts those copies: null when repacking is off.
  PackedWeights* packs_for_loading() { return options_.repack ? &packed_weights_ : nullptr; }

 protected:
  Model(ModelConfig config, ModelOptions options) : config_(std::move(config)), options_(options) {
    packed_weights_.set_release_sources(options.release_packed_sources);
  }
  // The family's K and V row widths per layer.
  virtual CacheGeometry CacheRowsPerPosition() const = 0;
  // Shared weights; set by the loader of each family.
  Status LoadCommon(const class WeightLoader& w);

  // x: batch.n rows of dim; the block adds its output into x (residual included).
  virtual void Layer(int64_t layer, float* x, const BatchRows& batch) = 0;

  ModelConfig config_;
  ModelOptions options_;
  PackedWeights packed_weights_;
  WeightMatrix tok_embd_, output_;
  std::vector<float> output_norm_;
};

// Loads the architecture the configuration names, checking every tensor's presence, shape and type; a metadata-only
// architecture gets NotRunnable's message. Defined with the loader table in model_registry.cc.
Result<std::unique_ptr<Model>> LoadModel(const GgufModel& gguf, const ModelConfig& config,
                                         const ModelOptions& options = {});

}  // namespace baleen
