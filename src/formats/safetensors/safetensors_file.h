// One safetensors file, parsed and validated: the JSON header (dtypes, shapes, data offsets) checked against the
// file, and zero-copy views of each tensor's bytes in the mapping. Formats layer.
// Layout: u64 little-endian header length N, N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin,
// end]}, "__metadata__": {string: string}}, then the data section the offsets are relative to.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/mapped_file.h"
#include "base/status.h"

namespace baleen {

enum class SafetensorsDtype { kBool, kU8, kI8, kI16, kU16, kI32, kU32, kI64, kU64, kF16, kBF16, kF32, kF64, kF8E4M3, kF8E5M2 };

const char* SafetensorsDtypeName(SafetensorsDtype dtype);  // as the header spells it: "BF16", "F8_E4M3"
size_t SafetensorsDtypeBytes(SafetensorsDtype dtype);
bool IsFloatDtype(SafetensorsDtype dtype);

// The format's own limit (the reference implementation refuses larger headers), and ours on nesting.
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

struct SafetensorsTensor {
  std::string name;
  SafetensorsDtype dtype = SafetensorsDtype::kF32;
  std::vector<int64_t> shape;  // row-major: shape.back() is contiguous (GGUF lists the same dims reversed)
  uint64_t begin = 0, end = 0;  // data_offsets, relative to the data section
  std::span<const uint8_t> data;

  int64_t n_elements() const;
  std::string ShapeString() const;  // "[7168, 576]"
  // Element i of a float tensor (any float dtype) as float; CHECKs the dtype and the index.
  float FloatAt(int64_t i) const;
};

class SafetensorsFile {
 public:
  static Result<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);
  // Parses bytes owned by the caller (fuzzing, tests); `name` stands for the path in messages.
  static Result<std::unique_ptr<SafetensorsFile>> Parse(std::span<const uint8_t> bytes, const std::string& name);

  const std::string& path() const { return path_; }
  uint64_t size_bytes() const { return bytes_.size(); }
  uint64_t data_offset() const { return data_offset_; }
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }  // in data order
  const SafetensorsTensor* Find(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  Status ParseHeader();

  std::string path_;
  std::unique_ptr<MappedFile> mapping_;  // null when parsing caller-owned bytes
  std::span<const uint8_t> bytes_;
  uint64_t data_offset_ = 0;
  std::vector<SafetensorsTensor> tensors_;
  std::unordered_map<std::string_view, size_t> index_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

}  // namespace baleen
