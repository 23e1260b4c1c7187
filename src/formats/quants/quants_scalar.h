// Small scalar helpers shared by the reference (de)quantizers: unaligned block access, rounding, nibble packing.
// Formats layer, private to src/formats/quants/.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>

#include "formats/quants/quants_internal.h"

namespace baleen::quants {

// Block layouts are little-endian on disk and are read by copying; a big-endian host would need byte swaps.
static_assert(std::endian::native == std::endian::little, "quant block layouts assume a little-endian host");

constexpr int kSuperBlockElems = 256;  // QK_K: elements in one K-quant super-block

// Copies the index-th T out of a packed row. A row is a byte array whose blocks have odd sizes (17, 18, 110 ...
// bytes), so casting the pointer would read misaligned fields; memcpy is alignment- and aliasing-safe.
template <typename T>
T LoadAt(const void* row, int64_t index) {
  T value;
  std::memcpy(&value, static_cast<const uint8_t*>(row) + index * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return value;
}

template <typename T>
void StoreAt(const T& value, void* row, int64_t index) {
  std::memcpy(static_cast<uint8_t*>(row) + index * static_cast<int64_t>(sizeof(T)), &value, sizeof(T));
}

// Rounds to the nearest integer, ties to even. ggml's quantizers round this way (their nearest_int adds 1.5 * 2^23
// and reads the mantissa), so the K-quant and IQ4_NL encoders must too; std::round (ties away) is used only where
// ggml uses roundf (Q8_0, Q8_1).
inline int NearestInt(float x) { return static_cast<int>(std::lrint(x)); }

// 1 / d, or 0 when d is 0 or so small that 1 / d overflows. ggml computes `d ? 1/d : 0`; for a subnormal d that
// is +-inf and 0 * inf = NaN, which then reaches a float-to-int cast (undefined behaviour). Such a d rounds to an
// fp16 zero anyway, so encoding the block as zeros changes nothing a reader can see.
inline float InverseOrZero(float d) {
  if (d == 0.0f) return 0.0f;
  const float inverse = 1.0f / d;
  return std::isfinite(inverse) ? inverse : 0.0f;
}

// The element of largest magnitude, with its sign (the first one on ties). Symmetric formats map it to their most
// negative code, which is one step further from zero than the most positive one, so no range is wasted.
inline float SignedAbsMax(const float* x, int n) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  return max;
}

// The 32-element blocks store element j (< 16) in the low nibble of qs[j] and element j + 16 in its high nibble.
inline int NibbleOf32(const uint8_t* qs, int j) { return j < 16 ? qs[j] & 0xF : qs[j - 16] >> 4; }

inline void PackNibbles32(const uint8_t* codes, uint8_t* qs) {  // codes: [32], each < 16; qs: [16]
  for (int j = 0; j < 16; ++j) qs[j] = static_cast<uint8_t>(codes[j] | (codes[j + 16] << 4));
}

// Row loops shared by every block type. Block::kElems is the block's element count; Decode/Encode handle one block.
template <typename Block, void (*Decode)(const Block&, float*)>
void DecodeRow(const void* src, float* dst, int64_t n_elems) {
  for (int64_t i = 0; i < n_elems / Block::kElems; ++i) Decode(LoadAt<Block>(src, i), dst + i * Block::kElems);
}

template <typename Block, Block (*Encode)(const float*)>
void EncodeRow(const float* src, void* dst, int64_t n_elems) {
  for (int64_t i = 0; i < n_elems / Block::kElems; ++i) StoreAt(Encode(src + i * Block::kElems), dst, i);
}

// One row of a family's kernel table, and the lookup each Find*Kernels function does over its table.
struct TypeKernels {
  GgmlType type;
  RowKernels kernels;
};

inline const RowKernels* FindInTable(std::span<const TypeKernels> table, GgmlType type) {
  for (const TypeKernels& entry : table) {
    if (entry.type == type) return &entry.kernels;
  }
  return nullptr;
}

}  // namespace baleen::quants
