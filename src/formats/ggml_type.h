// The tensor element types of GGUF files (ggml_type ids) and their block geometry. Formats layer.
// Ids and block sizes are the ecosystem's; a file using an id not listed here is rejected by name.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"

namespace baleen {

enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

struct GgmlTypeInfo {
  GgmlType type;
  const char* name;      // as the ecosystem prints it: "Q4_K", "IQ2_XXS", "BF16"
  int64_t block_elems;   // elements per block (1 for plain types)
  int64_t block_bytes;   // bytes per block
};

// Looks up a raw type id read from a file; nullptr when the id is unknown (removed or fork-only types).
const GgmlTypeInfo* FindGgmlType(uint32_t id);
const GgmlTypeInfo& GetGgmlTypeInfo(GgmlType type);  // CHECKs that the type is known
const char* GgmlTypeName(GgmlType type);
// Parses a type name case-insensitively ("q4_k", "BF16").
Result<GgmlType> ParseGgmlType(const std::string& name);
std::span<const GgmlTypeInfo> AllGgmlTypes();

// Bytes of one row of n_elems elements; error if n_elems is not a whole number of blocks.
Result<uint64_t> RowBytes(GgmlType type, int64_t n_elems);

// Bytes of a whole tensor with ggml dims (ne0 first); checks block divisibility and overflow.
Result<uint64_t> TensorBytes(GgmlType type, std::span<const int64_t> dims);

}  // namespace baleen
