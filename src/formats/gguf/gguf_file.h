// One GGUF file, parsed and validated: metadata, tensor infos and zero-copy views of tensor data. Formats layer.
// Every count, length, offset and extent is checked against the file before use; a bad file yields a Status naming
// the file, the field and what was wrong.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mapped_file.h"
#include "base/status.h"
#include "formats/ggml_type.h"
#include "formats/gguf/gguf_value.h"

namespace baleen {

inline constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as little-endian u32
inline constexpr uint32_t kGgufDefaultAlignment = 32;
inline constexpr size_t kGgufMaxDims = 4;

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

struct GgufTensorInfo {
  std::string name;
  GgmlType type;
  std::vector<int64_t> dims;  // ggml order: dims[0] (ne0) is contiguous
  uint64_t offset = 0;        // relative to the file's data section
  uint64_t size_bytes = 0;
  std::span<const uint8_t> data;  // the tensor's bytes inside the file mapping

  int64_t n_elements() const;
  std::string ShapeString() const;  // "{7168, 576}"
};

class GgufFile {
 public:
  // Maps and parses a file.
  static Result<std::unique_ptr<GgufFile>> Open(const std::string& path);
  // Parses bytes owned by the caller (fuzzing, tests); `name` stands for the path in messages.
  static Result<std::unique_ptr<GgufFile>> Parse(std::span<const uint8_t> bytes, const std::string& name);
  // A file assembled in memory instead of parsed (a Hugging Face folder seen as the GGUF it converts to): tensor
  // data point into `storage` (mappings, decoded buffers), which the file keeps alive; size_bytes() reports
  // `size_bytes`, the checkpoint's size on disk. Duplicate keys or tensor names are an error.
  static Result<std::unique_ptr<GgufFile>> Assemble(std::string name, std::vector<GgufKeyValue> metadata,
                                                    std::vector<GgufTensorInfo> tensors,
                                                    std::shared_ptr<const void> storage, uint64_t size_bytes);

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t size_bytes() const { return storage_ ? assembled_size_bytes_ : bytes_.size(); }

  const std::vector<GgufKeyValue>& metadata() const { return metadata_; }
  const GgufValue* Find(std::string_view key) const;
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* FindTensor(std::string_view name) const;

 private:
  friend class GgufParser;
  GgufFile() = default;

  std::string path_;
  std::unique_ptr<MappedFile> mapping_;  // null when parsing caller-owned bytes
  std::shared_ptr<const void> storage_;  // Assemble() only
  uint64_t assembled_size_bytes_ = 0;
  std::span<const uint8_t> bytes_;
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> key_index_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace baleen
