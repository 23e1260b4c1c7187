// Opening a model for inference: the GGUF mapping, the resolved configuration, the forward pass, the tokenizer
// and chat template, and the context size. Engine layer; what every inference command and the server start from.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "formats/gguf/gguf_model.h"
#include "formats/model_config.h"
#include "models/model.h"
#include "text/text_assets.h"

namespace baleen {

struct LoadOptions {
  int64_t n_ctx = 0;  // 0: the trained context, capped so the cache stays memory-safe
  MlaMode mla_mode = MlaMode::kAuto;
  bool repack = true;  // ModelOptions::repack
  KvCacheType cache_type = KvCacheType::kF32;  // ModelOptions::cache_type
  // Called with (bytes done, bytes total) while the weights are paged in; empty: no pre-faulting. Files larger
  // than 80% of the available memory are never pre-faulted.
  std::function<void(uint64_t, uint64_t)> progress;
};

struct LoadedModel {
  std::unique_ptr<GgufModel> gguf;
  ModelConfig config;
  std::unique_ptr<Model> model;
  TextAssets text;
  int64_t n_ctx = 0;
  bool n_ctx_capped = false;  // the default context was lowered from the trained one to save memory
};

Result<std::unique_ptr<LoadedModel>> OpenModel(const std::string& path, const LoadOptions& options);

// The default context: the trained context_length unless its cache would exceed a quarter of the available
// memory (and 8 GiB); then the largest multiple of 1024 that fits, at least 2048.
int64_t DefaultContext(const ModelConfig& config, const CacheGeometry& geometry);
// Positions of cache that fit the memory budget DefaultContext uses (a quarter of the available memory, at most
// 8 GiB), in multiples of 1024.
int64_t MemorySafeCacheTokens(const CacheGeometry& geometry);

// Identifies a model's weights and KV layout for the persisted prefix cache (hex SHA-256): every tensor's name, type
// and shape, the bytes of its vectors (norms: small, and different for every training run) and the cache block
// size. A cache file written for another model or layout does not match.
std::string ModelFingerprint(const LoadedModel& model);

// "model NAME · deepseek2 · 1.2 GiB · ctx 4096 (cache 120 MiB) · 8 threads"
std::string DescribeLoadedModel(const LoadedModel& m, const std::string& path, int threads);

}  // namespace baleen
