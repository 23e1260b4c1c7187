// Test helper: loads known-answer vectors for a tensor type, written by tools/quant_vectors/*.py (numpy,
// independent of the C++ code). Formats layer, tests only.
//
// File tests/data/quants/<TYPE>.kat (little-endian):
//   char magic[4] = "BKAT"; u32 type_id; u32 n_blocks;
//   u8  blocks[n_blocks * block_bytes];          // random but valid encoded blocks
//   f32 expected[n_blocks * block_elems];        // what the reference dequantizer must produce
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "formats/ggml_type.h"

namespace baleen::testing {

struct QuantVectors {
  bool ok = false;
  std::string error;
  GgmlType type{};
  uint32_t n_blocks = 0;
  std::vector<uint8_t> blocks;
  std::vector<float> expected;
};

inline std::string TestDataDir() {
  const char* dir = std::getenv("BALEEN_TEST_DATA");
  return dir != nullptr ? dir : "tests/data";
}

inline QuantVectors LoadQuantVectors(const std::string& type_name) {
  QuantVectors v;
  const std::string path = TestDataDir() + "/quants/" + type_name + ".kat";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    v.error = "cannot open " + path;
    return v;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "BKAT", 4) != 0) {
    v.error = path + ": bad header";
    return v;
  }
  uint32_t type_id = 0;
  std::memcpy(&type_id, bytes.data() + 4, 4);
  std::memcpy(&v.n_blocks, bytes.data() + 8, 4);
  const GgmlTypeInfo* info = FindGgmlType(type_id);
  if (info == nullptr) {
    v.error = path + ": unknown type id";
    return v;
  }
  v.type = info->type;
  const size_t block_bytes = static_cast<size_t>(info->block_bytes) * v.n_blocks;
  const size_t n_floats = static_cast<size_t>(info->block_elems) * v.n_blocks;
  if (bytes.size() != 12 + block_bytes + 4 * n_floats) {
    v.error = path + ": size does not match header";
    return v;
  }
  v.blocks.assign(bytes.begin() + 12, bytes.begin() + 12 + static_cast<std::ptrdiff_t>(block_bytes));
  v.expected.resize(n_floats);
  std::memcpy(v.expected.data(), bytes.data() + 12 + block_bytes, 4 * n_floats);
  v.ok = true;
  return v;
}

}  // namespace baleen::testing
