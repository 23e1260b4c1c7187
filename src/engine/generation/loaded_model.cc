// Model opening and context sizing. Weights stay in the file mapping; pre-faulting them (with a progress bar)
// only moves the page-in cost from the first token to the load.
#include "engine/generation/loaded_model.h"

#include "base/sha256.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/format_bytes.h"
#include "formats/hf/hf_model.h"

namespace baleen {
namespace {

uint64_t AvailableMemoryBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : (8ull << 30);
}

uint64_t PhysicalMemoryBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : (uint64_t{1} << 40);
}

// Touches one byte per page of every tensor so the weights are resident before the first token; tensors with a
// packed copy were read when it was made, and the forward pass reads the copy.
void PrefaultWeights(const GgufModel& gguf, const PackedWeights& packed,
                     const std::function<void(uint64_t, uint64_t)>& progress) {
  uint64_t total = 0, done = 0;
  for (const GgufTensorInfo* t : gguf.tensors()) total += packed.Packed(t->data.data()) ? 0 : t->size_bytes;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  volatile uint8_t sink = 0;
  uint64_t next_report = 0;
  for (const GgufTensorInfo* t : gguf.tensors()) {
    const uint8_t* data = t->data.data();
    if (packed.Packed(data)) continue;
    const uintptr_t start = reinterpret_cast<uintptr_t>(data), aligned = start & ~(page - 1);  // madvise wants pages
    madvise(reinterpret_cast<void*>(aligned), t->size_bytes + (start - aligned), MADV_WILLNEED);
    for (uint64_t off = 0; off < t->size_bytes; off += page) sink = sink + data[off];
    done += t->size_bytes;
    if (done >= next_report || done == total) {
      progress(done, total);
      next_report = done + total / 100;
    }
  }
}

}  // namespace

int64_t MemorySafeCacheTokens(const CacheGeometry& geometry) {
  const uint64_t budget = std::min<uint64_t>(AvailableMemoryBytes() / 4, 8ull << 30);
  const uint64_t per_token = std::max<uint64_t>(1, geometry.BytesPerToken());
  return static_cast<int64_t>(budget / per_token) / 1024 * 1024;
}

int64_t DefaultContext(const ModelConfig& config, const CacheGeometry& geometry) {
  const int64_t trained = config.context_length > 0 ? config.context_length : 4096;
  return std::min(trained, std::max<int64_t>(MemorySafeCacheTokens(geometry), 2048));
}

Result<std::unique_ptr<LoadedModel>> OpenModel(const std::string& path, const LoadOptions& options) {
  auto m = std::make_unique<LoadedModel>();
  ASSIGN_OR_RETURN(m->gguf, OpenModelPath(path));  // a GGUF file or a Hugging Face folder
  Result<ModelConfig> config = ResolveModelConfig(*m->gguf);
  if (!config.ok()) return config.status().WithContext(path);
  m->config = std::move(config).value();
  Result<std::unique_ptr<Model>> model =
      LoadModel(*m->gguf, m->config,
                ModelOptions{.mla_mode = options.mla_mode, .repack = options.repack,
                             .release_packed_sources = !IsModelFolder(path),  // a GGUF: tensors in its mapping
                             .cache_type = options.cache_type});
  if (!model.ok()) return model.status().WithContext(path);
  m->model = std::move(model).value();
  Result<TextAssets> text = IsModelFolder(path) ? LoadTextAssetsFromHfDir(path) : LoadTextAssets(*m->gguf);
  if (!text.ok()) return text.status().WithContext(path);
  m->text = std::move(text).value();
  if (m->text.tokenizer->vocab_size() > m->config.vocab_size) {
    return InvalidArgument(path + ": the tokenizer has " + std::to_string(m->text.tokenizer->vocab_size()) +
                           " tokens but the embedding only " + std::to_string(m->config.vocab_size));
  }
  if (options.n_ctx < 0) return InvalidArgument("--ctx must be positive");
  if (options.n_ctx > 0) {
    // The cache is committed lazily, but an address space far beyond the machine's memory is surely a mistake
    // (and a huge --ctx would overflow the size computation).
    const uint64_t per_token = std::max<uint64_t>(1, m->model->cache_geometry().BytesPerToken());
    const uint64_t memory = PhysicalMemoryBytes(), n_ctx = static_cast<uint64_t>(options.n_ctx);
    if (n_ctx > (uint64_t{1} << 31) || n_ctx > memory / per_token) {
      const double gib = static_cast<double>(per_token) * static_cast<double>(n_ctx) / (1ull << 30);
      return ResourceExhausted("--ctx " + std::to_string(n_ctx) + " needs a KV cache of " + std::to_string(gib) +
                               " GiB, more than this machine's " + FormatBytes(memory) + " of memory");
    }
    m->n_ctx = options.n_ctx;
  } else {
    m->n_ctx = DefaultContext(m->config, m->model->cache_geometry());
    m->n_ctx_capped = m->n_ctx < m->config.context_length;
  }
  // Pre-fault only what fits: for a model larger than free memory (a 671B file served from disk) reading it all
  // up front would just evict itself.
  if (options.progress && m->gguf->total_file_bytes() < AvailableMemoryBytes() / 10 * 8) {
    PrefaultWeights(*m->gguf, m->model->packed_weights(), options.progress);
  }
  return m;
}

std::string DescribeLoadedModel(const LoadedModel& m, const std::string& path, int threads) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (const GgufValue* v = m.gguf->Find("general.name"); v != nullptr && v->AsString() != nullptr) {
    name = *v->AsString();
  }
  std::ostringstream line;
  line << "model " << name << " · " << ArchitectureName(m.config.arch) << " · "
       << FormatBytes(m.gguf->total_file_bytes()) << " · ctx " << m.n_ctx;
  if (m.n_ctx_capped) line << " (trained " << m.config.context_length << "; set --ctx for more)";
  line << " · KV cache " << FormatBytes(m.model->cache_geometry().BytesPerToken() * static_cast<uint64_t>(m.n_ctx))
       << " · " << threads << (threads == 1 ? " thread" : " threads");
  return line.str();
}

std::string ModelFingerprint(const LoadedModel& model) {
  Sha256 sha;
  const auto text = [&sha](const std::string& s) {
    sha.Update(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size() + 1));  // with the terminator
  };
  const CacheGeometry g = model.model->cache_geometry();
  text("baleen kv v1 " + std::to_string(kKvBlockTokens) + " " + std::to_string(g.n_layers) + " " +
       std::to_string(g.k_width) + " " + std::to_string(g.v_width) + " " + KvCacheTypeName(g.type));
  for (const GgufTensorInfo* t : model.gguf->tensors()) {
    std::string shape;
    for (int64_t d : t->dims) shape += std::to_string(d) + ",";
    text(t->name + " " + std::to_string(static_cast<int>(t->type)) + " " + shape);
    if (t->dims.size() == 1) sha.Update(t->data);
  }
  return Sha256::Hex(sha.Finish());
}

}  // namespace baleen
