// Repacking GGUF rows into the interleaved groups of packed_rows.h (the layouts' column filler), and the lookups.
// Kernels layer. The layouts are defined here, next to the code that writes them; packed_rows_avx512.cc reads them.
#include "kernels/packed_rows.h"

#include <cstring>

#include "formats/quants/quants_k_blocks.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_dot_internal.h"

namespace baleen {
namespace {

using namespace quant_internal;

uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

void Or32(uint8_t* p, uint32_t bits) {
  const uint32_t v = Load32(p) | bits;
  std::memcpy(p, &v, 4);
}

// Q8_0, per 32-element block b of the group's 16 rows, 544 bytes (what the 16 rows' blocks take in GGUF):
//   [0, 32)     d of rows 0..15, f16
//   [32, 544)   eight 64-byte vectors; vector k holds elements 4k..4k+3 of row i at bytes 4i..4i+3, stored as
//               q + 128 (unsigned, for VPDPBUSD)
constexpr int kQ8_0GroupBlock = 32 + 16 * 32;

void PackQ8_0(const uint8_t* src, uint64_t row_bytes, int64_t cols, uint8_t* dst) {
  for (int64_t b = 0; b < cols / 32; ++b) {
    uint8_t* out = dst + b * kQ8_0GroupBlock;
    for (int i = 0; i < kPackRows; ++i) {
      const uint8_t* block = src + i * row_bytes + b * kQ8_0Bytes;
      std::memcpy(out + 2 * i, block, 2);
      for (int k = 0; k < 8; ++k) {
        const uint32_t codes = Load32(block + 2 + 4 * k) ^ 0x80808080u;
        std::memcpy(out + 32 + 64 * k + 4 * i, &codes, 4);
      }
    }
  }
}

// Q4_0 and Q5_0 (x = d·(q − 8), d·(q − 16)), per 32-element block of the group's 16 rows, 288 and 352 bytes (what
// the rows take in GGUF):
//   [0, 32)      d of rows 0..15, f16
//   [32, 288)    codes, four 64-byte vectors: byte 4i + e of vector v holds element 4v + e of row i in its low nibble
//                and element 16 + 4v + e in its high one, which is GGUF's qs[4v + e] as it stands
//   [288, 352)   Q5_0: the fifth bits as Q5_K's for one sub-block: bit v of byte 4i + e that of element 4v + e,
//                bit 4 + v that of element 16 + 4v + e
constexpr int kQ4_0GroupBlock = 32 + 256;
constexpr int kQ5_0GroupBlock = kQ4_0GroupBlock + 64;

template <bool kFiveBits>
void PackQ4Q5_0(const uint8_t* src, uint64_t row_bytes, int64_t cols, uint8_t* dst) {
  constexpr int kBytes = kFiveBits ? kQ5_0Bytes : kQ4_0Bytes;
  constexpr int kGroupBlock = kFiveBits ? kQ5_0GroupBlock : kQ4_0GroupBlock;
  const int qs_at = kFiveBits ? 6 : 2;
  for (int64_t b = 0; b < cols / 32; ++b) {
    uint8_t* out = dst + b * kGroupBlock;
    if constexpr (kFiveBits) std::memset(out + kQ4_0GroupBlock, 0, 64);
    for (int i = 0; i < kPackRows; ++i) {
      const uint8_t* block = src + i * row_bytes + b * kBytes;
      std::memcpy(out + 2 * i, block, 2);
      for (int v = 0; v < 4; ++v) std::memcpy(out + 32 + 64 * v + 4 * i, block + qs_at + 4 * v, 4);
      if constexpr (kFiveBits) {
        const uint32_t qh = Load32(block + 2);
        for (int j = 0; j < 32; ++j) {
          const int l = j % 16, v = l / 4;  // j < 16: the low nibble of vector v, else its high one
          out[kQ4_0GroupBlock + 4 * i + l % 4] |= static_cast<uint8_t>(((qh >> j) & 1) << (j < 16 ? v : 4 + v));
        }
      }
    }
  }
}

// Q4_K, per 256-element super-block of the group's 16 rows, 2368 bytes (16 · 144 = 2304 in GGUF):
//   [0, 32)       d of rows 0..15, f16          [32, 64)     dmin of rows 0..15, f16
//   [64, 192)     scale of sub-block j, row i at 64 + 16j + i (6-bit, one byte)
//   [192, 320)    min of sub-block j, row i at 192 + 32(j / 2) + 2i + j % 2: pairs of sub-blocks side by side, so
//                 widened to 16 bits one VPDPWSSD with a token's two sub-block sums covers both
//   [320, 2368)   codes, 256 bytes per 32-element sub-block j: four 64-byte vectors; byte 4i + e of vector v holds
//                 element 4v + e of row i in its low nibble and element 16 + 4v + e in its high nibble
constexpr int kQ4_KGroupBlock = 64 + 128 + 128 + 8 * 256;

// Row i's d, dmin, scales and mins of one super-block into its group block: the first 16 bytes of a Q4_K block and
// of a Q5_K one are the same.
void PackScalesAndMins(const uint8_t* block, int i, uint8_t* out) {
  std::memcpy(out + 2 * i, block, 2);
  std::memcpy(out + 32 + 2 * i, block + 2, 2);
  for (int j = 0; j < 8; ++j) {
    const quants::ScaleMin sm = quants::UnpackScaleMin(block + 4, j);
    out[64 + 16 * j + i] = static_cast<uint8_t>(sm.scale);
    out[192 + 32 * (j / 2) + 2 * i + j % 2] = static_cast<uint8_t>(sm.min);
  }
}

// Row i's low four bits of the codes (qs, 128 bytes in GGUF order) into the group block's code vectors. GGUF byte
// 32c + l: element l of sub-block 2c in its low nibble, of sub-block 2c + 1 in its high one. Four bytes at a time:
// the four-element group k = l / 4 of both sub-blocks.
void PackNibbles(const uint8_t* qs, int i, uint8_t* out) {
  for (int c = 0; c < 4; ++c) {
    for (int k = 0; k < 8; ++k) {
      const uint32_t bytes = Load32(qs + 32 * c + 4 * k);
      const int shift = k < 4 ? 0 : 4;
      uint8_t* lo = out + 320 + 256 * (2 * c) + 64 * (k % 4) + 4 * i;
      uint8_t* hi = lo + 256;  // sub-block 2c + 1, same place
      Or32(lo, (bytes & 0x0F0F0F0Fu) << shift);
      Or32(hi, ((bytes >> 4) & 0x0F0F0F0Fu) << shift);
    }
  }
}

void PackQ4_K(const uint8_t* src, uint64_t row_bytes, int64_t cols, uint8_t* dst) {
  for (int64_t sb = 0; sb < cols / 256; ++sb) {
    uint8_t* out = dst + sb * kQ4_KGroupBlock;
    std::memset(out + 320, 0, 8 * 256);
    for (int i = 0; i < kPackRows; ++i) {
      const uint8_t* block = src + i * row_bytes + sb * kQ4_KBytes;
      PackScalesAndMins(block, i, out);
      PackNibbles(block + 16, i, out);
    }
  }
}

// Q5_K, per 256-element super-block of the group's 16 rows, 2880 bytes (16 · 176 = 2816 in GGUF): Q4_K's layout for
// d, dmin, scales, mins and the low four bits of the codes, then
//   [2368, 2880)  the fifth bits, one 64-byte vector per 32-element sub-block j: bit v of byte 4i + e holds that of
//                 element 4v + e of row i, bit 4 + v that of element 16 + 4v + e (the elements whose low bits sit in
//                 the low and high nibbles of vector v's byte 4i + e)
constexpr int kQ5_KGroupBlock = kQ4_KGroupBlock + 8 * 64;

void PackQ5_K(const uint8_t* src, uint64_t row_bytes, int64_t cols, uint8_t* dst) {
  for (int64_t sb = 0; sb < cols / 256; ++sb) {
    uint8_t* out = dst + sb * kQ5_KGroupBlock;
    std::memset(out + 320, 0, 8 * 256 + 8 * 64);
    for (int i = 0; i < kPackRows; ++i) {
      const uint8_t* block = src + i * row_bytes + sb * kQ5_KBytes;
      PackScalesAndMins(block, i, out);
      PackNibbles(block + 48, i, out);
      for (int e = 0; e < 256; ++e) {
        const int fifth = quants::ReadBits(block + 16, quants::HighBitPosition(e), 1);
        const int j = e / 32, l = e % 32, k = l % 16 / 4;  // l < 16: the low nibble of vector k, else its high one
        out[kQ4_KGroupBlock + 64 * j + 4 * i + l % 4] |= static_cast<uint8_t>(fifth << (l < 16 ? k : 4 + k));
      }
    }
  }
}

// Q6_K, per 256-element super-block of the group's 16 rows, 3360 bytes (16 · 210, as in GGUF):
//   [0, 32)        d of rows 0..15, f16
//   [32, 288)      scale of 16-element sub-block s, row i at 32 + 16s + i (int8)
//   [288, 2336)    low four bits of the codes, 256 bytes per 32-element chunk j, laid out as Q4_K's codes
//   [2336, 3360)   high two bits, 128 bytes per chunk j: two 64-byte vectors; bits 2m, 2m + 1 of byte 4i + e of
//                  vector u hold those of element 4(u + 2m) + e of row i
constexpr int kQ6_KGroupBlock = 32 + 256 + 2048 + 1024;

void PackQ6_K(const uint8_t* src, uint64_t row_bytes, int64_t cols, uint8_t* dst) {
  for (int64_t sb = 0; sb < cols / 256; ++sb) {
    uint8_t* out = dst + sb * kQ6_KGroupBlock;
    std::memset(out + 288, 0, 2048 + 1024);
    for (int i = 0; i < kPackRows; ++i) {
      const uint8_t* block = src + i * row_bytes + sb * kQ6_KBytes;
      std::memcpy(out + 2 * i, block + 208, 2);
      for (int s = 0; s < 16; ++s) out[32 + 16 * s + i] = block[192 + s];
      for (int e = 0; e < 256; ++e) {
        const int low = quants::ReadBits(block, quants::Q6LowPosition(e), 0xF);
        const int high = quants::ReadBits(block + 128, quants::TwoBitPosition(e), 3);
        const int j = e / 32, k = e % 32 / 4, lane = 4 * i + e % 4;
        out[288 + 256 * j + 64 * (k % 4) + lane] |= static_cast<uint8_t>(low << (k < 4 ? 0 : 4));
        out[2336 + 128 * j + 64 * (k % 2) + lane] |= static_cast<uint8_t>(high << (2 * (k / 2)));
      }
    }
  }
}

}  // namespace

}  // namespace baleen

namespace baleen::kernel_columns {

// The layouts are plain byte shuffles, so every level has them; AVX2 and up have kernels that read them.
void AddPackedLayouts(KernelColumn& column) {
  using namespace quant_internal;
  const auto set = [&](GgmlType type, int block_bytes, PackGroupFn pack) {
    column.Row(type).packed_block_bytes = block_bytes;
    column.Row(type).pack = pack;
  };
  set(GgmlType::kQ8_0, kQ8_0GroupBlock, PackQ8_0);
  set(GgmlType::kQ4_0, kQ4_0GroupBlock, PackQ4Q5_0<false>);
  set(GgmlType::kQ5_0, kQ5_0GroupBlock, PackQ4Q5_0<true>);
  set(GgmlType::kQ4_K, kQ4_KGroupBlock, PackQ4_K);
  set(GgmlType::kQ5_K, kQ5_KGroupBlock, PackQ5_K);
  set(GgmlType::kQ6_K, kQ6_KGroupBlock, PackQ6_K);
}

}  // namespace baleen::kernel_columns

namespace baleen {

bool CanPackRows(GgmlType type, int64_t rows, int64_t cols) {
  const TypeKernels* row = KernelRow(type);
  if (row == nullptr || row->packed.tile == nullptr || row->pack == nullptr) return false;
  return rows > 0 && rows % kPackRows == 0 && cols > 0 && cols % row->packed.act_block == 0;
}

uint64_t PackedGroupBytes(GgmlType type, int64_t cols) {
  const TypeKernels* row = KernelRow(type, IsaLevel::kPortable);  // the layouts do not depend on the level
  if (row == nullptr || row->pack == nullptr) return 0;
  return static_cast<uint64_t>(cols / GetGgmlTypeInfo(type).block_elems) * row->packed_block_bytes;
}

void PackRows(GgmlType type, const uint8_t* src, uint64_t row_bytes, int64_t rows, int64_t cols, uint8_t* dst) {
  const TypeKernels* row = KernelRow(type, IsaLevel::kPortable);
  if (row == nullptr || row->pack == nullptr) return;
  const uint64_t group_bytes = PackedGroupBytes(type, cols);
  for (int64_t g = 0; g < rows / kPackRows; ++g) {
    row->pack(src + static_cast<uint64_t>(g * kPackRows) * row_bytes, row_bytes, cols,
         dst + static_cast<uint64_t>(g) * group_bytes);
  }
}

const PackedDotKernel* PackedDot(GgmlType type) {
  const TypeKernels* row = KernelRow(type);
  return row != nullptr && row->packed.tile != nullptr ? &row->packed : nullptr;
}

}  // namespace baleen
