// AVX2 integer dot-product kernels: 256-bit vectors of 32 codes; VPMADDUBSW multiplies unsigned weight codes by
// signed activations into 16-bit pair sums, VPMADDWD by the sub-block scale (or by 1) into 32-bit sums. Also used at
// the AVX-512 level on CPUs without VNNI.
#include <cstring>

#include "formats/quants/iq_grids.h"  // kIq4NlValues
#include "kernels/quant_dot_avx2.h"

namespace baleen::quant_internal {
namespace {

using namespace avx2;

// Q8_0: signed codes; |w| · sign(a, w) turns each product into unsigned × signed with the same value.
struct Q8_0Kernel {
  template <int R, int T>
  BALEEN_AVX2 static void Tile(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n, float* out,
                               int64_t ldo) {
    __m256 acc[R][T] = {};
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t b = 0; b < n / 32; ++b) {
      __m256i codes[R], magnitudes[R];
      float dw[R];
      for (int r = 0; r < R; ++r) {
        const uint8_t* block = w + r * row_bytes + b * kQ8_0Bytes;
        codes[r] = Load256(block + 2);
        magnitudes[r] = _mm256_abs_epi8(codes[r]);
        dw[r] = HalfAt(block);
      }
      for (int t = 0; t < T; ++t) {
        const __m256i a = Load256(x[t].qs + 32 * b);
        for (int r = 0; r < R; ++r) {
          const __m256i pairs = _mm256_maddubs_epi16(magnitudes[r], _mm256_sign_epi8(a, codes[r]));
          const __m256 sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones));
          acc[r][t] = _mm256_fmadd_ps(sums, _mm256_set1_ps(dw[r] * x[t].d[b]), acc[r][t]);
        }
      }
    }
    StoreSums<R, T>(acc, out, ldo);
  }
};

// Q4_0: unsigned nibbles with an offset of 8, subtracted as 8 · (pair sums of a) in 16 bits.
struct Q4_0Kernel {
  template <int R, int T>
  BALEEN_AVX2 static void Tile(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n, float* out,
                               int64_t ldo) {
    __m256 acc[R][T] = {};
    const __m256i ones = _mm256_set1_epi16(1), eight = _mm256_set1_epi8(8);
    const __m128i mask = _mm_set1_epi8(0x0F);
    for (int64_t b = 0; b < n / 32; ++b) {
      __m256i codes[R];
      float dw[R];
      for (int r = 0; r < R; ++r) {
        const uint8_t* block = w + r * row_bytes + b * kQ4_0Bytes;
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
        codes[r] = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(bytes, 4), mask), _mm_and_si128(bytes, mask));
        dw[r] = HalfAt(block);
      }
      for (int t = 0; t < T; ++t) {
        const __m256i a = Load256(x[t].qs + 32 * b);
        const __m256i offset = _mm256_maddubs_epi16(eight, a);
        for (int r = 0; r < R; ++r) {
          const __m256i pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(codes[r], a), offset);
          const __m256 sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones));
          acc[r][t] = _mm256_fmadd_ps(sums, _mm256_set1_ps(dw[r] * x[t].d[b]), acc[r][t]);
        }
      }
    }
    StoreSums<R, T>(acc, out, ldo);
  }
};

// ---- The other 32-element formats: Q4_1, Q5_0, Q5_1, IQ4_NL, MXFP4 -----------------------------------------------
// Each format gives its 32 codes in element order and its block scale; the kernel below handles an offset (Q5_0: 16,
// subtracted as 16 · (pair sums of a), like Q4_0's 8), a min (x = d·q + m: m·Σa, the block's Σa from the two sums of
// 16) or signed codes (IQ4_NL's and MXFP4's table values, multiplied as Q8_0's).

// The block scale of the formats that start with an f16 d.
struct HalfScaled {
  BALEEN_AVX2 static float Scale(const uint8_t* block) { return HalfAt(block); }
};

// Nibbles plus 16 where bit j of the little-endian u32 at qh is set: each byte j picks qh byte j / 8 and tests
// bit j mod 8.
BALEEN_AVX2 inline __m256i FiveBitCodes(const uint8_t* qh, const uint8_t* qs) {
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)),
                                             _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                                               0x0101010101010101, 0x0000000000000000));
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201));
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
  return _mm256_or_si256(Nibbles(qs), _mm256_and_si256(set, _mm256_set1_epi8(16)));
}

struct Q4_1Codes : HalfScaled {
  static constexpr int kBytes = kQ4_1Bytes, kOffset = 0;
  static constexpr bool kMin = true, kSigned = false;
  BALEEN_AVX2 static __m256i Codes(const uint8_t* block) { return Nibbles(block + 4); }
};

struct Q5_0Codes : HalfScaled {
  static constexpr int kBytes = kQ5_0Bytes, kOffset = 16;
  static constexpr bool kMin = false, kSigned = false;
  BALEEN_AVX2 static __m256i Codes(const uint8_t* block) { return FiveBitCodes(block + 2, block + 6); }
};

struct Q5_1Codes : HalfScaled {
  static constexpr int kBytes = kQ5_1Bytes, kOffset = 0;
  static constexpr bool kMin = true, kSigned = false;
  BALEEN_AVX2 static __m256i Codes(const uint8_t* block) { return FiveBitCodes(block + 4, block + 8); }
};

struct IQ4_NLCodes : HalfScaled {
  static constexpr int kBytes = kIQ4_NLBytes, kOffset = 0;
  static constexpr bool kMin = false, kSigned = true;
  // The table's values as signed bytes, looked up by VPSHUFB in each 128-bit lane.
  BALEEN_AVX2 static __m256i Codes(const uint8_t* block) {
    const __m256i table = _mm256_broadcastsi128_si256(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(quants::kIq4NlValues)));
    return _mm256_shuffle_epi8(table, Nibbles(block + 2));
  }
};

// MXFP4: the doubled E2M1 values (in [-12, 12]) looked up as IQ4_NL's; the scale is the E8M0 byte's power of two.
struct MXFP4Codes {
  static constexpr int kBytes = kMXFP4Bytes, kOffset = 0;
  static constexpr bool kMin = false, kSigned = true;
  BALEEN_AVX2 static float Scale(const uint8_t* block) { return E8M0Scale(block[0]); }
  BALEEN_AVX2 static __m256i Codes(const uint8_t* block) {
    const __m256i table = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kMxfp4Values)));
    return _mm256_shuffle_epi8(table, Nibbles(block + 1));
  }
};

template <typename Format>
struct LegacyKernel {
  template <int R, int T>
  BALEEN_AVX2 static void Tile(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n, float* out,
                               int64_t ldo) {
    __m256 acc[R][T] = {};
    const __m256i ones = _mm256_set1_epi16(1), offset = _mm256_set1_epi8(Format::kOffset);
    for (int64_t b = 0; b < n / 32; ++b) {
      __m256i codes[R];
      __m256 mins[R];  // m in lane 0 only: the min term is added once per block
      float dw[R];
      for (int r = 0; r < R; ++r) {
        const uint8_t* block = w + r * row_bytes + b * Format::kBytes;
        codes[r] = Format::Codes(block);
        dw[r] = Format::Scale(block);
        if constexpr (Format::kMin) mins[r] = _mm256_setr_ps(HalfAt(block + 2), 0, 0, 0, 0, 0, 0, 0);
      }
      for (int t = 0; t < T; ++t) {
        const __m256i a = Load256(x[t].qs + 32 * b);
        __m256i offset_pairs = _mm256_setzero_si256();
        if constexpr (Format::kOffset != 0) offset_pairs = _mm256_maddubs_epi16(offset, a);
        const float da = x[t].d[b];
        for (int r = 0; r < R; ++r) {
          __m256i pairs;
          if constexpr (Format::kSigned) {
            pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(codes[r]), _mm256_sign_epi8(a, codes[r]));
          } else {
            pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(codes[r], a), offset_pairs);
          }
          const __m256 sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones));
          acc[r][t] = _mm256_fmadd_ps(sums, _mm256_set1_ps(dw[r] * da), acc[r][t]);
          if constexpr (Format::kMin) {
            const int a_sum = x[t].sums[2 * b] + x[t].sums[2 * b + 1];
            acc[r][t] = _mm256_fmadd_ps(mins[r], _mm256_set1_ps(da * static_cast<float>(a_sum)), acc[r][t]);
          }
        }
      }
    }
    StoreSums<R, T>(acc, out, ldo);
  }
};

// Q4_K and Q5_K: 64-element chunk c holds sub-block 2c in the low nibbles and 2c + 1 in the high ones (Q5_K: the
// fifth bit from qh bits 2c and 2c + 1). Σ = d·Σ_j sc_j·(q·a)_j − dmin·Σ_j m_j·(Σ a)_j.
template <bool kFifthBit>
struct KWithMinsKernel {
  static constexpr int kBytes = kFifthBit ? kQ5_KBytes : kQ4_KBytes;

  // The chunk's codes: [0] elements 0-31, [1] elements 32-63.
  BALEEN_AVX2 static void Codes(const uint8_t* block, int chunk, __m256i codes[2]) {
    const __m256i bytes = Load256(block + (kFifthBit ? 48 : 16) + 32 * chunk);
    const __m256i mask = _mm256_set1_epi8(0x0F);
    codes[0] = _mm256_and_si256(bytes, mask);
    codes[1] = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask);
    if constexpr (kFifthBit) {
      const __m256i qh = Load256(block + 16), one = _mm256_set1_epi8(1);
      for (int i = 0; i < 2; ++i) {
        const __m256i bit = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * chunk + i), one);
        codes[i] = _mm256_or_si256(codes[i], _mm256_slli_epi16(bit, 4));
      }
    }
  }

  template <int R, int T>
  BALEEN_AVX2 static void Tile(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n, float* out,
                               int64_t ldo) {
    __m256 acc[R][T] = {};
    for (int64_t sb = 0; sb < n / 256; ++sb) {
      ScaleMinBytes sm[R];
      __m128i mins[R];
      float d[R], dmin[R];
      for (int r = 0; r < R; ++r) {
        const uint8_t* block = w + r * row_bytes + sb * kBytes;
        sm[r] = UnpackScaleMinBytes(block + 4);
        mins[r] = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(sm[r].mins)));
        d[r] = HalfAt(block);
        dmin[r] = HalfAt(block + 2);
      }
      __m256i sums[R][T] = {};
      for (int chunk = 0; chunk < 4; ++chunk) {
        __m256i codes[R][2], scales[R][2];
        for (int r = 0; r < R; ++r) {
          Codes(w + r * row_bytes + sb * kBytes, chunk, codes[r]);
          for (int i = 0; i < 2; ++i) {
            const int scale = static_cast<int>((sm[r].scales >> (8 * (2 * chunk + i))) & 0xFF);
            scales[r][i] = _mm256_set1_epi16(static_cast<int16_t>(scale));
          }
        }
        for (int t = 0; t < T; ++t) {
          const int8_t* a = x[t].qs + 256 * sb + 64 * chunk;
          const __m256i a0 = Load256(a), a1 = Load256(a + 32);
          for (int r = 0; r < R; ++r) {
            const __m256i lo = _mm256_madd_epi16(_mm256_maddubs_epi16(codes[r][0], a0), scales[r][0]);
            const __m256i hi = _mm256_madd_epi16(_mm256_maddubs_epi16(codes[r][1], a1), scales[r][1]);
            sums[r][t] = _mm256_add_epi32(sums[r][t], _mm256_add_epi32(lo, hi));
          }
        }
      }
      for (int t = 0; t < T; ++t) {
        const __m256i sums16 = Load256(x[t].sums + 16 * sb);
        const __m256i sums32 = _mm256_madd_epi16(sums16, _mm256_set1_epi16(1));
        const __m128i a_sums = _mm_packs_epi32(_mm256_castsi256_si128(sums32), _mm256_extracti128_si256(sums32, 1));
        const float da = x[t].d[sb];
        for (int r = 0; r < R; ++r) {
          const __m256i min_sums = _mm256_zextsi128_si256(_mm_madd_epi16(mins[r], a_sums));
          acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[r][t]), _mm256_set1_ps(d[r] * da), acc[r][t]);
          acc[r][t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(min_sums), _mm256_set1_ps(dmin[r] * da), acc[r][t]);
        }
      }
    }
    StoreSums<R, T>(acc, out, ldo);
  }
};

// Q6_K: codes in [0, 63] with a bias of 32, a signed scale per 16 elements. Quarter k of half h (elements
// 128h + 32k + l) takes its low nibble from ql byte 64h + 32(k mod 2) + l (high nibble for k ≥ 2) and its top two
// bits from bits 2k of qh byte 32h + l. Σ = d·(Σ_s sc_s·(q·a)_s − 32·Σ_s sc_s·(Σ a)_s).
struct Q6_KKernel {
  BALEEN_AVX2 static __m256i Codes(const uint8_t* block, int quarter_index) {
    const int half = quarter_index / 4, quarter = quarter_index % 4;
    const __m256i ql = Load256(block + 64 * half + 32 * (quarter % 2));
    const __m256i qh = Load256(block + 128 + 32 * half);
    const __m256i low = _mm256_and_si256(_mm256_srli_epi16(ql, 4 * (quarter / 2)), _mm256_set1_epi8(0x0F));
    const __m256i high = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * quarter), _mm256_set1_epi8(3));
    return _mm256_or_si256(low, _mm256_slli_epi16(high, 4));
  }

  template <int R, int T>
  BALEEN_AVX2 static void Tile(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n, float* out,
                               int64_t ldo) {
    __m256 acc[R][T] = {};
    for (int64_t sb = 0; sb < n / 256; ++sb) {
      const int8_t* scale_bytes[R];
      __m256i scales[R];
      float d[R];
      for (int r = 0; r < R; ++r) {
        const uint8_t* block = w + r * row_bytes + sb * kQ6_KBytes;
        scale_bytes[r] = reinterpret_cast<const int8_t*>(block + 192);
        scales[r] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 192)));
        d[r] = HalfAt(block + 208);
      }
      __m256i sums[R][T] = {};
      for (int q = 0; q < 8; ++q) {  // 32 elements, two scales, at a time
        __m256i codes[R], q_scales[R];
        for (int r = 0; r < R; ++r) {
          codes[r] = Codes(w + r * row_bytes + sb * kQ6_KBytes, q);
          q_scales[r] = ScalePair(scale_bytes[r][2 * q], scale_bytes[r][2 * q + 1]);
        }
        for (int t = 0; t < T; ++t) {
          const __m256i a = Load256(x[t].qs + 256 * sb + 32 * q);
          for (int r = 0; r < R; ++r) {
            sums[r][t] = _mm256_add_epi32(sums[r][t],
                                          _mm256_madd_epi16(_mm256_maddubs_epi16(codes[r], a), q_scales[r]));
          }
        }
      }
      for (int t = 0; t < T; ++t) {
        const __m256i a_sums = Load256(x[t].sums + 16 * sb);
        const float da = x[t].d[sb];
        for (int r = 0; r < R; ++r) {
          const __m256i bias = _mm256_slli_epi32(_mm256_madd_epi16(scales[r], a_sums), 5);
          const __m256 total = _mm256_cvtepi32_ps(_mm256_sub_epi32(sums[r][t], bias));
          acc[r][t] = _mm256_fmadd_ps(total, _mm256_set1_ps(d[r] * da), acc[r][t]);
        }
      }
    }
    StoreSums<R, T>(acc, out, ldo);
  }
};

}  // namespace

}  // namespace baleen::quant_internal

namespace baleen::kernel_columns {

void AddAvx2Dots(KernelColumn& column) {
  using namespace quant_internal;
  using namespace quant_internal::avx2;
  column.Row(GgmlType::kQ8_0).dot = Make<Q8_0Kernel>(32);
  column.Row(GgmlType::kQ4_0).dot = Make<Q4_0Kernel>(32);
  column.Row(GgmlType::kQ4_1).dot = Make<LegacyKernel<Q4_1Codes>>(32);
  column.Row(GgmlType::kQ5_0).dot = Make<LegacyKernel<Q5_0Codes>>(32);
  column.Row(GgmlType::kQ5_1).dot = Make<LegacyKernel<Q5_1Codes>>(32);
  column.Row(GgmlType::kIQ4_NL).dot = Make<LegacyKernel<IQ4_NLCodes>>(32);
  column.Row(GgmlType::kMXFP4).dot = Make<LegacyKernel<MXFP4Codes>>(32);
  column.Row(GgmlType::kQ4_K).dot = Make<KWithMinsKernel<false>>(256);
  column.Row(GgmlType::kQ5_K).dot = Make<KWithMinsKernel<true>>(256);
  column.Row(GgmlType::kQ6_K).dot = Make<Q6_KKernel>(256);
}

}  // namespace baleen::kernel_columns
