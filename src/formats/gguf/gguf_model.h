// A model stored in one GGUF file or split across shards (NAME-00001-of-00005.gguf): one tensor namespace, metadata
// from the first shard. Formats layer.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "formats/gguf/gguf_file.h"

namespace baleen {

class GgufModel {
 public:
  // Opens a single file, or every shard of a split model given the first shard's path.
  static Result<std::unique_ptr<GgufModel>> Open(const std::string& path);
  // Wraps one already-parsed file (no shards), e.g. bytes parsed in memory by a fuzzer.
  static Result<std::unique_ptr<GgufModel>> FromFile(std::unique_ptr<GgufFile> file);

  const GgufFile& first() const { return *shards_.front(); }
  const std::vector<std::unique_ptr<GgufFile>>& shards() const { return shards_; }
  const GgufValue* Find(std::string_view key) const { return first().Find(key); }

  // All tensors of all shards, in shard then file order.
  const std::vector<const GgufTensorInfo*>& tensors() const { return tensors_; }
  const GgufTensorInfo* FindTensor(std::string_view name) const;
  uint64_t total_file_bytes() const;

 private:
  GgufModel() = default;
  Status AddShardTensors(const GgufFile& shard);

  std::vector<std::unique_ptr<GgufFile>> shards_;
  std::vector<const GgufTensorInfo*> tensors_;
  std::unordered_map<std::string_view, const GgufTensorInfo*> by_name_;
};

// Shard file name in the ecosystem's convention: ShardPath("m", 2, 5) == "m-00002-of-00005.gguf" (index 1-based).
std::string GgufShardPath(const std::string& prefix, int index, int count);

}  // namespace baleen
