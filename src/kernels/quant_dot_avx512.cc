// AVX-512 VNNI integer kernels for the 32-element block formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, MXFP4), their
// column filler. 512-bit vectors hold two blocks; VPDPBUSD multiplies unsigned weight codes by signed activations and
// sums groups of four products in 32 bits.
#include "kernels/quant_dot_avx512.h"

#include <cstring>

#include "formats/quants/iq_grids.h"  // kIq4NlValues

namespace baleen::quant_internal {
namespace {

using namespace avx512;

// A float vector whose low eight lanes are a and high eight are b.
BALEEN_VNNI inline __m512 Halves(float a, float b) {
  return _mm512_mask_mov_ps(_mm512_set1_ps(a), 0xFF00, _mm512_set1_ps(b));
}

// The block scale of the formats that start with an f16 d.
struct HalfScaled {
  BALEEN_VNNI static float Scale(const uint8_t* block) { return HalfAt(block); }
};

// ---- Two 32-element blocks per vector: Q8_0 and Q4_0 --------------------------------------------------------
// VPDPBUSD wants unsigned × signed. Weight codes are made unsigned by an offset (Q8_0: q + 128; Q4_0's nibbles
// already are, with the offset 8 in the format), and the offset's share, offset · Σ a, is subtracted lane by lane:
// the accumulator starts at −offset · (Σ of each lane's four activations), itself one VPDPBUSD.

struct Q8_0Pairs : HalfScaled {
  static constexpr int kBytes = kQ8_0Bytes;
  static constexpr int kOffset = 128;
  static constexpr bool kMin = false;
  // Codes of blocks b and b + 1 (zero when second is false) as unsigned bytes.
  BALEEN_VNNI static __m512i Codes(const uint8_t* block, bool second) {
    const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
    const __m256i q1 = second ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + kBytes + 2))
                              : _mm256_setzero_si256();  // any value: the activations there are zero
    return _mm512_xor_si512(Join(q0, q1), _mm512_set1_epi8(-128));
  }
};

// The nibbles of two blocks' qs[16] (at qs and qs + bytes; zero for the second when second is false) in element
// order: element j < 16 of a block in the low nibble of qs[j], j ≥ 16 in the high one of qs[j − 16].
BALEEN_VNNI inline __m512i PairNibbles(const uint8_t* qs, int bytes, bool second) {
  const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i q1 = second ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs + bytes)) : _mm_setzero_si128();
  const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
  const __m256i mask = _mm256_set1_epi8(0x0F);
  const __m256i lo = _mm256_and_si256(both, mask), hi = _mm256_and_si256(_mm256_srli_epi16(both, 4), mask);
  // [lo0 lo1 hi0 hi1] in 128-bit lanes -> [lo0 hi0 lo1 hi1]: elements 0-31 of each block in order.
  return _mm512_shuffle_i64x2(Join(lo, hi), Join(lo, hi), _MM_SHUFFLE(3, 1, 2, 0));
}

// PairNibbles plus 16 where the fifth bit is set: bit j of the little-endian u32 qh (at qh and qh + bytes) is
// element j's, so the two u32 side by side are a mask of the 64 bytes.
BALEEN_VNNI inline __m512i PairFiveBitCodes(const uint8_t* qh, const uint8_t* qs, int bytes, bool second) {
  uint32_t bits[2] = {0, 0};
  std::memcpy(&bits[0], qh, 4);
  if (second) std::memcpy(&bits[1], qh + bytes, 4);
  const __mmask64 fifth = bits[0] | static_cast<uint64_t>(bits[1]) << 32;
  return _mm512_or_si512(PairNibbles(qs, bytes, second), _mm512_maskz_mov_epi8(fifth, _mm512_set1_epi8(16)));
}

struct Q4_0Pairs : HalfScaled {
  static constexpr int kBytes = kQ4_0Bytes;
  static constexpr int kOffset = 8;
  static constexpr bool kMin = false;
  BALEEN_VNNI static __m512i Codes(const uint8_t* block, bool second) {
    return PairNibbles(block + 2, kBytes, second);
  }
};

// ---- The other 32-element formats: Q5_0, IQ4_NL (offsets), Q4_1, Q5_1 (a min: x = d·q + m) --------------------

struct Q5_0Pairs : HalfScaled {
  static constexpr int kBytes = kQ5_0Bytes;
  static constexpr int kOffset = 16;
  static constexpr bool kMin = false;
  BALEEN_VNNI static __m512i Codes(const uint8_t* block, bool second) {
    return PairFiveBitCodes(block + 2, block + 6, kBytes, second);
  }
};

// IQ4_NL's table values plus 128, in [1, 241], looked up by VPSHUFB.
struct IQ4_NLPairs : HalfScaled {
  static constexpr int kBytes = kIQ4_NLBytes;
  static constexpr int kOffset = 128;
  static constexpr bool kMin = false;
  BALEEN_VNNI static __m512i Codes(const uint8_t* block, bool second) {
    const __m512i table = _mm512_xor_si512(
        _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(quants::kIq4NlValues))),
        _mm512_set1_epi8(-128));
    return _mm512_shuffle_epi8(table, PairNibbles(block + 2, kBytes, second));
  }
};

// MXFP4's doubled E2M1 values plus 128, in [116, 140], looked up as IQ4_NL's; the scale is the E8M0 byte's power
// of two.
struct MXFP4Pairs {
  static constexpr int kBytes = kMXFP4Bytes;
  static constexpr int kOffset = 128;
  static constexpr bool kMin = false;
  BALEEN_VNNI static float Scale(const uint8_t* block) { return E8M0Scale(block[0]); }
  BALEEN_VNNI static __m512i Codes(const uint8_t* block, bool second) {
    const __m512i table = _mm512_xor_si512(
        _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kMxfp4Values))),
        _mm512_set1_epi8(-128));
    return _mm512_shuffle_epi8(table, PairNibbles(block + 1, kBytes, second));
  }
};

// The min term m·Σa goes into lane 0 of each block's half (mask 0x0101), once per block.
struct Q4_1Pairs : HalfScaled {
  static constexpr int kBytes = kQ4_1Bytes;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = true;
  BALEEN_VNNI static __m512i Codes(const uint8_t* block, bool second) {
    return PairNibbles(block + 4, kBytes, second);
  }
};

struct Q5_1Pairs : HalfScaled {
  static constexpr int kBytes = kQ5_1Bytes;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = true;
  BALEEN_VNNI static __m512i Codes(const uint8_t* block, bool second) {
    return PairFiveBitCodes(block + 4, block + 8, kBytes, second);
  }
};

template <typename Format>
struct PairKernel {
  static constexpr bool kMin = Format::kMin;

  template <int R, int T>
  BALEEN_VNNI static void Tile(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n, float* out,
                               int64_t ldo) {
    __m512 acc[R][T];
    for (auto& row : acc) {
      for (auto& a : row) a = _mm512_setzero_ps();
    }
    const int64_t n_blocks = n / 32;
    const __m512i offset = _mm512_set1_epi8(static_cast<char>(Format::kOffset));
    for (int64_t b = 0; b < n_blocks; b += 2) {
      const bool second = b + 1 < n_blocks;
      const __mmask64 lanes = second ? ~__mmask64{0} : __mmask64{0xFFFFFFFF};
      __m512i codes[R];
      __m512 dw[R], mins[R];
      for (int r = 0; r < R; ++r) {
        const uint8_t* block = w + r * row_bytes + b * Format::kBytes;
        codes[r] = Format::Codes(block, second);
        dw[r] = Halves(Format::Scale(block), second ? Format::Scale(block + Format::kBytes) : 0.0f);
        if constexpr (kMin) {
          mins[r] = _mm512_maskz_mov_ps(0x0101, Halves(HalfAt(block + 2), second ? HalfAt(block + Format::kBytes + 2)
                                                                                 : 0.0f));
        }
      }
      for (int t = 0; t < T; ++t) {
        const __m512i a = _mm512_maskz_loadu_epi8(lanes, x[t].qs + 32 * b);
        __m512i init = _mm512_setzero_si512();
        if constexpr (Format::kOffset != 0) init = _mm512_sub_epi32(init, _mm512_dpbusd_epi32(init, offset, a));
        const __m512 da = Halves(x[t].d[b], second ? x[t].d[b + 1] : 0.0f);
        __m512 a_sums;  // da·Σa of each block
        if constexpr (kMin) {
          const int16_t* s = x[t].sums + 2 * b;
          a_sums = _mm512_mul_ps(da, Halves(static_cast<float>(s[0] + s[1]),
                                            second ? static_cast<float>(s[2] + s[3]) : 0.0f));
        }
        for (int r = 0; r < R; ++r) {
          const __m512 sums = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(init, codes[r], a));
          acc[r][t] = _mm512_fmadd_ps(sums, _mm512_mul_ps(dw[r], da), acc[r][t]);
          if constexpr (kMin) acc[r][t] = _mm512_fmadd_ps(mins[r], a_sums, acc[r][t]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) out[t * ldo + r] = _mm512_reduce_add_ps(acc[r][t]);
    }
  }
};

}  // namespace

}  // namespace baleen::quant_internal

namespace baleen::kernel_columns {

void AddAvx512VnniDots(KernelColumn& column) {
  using namespace quant_internal;
  using namespace quant_internal::avx512;
  column.Row(GgmlType::kQ8_0).dot = Make<PairKernel<Q8_0Pairs>>(32);
  column.Row(GgmlType::kQ4_0).dot = Make<PairKernel<Q4_0Pairs>>(32);
  column.Row(GgmlType::kQ4_1).dot = Make<PairKernel<Q4_1Pairs>>(32);
  column.Row(GgmlType::kQ5_0).dot = Make<PairKernel<Q5_0Pairs>>(32);
  column.Row(GgmlType::kQ5_1).dot = Make<PairKernel<Q5_1Pairs>>(32);
  column.Row(GgmlType::kIQ4_NL).dot = Make<PairKernel<IQ4_NLPairs>>(32);
  column.Row(GgmlType::kMXFP4).dot = Make<PairKernel<MXFP4Pairs>>(32);
}

}  // namespace baleen::kernel_columns
