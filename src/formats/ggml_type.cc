// Type table for GGUF tensor element types. Formats layer.
#include "formats/ggml_type.h"

#include <array>
#include <cctype>
#include <limits>

#include "base/check.h"

namespace baleen {
namespace {

constexpr int64_t kQK_K = 256;

// Block geometry from the ecosystem's block structs (see docs/FORMATS.md for the byte layouts).
constexpr std::array<GgmlTypeInfo, 32> kTypes = {{
    {GgmlType::kF32, "F32", 1, 4},
    {GgmlType::kF16, "F16", 1, 2},
    {GgmlType::kQ4_0, "Q4_0", 32, 18},
    {GgmlType::kQ4_1, "Q4_1", 32, 20},
    {GgmlType::kQ5_0, "Q5_0", 32, 22},
    {GgmlType::kQ5_1, "Q5_1", 32, 24},
    {GgmlType::kQ8_0, "Q8_0", 32, 34},
    {GgmlType::kQ8_1, "Q8_1", 32, 36},
    {GgmlType::kQ2_K, "Q2_K", kQK_K, 84},
    {GgmlType::kQ3_K, "Q3_K", kQK_K, 110},
    {GgmlType::kQ4_K, "Q4_K", kQK_K, 144},
    {GgmlType::kQ5_K, "Q5_K", kQK_K, 176},
    {GgmlType::kQ6_K, "Q6_K", kQK_K, 210},
    {GgmlType::kQ8_K, "Q8_K", kQK_K, 292},
    {GgmlType::kIQ2_XXS, "IQ2_XXS", kQK_K, 66},
    {GgmlType::kIQ2_XS, "IQ2_XS", kQK_K, 74},
    {GgmlType::kIQ3_XXS, "IQ3_XXS", kQK_K, 98},
    {GgmlType::kIQ1_S, "IQ1_S", kQK_K, 50},
    {GgmlType::kIQ4_NL, "IQ4_NL", 32, 18},
    {GgmlType::kIQ3_S, "IQ3_S", kQK_K, 110},
    {GgmlType::kIQ2_S, "IQ2_S", kQK_K, 82},
    {GgmlType::kIQ4_XS, "IQ4_XS", kQK_K, 136},
    {GgmlType::kI8, "I8", 1, 1},
    {GgmlType::kI16, "I16", 1, 2},
    {GgmlType::kI32, "I32", 1, 4},
    {GgmlType::kI64, "I64", 1, 8},
    {GgmlType::kF64, "F64", 1, 8},
    {GgmlType::kIQ1_M, "IQ1_M", kQK_K, 56},
    {GgmlType::kBF16, "BF16", 1, 2},
    {GgmlType::kTQ1_0, "TQ1_0", kQK_K, 54},
    {GgmlType::kTQ2_0, "TQ2_0", kQK_K, 66},
    {GgmlType::kMXFP4, "MXFP4", 32, 17},
}};

bool EqualsIgnoreCase(const std::string& a, const char* b) {
  size_t i = 0;
  for (; i < a.size() && b[i] != '\0'; ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return i == a.size() && b[i] == '\0';
}

}  // namespace

const GgmlTypeInfo* FindGgmlType(uint32_t id) {
  for (const GgmlTypeInfo& info : kTypes) {
    if (static_cast<uint32_t>(info.type) == id) return &info;
  }
  return nullptr;
}

const GgmlTypeInfo& GetGgmlTypeInfo(GgmlType type) {
  const GgmlTypeInfo* info = FindGgmlType(static_cast<uint32_t>(type));
  CHECK(info != nullptr);
  return *info;
}

const char* GgmlTypeName(GgmlType type) { return GetGgmlTypeInfo(type).name; }

Result<GgmlType> ParseGgmlType(const std::string& name) {
  for (const GgmlTypeInfo& info : kTypes) {
    if (EqualsIgnoreCase(name, info.name)) return info.type;
  }
  return InvalidArgument("unknown tensor type name '" + name + "'");
}

std::span<const GgmlTypeInfo> AllGgmlTypes() { return kTypes; }

Result<uint64_t> RowBytes(GgmlType type, int64_t n_elems) {
  const GgmlTypeInfo& info = GetGgmlTypeInfo(type);
  if (n_elems < 0 || n_elems % info.block_elems != 0) {
    return InvalidArgument(std::string("row of ") + std::to_string(n_elems) + " elements is not a multiple of " +
                           info.name + "'s block size " + std::to_string(info.block_elems));
  }
  return static_cast<uint64_t>(n_elems / info.block_elems) * static_cast<uint64_t>(info.block_bytes);
}

Result<uint64_t> TensorBytes(GgmlType type, std::span<const int64_t> dims) {
  if (dims.empty()) return RowBytes(type, 1);
  ASSIGN_OR_RETURN(uint64_t total, RowBytes(type, dims[0]));
  for (size_t i = 1; i < dims.size(); ++i) {
    if (dims[i] < 0) return InvalidArgument("negative dimension " + std::to_string(dims[i]));
    const uint64_t d = static_cast<uint64_t>(dims[i]);
    if (d != 0 && total > std::numeric_limits<uint64_t>::max() / d) {
      return InvalidArgument("tensor size overflows 64 bits");
    }
    total *= d;
  }
  return total;
}

}  // namespace baleen
