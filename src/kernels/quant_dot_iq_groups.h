// The codebook i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S) unpacked 32 elements at a time into
// 256-bit vectors, for the integer kernels of quant_dot_avx2_iq.cc and quant_dot_avx512_iq.cc (which joins two
// groups into a 512-bit vector). Kernels layer, private to those files.
//
// A group is the block's integer form (see quant_dot_reference_iq.cc): Σ x·a = factor · Σ_16 k · Σ_e v_e · a_e, with
// v the signed codebook value and k the odd sub-block multiplier. The kernels multiply |v| (unsigned) by a signed
// copy of a (VPMADDUBSW), then the 16-bit pair sums by k (VPMADDWD / VPDPWSSD).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "formats/quants/iq_grids.h"
#include "kernels/quant_dot_internal.h"
#include "kernels/simd.h"  // the intrinsics

// AVX2 for the vectors, F16C for the block scales. The AVX-512 file calls these from functions whose target is a
// superset, so they inline there too.
#define BALEEN_IQ_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace baleen::quant_internal::iq {

// 32 elements: mag = |v| as unsigned bytes, sgn = bytes whose sign is v's (never zero), scale = k for the 16-bit pair
// sums of elements 0..15 (low 128-bit lane) and 16..31 (high lane).
struct Group {
  __m256i mag, sgn, scale;
};

// Sign bytes of an 8-bit mask: byte j is -1 where bit j is set, else +1. The 128 even-parity expansions of the 7-bit
// sign codes (iq_grids.h EvenParitySigns) come first, then the 256 plain masks.
inline constexpr std::array<uint64_t, 128 + 256> kSignBytes = [] {
  std::array<uint64_t, 128 + 256> table{};
  for (uint32_t i = 0; i < 128 + 256; ++i) {
    const uint32_t mask = i < 128 ? quants::EvenParitySigns(i) : i - 128;
    uint64_t bytes = 0;
    for (int j = 0; j < 8; ++j) bytes |= static_cast<uint64_t>((mask >> j) & 1 ? 0xFF : 0x01) << (8 * j);
    table[i] = bytes;
  }
  return table;
}();

inline uint64_t EvenSigns(uint32_t code7) { return kSignBytes[code7 & 0x7F]; }
inline uint64_t MaskSigns(uint32_t mask8) { return kSignBytes[128 + (mask8 & 0xFF)]; }

inline uint64_t Row8(const int8_t* grid, uint32_t index) {
  uint64_t v;
  std::memcpy(&v, grid + 8 * index, 8);
  return v;
}

inline uint32_t Row4(const int8_t* grid, uint32_t index) {
  uint32_t v;
  std::memcpy(&v, grid + 4 * index, 4);
  return v;
}

inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

BALEEN_IQ_AVX2 inline float HalfBits(uint16_t h) { return _cvtsh_ss(h); }

BALEEN_IQ_AVX2 inline __m256i Quad(uint64_t e0, uint64_t e1, uint64_t e2, uint64_t e3) {
  return _mm256_set_epi64x(static_cast<int64_t>(e3), static_cast<int64_t>(e2), static_cast<int64_t>(e1),
                           static_cast<int64_t>(e0));
}

// k for both halves of the group (per-32 scales) or for each half (per-16 scales).
BALEEN_IQ_AVX2 inline __m256i Scale(uint32_t code) { return _mm256_set1_epi16(static_cast<int16_t>(2 * code + 1)); }

BALEEN_IQ_AVX2 inline __m256i Scales(uint32_t lo, uint32_t hi) {
  return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(2 * hi + 1)),
                          _mm_set1_epi16(static_cast<int16_t>(2 * lo + 1)));
}

// 8·v + δ of IQ1's {-1, 0, 1} grid values (VPSIGNB of 8 by v is 8·v), δ = ±1 per byte: odd, so never zero.
BALEEN_IQ_AVX2 inline Group ShiftedGroup(__m256i grid, __m256i delta, __m256i scale) {
  const __m256i codes = _mm256_add_epi8(_mm256_sign_epi8(_mm256_set1_epi8(8), grid), delta);
  return {_mm256_abs_epi8(codes), codes, scale};
}

// Each format: kBytes per 256 elements; Grid(): its codebook; Factor(block): the float factor; Unpack(block, grid, g):
// group g (elements 32g..32g + 31).

struct IQ2XXS {
  static constexpr int kBytes = 66;
  static const int8_t* Grid() { return quants::Iq2XxsGrid().values; }
  BALEEN_IQ_AVX2 static float Factor(const uint8_t* block) { return 0.125f * HalfBits(Load16(block)); }
  BALEEN_IQ_AVX2 static Group Unpack(const uint8_t* block, const int8_t* grid, int g) {
    const uint8_t* q = block + 2 + 8 * g;
    const uint32_t aux = Load32(q + 4);
    return {Quad(Row8(grid, q[0]), Row8(grid, q[1]), Row8(grid, q[2]), Row8(grid, q[3])),
            Quad(EvenSigns(aux), EvenSigns(aux >> 7), EvenSigns(aux >> 14), EvenSigns(aux >> 21)), Scale(aux >> 28)};
  }
};

struct IQ2XS {
  static constexpr int kBytes = 74;
  static const int8_t* Grid() { return quants::Iq2XsGrid().values; }
  BALEEN_IQ_AVX2 static float Factor(const uint8_t* block) { return 0.125f * HalfBits(Load16(block)); }
  BALEEN_IQ_AVX2 static Group Unpack(const uint8_t* block, const int8_t* grid, int g) {
    uint16_t q[4];
    std::memcpy(q, block + 2 + 8 * g, 8);
    const uint32_t scales = block[66 + g];
    return {Quad(Row8(grid, q[0] & 511), Row8(grid, q[1] & 511), Row8(grid, q[2] & 511), Row8(grid, q[3] & 511)),
            Quad(EvenSigns(q[0] >> 9), EvenSigns(q[1] >> 9), EvenSigns(q[2] >> 9), EvenSigns(q[3] >> 9)),
            Scales(scales & 0xF, scales >> 4)};
  }
};

struct IQ2S {
  static constexpr int kBytes = 82;
  static const int8_t* Grid() { return quants::Iq2SGrid().values; }
  BALEEN_IQ_AVX2 static float Factor(const uint8_t* block) { return 0.125f * HalfBits(Load16(block)); }
  BALEEN_IQ_AVX2 static Group Unpack(const uint8_t* block, const int8_t* grid, int g) {
    const uint8_t* qs = block + 2 + 4 * g;
    const uint8_t* signs = block + 34 + 4 * g;
    const uint32_t qh = block[66 + g], scales = block[74 + g];
    return {Quad(Row8(grid, qs[0] | (qh << 8 & 0x300)), Row8(grid, qs[1] | (qh << 6 & 0x300)),
                 Row8(grid, qs[2] | (qh << 4 & 0x300)), Row8(grid, qs[3] | (qh << 2 & 0x300))),
            Quad(MaskSigns(signs[0]), MaskSigns(signs[1]), MaskSigns(signs[2]), MaskSigns(signs[3])),
            Scales(scales & 0xF, scales >> 4)};
  }
};

// The 4-wide grids: eight rows per group, two per 8 sign bits.
BALEEN_IQ_AVX2 inline __m256i Octet(const int8_t* grid, const uint32_t (&index)[8]) {
  return _mm256_setr_epi32(static_cast<int>(Row4(grid, index[0])), static_cast<int>(Row4(grid, index[1])),
                           static_cast<int>(Row4(grid, index[2])), static_cast<int>(Row4(grid, index[3])),
                           static_cast<int>(Row4(grid, index[4])), static_cast<int>(Row4(grid, index[5])),
                           static_cast<int>(Row4(grid, index[6])), static_cast<int>(Row4(grid, index[7])));
}

struct IQ3XXS {
  static constexpr int kBytes = 98;
  static const int8_t* Grid() { return quants::Iq3XxsGrid().values; }
  BALEEN_IQ_AVX2 static float Factor(const uint8_t* block) { return 0.25f * HalfBits(Load16(block)); }
  BALEEN_IQ_AVX2 static Group Unpack(const uint8_t* block, const int8_t* grid, int g) {
    const uint8_t* qs = block + 2 + 8 * g;
    const uint32_t aux = Load32(block + 66 + 4 * g);
    const uint32_t index[8] = {qs[0], qs[1], qs[2], qs[3], qs[4], qs[5], qs[6], qs[7]};
    return {Octet(grid, index), Quad(EvenSigns(aux), EvenSigns(aux >> 7), EvenSigns(aux >> 14), EvenSigns(aux >> 21)),
            Scale(aux >> 28)};
  }
};

struct IQ3S {
  static constexpr int kBytes = 110;
  static const int8_t* Grid() { return quants::Iq3SGrid().values; }
  BALEEN_IQ_AVX2 static float Factor(const uint8_t* block) { return HalfBits(Load16(block)); }
  BALEEN_IQ_AVX2 static Group Unpack(const uint8_t* block, const int8_t* grid, int g) {
    const uint8_t* qs = block + 2 + 8 * g;
    const uint8_t* signs = block + 74 + 4 * g;
    const uint32_t qh = block[66 + g];
    uint32_t index[8];
    for (int m = 0; m < 8; ++m) index[m] = qs[m] | (qh << (8 - m) & 0x100);
    return {Octet(grid, index),
            Quad(MaskSigns(signs[0]), MaskSigns(signs[1]), MaskSigns(signs[2]), MaskSigns(signs[3])),
            Scale((block[106 + g / 2] >> (4 * (g % 2))) & 0xF)};
  }
};

struct IQ1S {
  static constexpr int kBytes = 50;
  static const int8_t* Grid() { return quants::Iq1Grid().values; }
  BALEEN_IQ_AVX2 static float Factor(const uint8_t* block) { return 0.125f * HalfBits(Load16(block)); }
  BALEEN_IQ_AVX2 static Group Unpack(const uint8_t* block, const int8_t* grid, int g) {
    const uint8_t* qs = block + 2 + 4 * g;
    const uint32_t qh = Load16(block + 34 + 2 * g);
    const __m256i rows = Quad(Row8(grid, qs[0] | (qh << 8 & 0x700)), Row8(grid, qs[1] | (qh << 5 & 0x700)),
                              Row8(grid, qs[2] | (qh << 2 & 0x700)), Row8(grid, qs[3] | (qh >> 1 & 0x700)));
    return ShiftedGroup(rows, _mm256_set1_epi8(qh & 0x8000 ? -1 : 1), Scale((qh >> 12) & 7));
  }
};

struct IQ1M {
  static constexpr int kBytes = 56;
  static const int8_t* Grid() { return quants::Iq1Grid().values; }
  BALEEN_IQ_AVX2 static float Factor(const uint8_t* block) {
    uint16_t w[4];
    std::memcpy(w, block + 48, 8);
    const uint32_t bits = (w[0] >> 12) | (w[1] >> 12) << 4 | (w[2] >> 12) << 8 | (w[3] >> 12) << 12;
    return 0.125f * HalfBits(static_cast<uint16_t>(bits));
  }
  BALEEN_IQ_AVX2 static Group Unpack(const uint8_t* block, const int8_t* grid, int g) {
    const uint8_t* qs = block + 4 * g;
    const uint32_t qh = Load16(block + 32 + 2 * g);  // four nibbles: index bits 8..10 and the delta sign per 8
    const uint32_t scales = Load16(block + 48 + 2 * (g / 2)) >> (6 * (g % 2));  // two 3-bit codes
    const __m256i rows = Quad(Row8(grid, qs[0] | (qh << 8 & 0x700)), Row8(grid, qs[1] | (qh << 4 & 0x700)),
                              Row8(grid, qs[2] | (qh & 0x700)), Row8(grid, qs[3] | (qh >> 4 & 0x700)));
    // Delta signs: bit 4l + 3 of qh for the bytes of row l, that is bits 3 and 7 of qh's low byte (rows 0, 1; the
    // low 128-bit lane) and of its high byte (rows 2, 3).
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi16(static_cast<int16_t>(qh)),
                                               _mm256_set_epi64x(0x0101010101010101, 0x0101010101010101, 0, 0));
    const __m256i bit = _mm256_set_epi64x(static_cast<int64_t>(0x8080808080808080), 0x0808080808080808,
                                          static_cast<int64_t>(0x8080808080808080), 0x0808080808080808);
    const __m256i negative = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
    return ShiftedGroup(rows, _mm256_or_si256(negative, _mm256_set1_epi8(1)), Scales(scales & 7, scales >> 3 & 7));
  }
};

}  // namespace baleen::quant_internal::iq
