// A Hugging Face checkpoint's weights: one model.safetensors, or shards listed by model.safetensors.index.json,
// seen as one tensor namespace. Formats layer. Pickle checkpoints (.bin/.pt/.pth/.ckpt) are refused, never read.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "formats/safetensors/safetensors_file.h"

namespace baleen {

class SafetensorsCheckpoint {
 public:
  // Opens `dir`/model.safetensors.index.json and its shards, else `dir`/model.safetensors.
  static Result<std::unique_ptr<SafetensorsCheckpoint>> Open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  // All tensors of all files, in file then data order.
  const std::vector<const SafetensorsTensor*>& tensors() const { return tensors_; }
  const SafetensorsTensor* Find(std::string_view name) const;
  // The file holding a tensor, for messages.
  const std::string& FileOf(const SafetensorsTensor& tensor) const;
  uint64_t total_file_bytes() const;

 private:
  SafetensorsCheckpoint() = default;
  Status AddFile(std::unique_ptr<SafetensorsFile> file);

  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::vector<const SafetensorsTensor*> tensors_;
  std::unordered_map<std::string_view, std::pair<const SafetensorsTensor*, size_t>> by_name_;  // -> (tensor, file)
};

// True for names that PyTorch's pickle-based formats use (.bin, .pt, .pth, .ckpt, .pkl).
bool IsPickleCheckpointName(std::string_view path);
// The refusal: why Baleen never unpickles a model (arbitrary code execution) and what to use instead.
Status PickleRefusal(const std::string& path);

}  // namespace baleen
