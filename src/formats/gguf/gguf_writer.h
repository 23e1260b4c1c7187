// Writes GGUF v3 files in the ecosystem's exact byte layout, optionally split into shards. Formats layer.
// Tensor data comes from a callback, so a converter streams one tensor at a time with bounded memory.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/ggml_type.h"
#include "formats/gguf/gguf_value.h"

namespace baleen {

class GgufWriter {
 public:
  // Fills exactly `out.size()` bytes of a tensor's data.
  using FillFn = std::function<Status(std::span<uint8_t> out)>;

  // Adds or replaces a metadata key (insertion order is kept, as the file shows it).
  void Set(const std::string& key, GgufValue value);
  void SetString(const std::string& key, std::string value) { Set(key, GgufValue::String(std::move(value))); }
  void SetU32(const std::string& key, uint32_t value) { Set(key, GgufValue::U32(value)); }
  void SetF32(const std::string& key, float value) { Set(key, GgufValue::F32(value)); }
  void SetBool(const std::string& key, bool value) { Set(key, GgufValue::Bool(value)); }

  // Removes a metadata key; false when absent.
  bool Remove(const std::string& key);

  // Sets general.alignment too when not 32. Must be a power of two.
  void SetAlignment(uint32_t alignment);

  // Adds a tensor whose bytes are copied now.
  Status AddTensor(const std::string& name, GgmlType type, std::vector<int64_t> dims, std::span<const uint8_t> data);
  // Adds a tensor whose bytes are produced by `fill` while writing.
  Status AddTensor(const std::string& name, GgmlType type, std::vector<int64_t> dims, FillFn fill);

  // Drops a tensor added earlier (tests build damaged models this way); false when there is none by that name.
  bool RemoveTensor(const std::string& name);

  // Writes one file.
  Status Write(const std::string& path) const;
  // Writes NAME-0000i-of-0000n.gguf shards of at most max_tensors_per_shard tensors each; the first shard carries
  // all metadata, each shard carries split.no / split.count / split.tensors.count. Returns the paths written.
  Result<std::vector<std::string>> WriteSplit(const std::string& prefix, size_t max_tensors_per_shard) const;

 private:
  struct PendingTensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> dims;
    uint64_t size_bytes;
    FillFn fill;
  };
  struct KeyValue {
    std::string key;
    GgufValue value;
  };

  Status WriteShard(const std::string& path, const std::vector<KeyValue>& metadata, size_t first_tensor,
                    size_t n_tensors) const;

  uint32_t alignment_ = 32;
  std::vector<KeyValue> metadata_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace baleen
