// AVX-512 VNNI integer kernels for the low-bit 256-element formats Q2_K, Q3_K and IQ4_XS, and their column filler.
// As for Q4_K..Q6_K (quant_dot_avx512_k.cc): a 512-bit vector holds 64 codes, VPMADDUBSW multiplies them by the
// activations into 16-bit pair sums, VPDPWSSD multiplies those by the sub-block scales and accumulates in 32 bits,
// and Panels (quant_dot_avx512_panels.h) meets each unpacked super-block with a whole panel of tokens.
#include <cstring>

#include "formats/quants/iq_grids.h"  // kIq4NlValues
#include "kernels/quant_dot_avx512_panels.h"

namespace baleen::quant_internal::avx512 {
namespace {

// The 2-bit fields of 64 elements (vector k of a super-block: elements 64k..64k+63) of Q2_K's and Q3_K's qs[64]:
// quarter Q (elements 32Q..32Q+31) sits in bits 2(Q mod 4) of qs bytes 32(Q / 4)..+31, and vector k holds quarters
// 2k and 2k + 1, so both halves read the same 32 bytes, shifted by 4(k mod 2) and 4(k mod 2) + 2.
BALEEN_VNNI inline __m512i TwoBitCodes(const uint8_t* qs, int k) {
  const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * (k / 2)));
  const int shift = 4 * (k % 2);
  const __m512i shifts =
      Join(_mm256_set1_epi16(static_cast<int16_t>(shift)), _mm256_set1_epi16(static_cast<int16_t>(shift + 2)));
  return _mm512_and_si512(_mm512_srlv_epi16(Join(bytes, bytes), shifts), _mm512_set1_epi8(3));
}

BALEEN_VNNI inline __m256i LoadSums16(const Q8Row& x, int64_t sb) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.sums + 16 * sb));
}

// Q2_K: x = d·sc_s·q − dmin·m_s per 16-element sub-block s, q in [0, 3], sc_s and m_s the low and high nibbles of
// scales[s]. Σ = d·Σ_s sc_s·(q·a)_s − dmin·Σ_s m_s·(Σ a)_s. The min term is a VPMADDWD of the sixteen m_s (in both
// 256-bit halves) with two tokens' sixteen (Σ a)_s side by side: eight 32-bit sums per token over two lane groups,
// which AddLanePairs folds into the token's own lane group, as Single folds its eight.
struct Q2K : Panels<Q2K> {
  template <int R>
  struct Rows {
    __m512i codes[R][4], scales[R][4], mins[R];
    __m512 d[R], dmin[R];
  };

  // The sixteen scales and mins as int16.
  BALEEN_VNNI static void ScalesAndMins(const uint8_t* block, __m256i& scales, __m256i& mins) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block));
    const __m128i nibble = _mm_set1_epi8(0x0F);
    scales = _mm256_cvtepu8_epi16(_mm_and_si128(packed, nibble));
    mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), nibble));
  }

  template <int R>
  BALEEN_VNNI static void Unpack(const uint8_t* w, uint64_t row_bytes, int64_t sb, Rows<R>& rows) {
    for (int r = 0; r < R; ++r) {
      const uint8_t* block = w + r * row_bytes + sb * kQ2_KBytes;
      __m256i scales, mins;
      ScalesAndMins(block, scales, mins);
      for (int k = 0; k < 4; ++k) {
        rows.codes[r][k] = TwoBitCodes(block + 16, k);
        rows.scales[r][k] = SpreadScales(_mm512_castsi256_si512(scales), kSubBlockOf16, k);
      }
      rows.mins[r] = Join(mins, mins);
      rows.d[r] = _mm512_set1_ps(HalfAt(block + 80));
      rows.dmin[r] = _mm512_set1_ps(HalfAt(block + 82));
    }
  }

  BALEEN_VNNI static float Single(const uint8_t* row, const Q8Row& x, int64_t n) {
    __m128 acc = _mm_setzero_ps();
    for (int64_t sb = 0; sb < n / 256; ++sb) {
      const uint8_t* block = row + sb * kQ2_KBytes;
      __m256i scales, mins;
      ScalesAndMins(block, scales, mins);
      __m512i sums = _mm512_setzero_si512();
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        const __m512i a = _mm512_loadu_si512(x.qs + 256 * sb + 64 * k);
        const __m512i pairs = _mm512_maddubs_epi16(TwoBitCodes(block + 16, k), a);
        sums = _mm512_dpwssd_epi32(sums, pairs, SpreadScales(_mm512_castsi256_si512(scales), kSubBlockOf16, k));
      }
      const __m256i min_sums8 = _mm256_madd_epi16(mins, LoadSums16(x, sb));
      const __m128i min_sums = _mm_add_epi32(_mm256_castsi256_si128(min_sums8), _mm256_extracti128_si256(min_sums8, 1));
      const __m128 da = _mm_set1_ps(x.d[sb]);
      acc = _mm_fmadd_ps(_mm_cvtepi32_ps(LaneSum(sums)), _mm_mul_ps(_mm_set1_ps(HalfAt(block + 80)), da), acc);
      acc = _mm_fnmadd_ps(_mm_cvtepi32_ps(min_sums), _mm_mul_ps(_mm_set1_ps(HalfAt(block + 82)), da), acc);
    }
    return GroupTotal(acc);
  }

  template <int R, int T>
  BALEEN_VNNI static void Accumulate(const Rows<R>& rows, const Q8Row* x, int64_t sb, __m512* acc) {
    __m512i sums[R][T];
    for (auto& row : sums) {
      for (auto& s : row) s = _mm512_setzero_si512();
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
      for (int t = 0; t < T; ++t) {
        const __m512i a = _mm512_loadu_si512(x[t].qs + 256 * sb + 64 * k);
        for (int r = 0; r < R; ++r) {
          const __m512i pairs = _mm512_maddubs_epi16(rows.codes[r][k], a);
          sums[r][t] = _mm512_dpwssd_epi32(sums[r][t], pairs, rows.scales[r][k]);
        }
      }
    }
    // Tokens 0 and 1 side by side, then 2 and 3 (zero where absent).
    __m512i a_sums[2];
    if constexpr (T == 4) {
      a_sums[0] = Join(LoadSums16(x[0], sb), LoadSums16(x[1], sb));
      a_sums[1] = Join(LoadSums16(x[2], sb), LoadSums16(x[3], sb));
    } else {
      a_sums[0] = _mm512_zextsi256_si512(LoadSums16(x[0], sb));
      a_sums[1] = _mm512_setzero_si512();
    }
    const __m512 da = GroupScales<T>(x, sb);
    for (int r = 0; r < R; ++r) {
      const __m512 main = _mm512_cvtepi32_ps(LaneGroupSums<T>(sums[r]));
      const __m512i min_sums =
          AddLanePairs(_mm512_madd_epi16(rows.mins[r], a_sums[0]), _mm512_madd_epi16(rows.mins[r], a_sums[1]));
      acc[r] = _mm512_fmadd_ps(main, _mm512_mul_ps(rows.d[r], da), acc[r]);
      acc[r] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(min_sums), _mm512_mul_ps(rows.dmin[r], da), acc[r]);
    }
  }
};

// Q3_K's sixteen signed scales (6-bit codes minus 32) as int16. Scale j keeps its low four bits in nibble j / 8 of
// byte j mod 8 and its top two at bits 2(j / 4) of byte 8 + j mod 4, so each group of four scales is one masked
// shift of the little-endian words u0 (bytes 0-3), u1 (4-7) and u2 (8-11).
BALEEN_VNNI inline __m256i Q3Scales(const uint8_t* packed) {
  uint32_t u[3];
  std::memcpy(u, packed, 12);
  const __m128i words = _mm_setr_epi32(static_cast<int>(u[0]), static_cast<int>(u[1]), static_cast<int>(u[0] >> 4),
                                       static_cast<int>(u[1] >> 4));
  const __m128i tops = _mm_srlv_epi32(_mm_set1_epi32(static_cast<int>(u[2])), _mm_setr_epi32(0, 2, 4, 6));
  const __m128i codes =
      _mm_or_si128(_mm_and_si128(words, _mm_set1_epi8(0x0F)), _mm_slli_epi32(_mm_and_si128(tops, _mm_set1_epi8(3)), 4));
  return _mm256_cvtepi8_epi16(_mm_sub_epi8(codes, _mm_set1_epi8(32)));
}

// Q3_K: x = d·sc_s·(u − 4) per 16-element sub-block s, u = (two low bits, as Q2_K's) + 4·(hmask bit) in [0, 7], the
// hmask bit of quarter Q at bit Q of hmask bytes 0..31. Σ = d·(Σ_s sc_s·(u·a)_s − 4·Σ_s sc_s·(Σ a)_s); the bias
// term starts each pair's sum as one VPDPWSSD of the row's −4·sc_s (within ±128) and the token's (Σ a)_s.
struct Q3K : Panels<Q3K> {
  template <int R>
  struct Rows {
    __m512i codes[R][4], scales[R][4], bias_scales[R];
    __m512 d[R];
  };

  BALEEN_VNNI static __m512i Codes(const uint8_t* block, int k) {
    const __m256i hmask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block));
    const __m512i shifts =
        Join(_mm256_set1_epi16(static_cast<int16_t>(2 * k)), _mm256_set1_epi16(static_cast<int16_t>(2 * k + 1)));
    const __m512i high = _mm512_and_si512(_mm512_srlv_epi16(Join(hmask, hmask), shifts), _mm512_set1_epi8(1));
    return _mm512_or_si512(TwoBitCodes(block + 32, k), _mm512_slli_epi16(high, 2));
  }

  BALEEN_VNNI static __m256i BiasScales(__m256i scales) {
    return _mm256_sub_epi16(_mm256_setzero_si256(), _mm256_slli_epi16(scales, 2));
  }

  template <int R>
  BALEEN_VNNI static void Unpack(const uint8_t* w, uint64_t row_bytes, int64_t sb, Rows<R>& rows) {
    for (int r = 0; r < R; ++r) {
      const uint8_t* block = w + r * row_bytes + sb * kQ3_KBytes;
      const __m256i scales = Q3Scales(block + 96);
      for (int k = 0; k < 4; ++k) {
        rows.codes[r][k] = Codes(block, k);
        rows.scales[r][k] = SpreadScales(_mm512_castsi256_si512(scales), kSubBlockOf16, k);
      }
      rows.bias_scales[r] = _mm512_zextsi256_si512(BiasScales(scales));
      rows.d[r] = _mm512_set1_ps(HalfAt(block + 108));
    }
  }

  BALEEN_VNNI static float Single(const uint8_t* row, const Q8Row& x, int64_t n) {
    __m128 acc = _mm_setzero_ps();
    for (int64_t sb = 0; sb < n / 256; ++sb) {
      const uint8_t* block = row + sb * kQ3_KBytes;
      const __m256i scales = Q3Scales(block + 96);
      __m512i sums = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_zextsi256_si512(BiasScales(scales)),
                                         _mm512_zextsi256_si512(LoadSums16(x, sb)));
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        const __m512i a = _mm512_loadu_si512(x.qs + 256 * sb + 64 * k);
        const __m512i pairs = _mm512_maddubs_epi16(Codes(block, k), a);
        sums = _mm512_dpwssd_epi32(sums, pairs, SpreadScales(_mm512_castsi256_si512(scales), kSubBlockOf16, k));
      }
      const __m128 da = _mm_set1_ps(x.d[sb]);
      acc = _mm_fmadd_ps(_mm_cvtepi32_ps(LaneSum(sums)), _mm_mul_ps(_mm_set1_ps(HalfAt(block + 108)), da), acc);
    }
    return GroupTotal(acc);
  }

  template <int R, int T>
  BALEEN_VNNI static void Accumulate(const Rows<R>& rows, const Q8Row* x, int64_t sb, __m512* acc) {
    __m512i sums[R][T];
    for (int t = 0; t < T; ++t) {
      const __m512i a_sums = _mm512_zextsi256_si512(LoadSums16(x[t], sb));
      for (int r = 0; r < R; ++r) sums[r][t] = _mm512_dpwssd_epi32(_mm512_setzero_si512(), rows.bias_scales[r], a_sums);
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
      for (int t = 0; t < T; ++t) {
        const __m512i a = _mm512_loadu_si512(x[t].qs + 256 * sb + 64 * k);
        for (int r = 0; r < R; ++r) {
          const __m512i pairs = _mm512_maddubs_epi16(rows.codes[r][k], a);
          sums[r][t] = _mm512_dpwssd_epi32(sums[r][t], pairs, rows.scales[r][k]);
        }
      }
    }
    const __m512 da = GroupScales<T>(x, sb);
    for (int r = 0; r < R; ++r) {
      const __m512 total = _mm512_cvtepi32_ps(LaneGroupSums<T>(sums[r]));
      acc[r] = _mm512_fmadd_ps(total, _mm512_mul_ps(rows.d[r], da), acc[r]);
    }
  }
};

// IQ4_XS: x = d·s_g·kIq4NlValues[q] per 32-element group g, s_g a 6-bit code minus 32 (low four bits: nibble g of
// the little-endian u32 at byte 4; top two: bits 2g of the u16 at byte 2). Vector k holds groups 2k and 2k + 1,
// whose 32 code bytes (at 8 + 32k) are packed as two Q4_0 blocks'. The table values are signed and reach −127, too
// wide for VPMADDUBSW with an offset, so the rows keep |v| and the sign as a mask, and each activation vector is
// negated under that mask before VPMADDUBSW (|pair sum| ≤ 2 · 127 · 128).
struct IQ4XS : Panels<IQ4XS> {
  template <int R>
  struct Rows {
    __m512i magnitudes[R][4], scales[R][4];
    __mmask64 negative[R][4];
    __m512 d[R];
  };

  BALEEN_VNNI static void Codes(const uint8_t* block, int k, __m512i& magnitudes, __mmask64& negative) {
    const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 8 + 32 * k));
    const __m256i mask = _mm256_set1_epi8(0x0F);
    const __m512i both = Join(_mm256_and_si256(bytes, mask), _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask));
    // [low 2k, low 2k+1, high 2k, high 2k+1] in 128-bit lanes -> [low 2k, high 2k, low 2k+1, high 2k+1].
    const __m512i nibbles = _mm512_shuffle_i64x2(both, both, _MM_SHUFFLE(3, 1, 2, 0));
    const __m512i table =
        _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(quants::kIq4NlValues)));
    const __m512i values = _mm512_shuffle_epi8(table, nibbles);
    magnitudes = _mm512_abs_epi8(values);
    negative = _mm512_movepi8_mask(values);
  }

  // The eight group scales as int16.
  BALEEN_VNNI static __m128i Scales(const uint8_t* block) {
    uint32_t low;
    std::memcpy(&low, block + 4, 4);
    const __m256i lows =
        _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(low)), _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28));
    const __m256i highs =
        _mm256_srlv_epi32(_mm256_set1_epi32(Load16(block + 2)), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14));
    const __m256i codes = _mm256_or_si256(_mm256_and_si256(lows, _mm256_set1_epi32(0xF)),
                                          _mm256_slli_epi32(_mm256_and_si256(highs, _mm256_set1_epi32(3)), 4));
    return _mm256_cvtepi32_epi16(_mm256_sub_epi32(codes, _mm256_set1_epi32(32)));
  }

  BALEEN_VNNI static __m512i SignedPairs(__m512i magnitudes, __mmask64 negative, __m512i a) {
    return _mm512_maddubs_epi16(magnitudes, _mm512_mask_sub_epi8(a, negative, _mm512_setzero_si512(), a));
  }

  template <int R>
  BALEEN_VNNI static void Unpack(const uint8_t* w, uint64_t row_bytes, int64_t sb, Rows<R>& rows) {
    for (int r = 0; r < R; ++r) {
      const uint8_t* block = w + r * row_bytes + sb * kIQ4_XSBytes;
      const __m512i scales = _mm512_castsi128_si512(Scales(block));
      for (int k = 0; k < 4; ++k) {
        Codes(block, k, rows.magnitudes[r][k], rows.negative[r][k]);
        rows.scales[r][k] = SpreadScales(scales, kSubBlockOf32, k);
      }
      rows.d[r] = _mm512_set1_ps(HalfAt(block));
    }
  }

  BALEEN_VNNI static float Single(const uint8_t* row, const Q8Row& x, int64_t n) {
    __m128 acc = _mm_setzero_ps();
    for (int64_t sb = 0; sb < n / 256; ++sb) {
      const uint8_t* block = row + sb * kIQ4_XSBytes;
      const __m512i scales = _mm512_castsi128_si512(Scales(block));
      __m512i sums = _mm512_setzero_si512();
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        __m512i magnitudes;
        __mmask64 negative;
        Codes(block, k, magnitudes, negative);
        const __m512i a = _mm512_loadu_si512(x.qs + 256 * sb + 64 * k);
        sums = _mm512_dpwssd_epi32(sums, SignedPairs(magnitudes, negative, a), SpreadScales(scales, kSubBlockOf32, k));
      }
      const __m128 da = _mm_set1_ps(x.d[sb]);
      acc = _mm_fmadd_ps(_mm_cvtepi32_ps(LaneSum(sums)), _mm_mul_ps(_mm_set1_ps(HalfAt(block)), da), acc);
    }
    return GroupTotal(acc);
  }

  template <int R, int T>
  BALEEN_VNNI static void Accumulate(const Rows<R>& rows, const Q8Row* x, int64_t sb, __m512* acc) {
    __m512i sums[R][T];
    for (auto& row : sums) {
      for (auto& s : row) s = _mm512_setzero_si512();
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
      for (int t = 0; t < T; ++t) {
        const __m512i a = _mm512_loadu_si512(x[t].qs + 256 * sb + 64 * k);
        for (int r = 0; r < R; ++r) {
          const __m512i pairs = SignedPairs(rows.magnitudes[r][k], rows.negative[r][k], a);
          sums[r][t] = _mm512_dpwssd_epi32(sums[r][t], pairs, rows.scales[r][k]);
        }
      }
    }
    const __m512 da = GroupScales<T>(x, sb);
    for (int r = 0; r < R; ++r) {
      const __m512 total = _mm512_cvtepi32_ps(LaneGroupSums<T>(sums[r]));
      acc[r] = _mm512_fmadd_ps(total, _mm512_mul_ps(rows.d[r], da), acc[r]);
    }
  }
};

}  // namespace
}  // namespace baleen::quant_internal::avx512

namespace baleen::kernel_columns {

void AddAvx512VnniKQuantDots2(KernelColumn& column) {
  using namespace quant_internal::avx512;
  column.Row(GgmlType::kQ2_K).dot = Make<Q2K>(256);
  column.Row(GgmlType::kQ3_K).dot = Make<Q3K>(256);
  column.Row(GgmlType::kIQ4_XS).dot = Make<IQ4XS>(256);
}

}  // namespace baleen::kernel_columns
