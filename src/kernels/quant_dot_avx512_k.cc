// AVX-512 VNNI integer kernels for the K-quants (Q4_K, Q5_K, Q6_K). A 512-bit vector holds 64 codes; VPMADDUBSW
// multiplies the unsigned codes by the signed activations into 16-bit pair sums and VPDPWSSD multiplies those by
// the sub-block scales and accumulates in 32 bits (AVX2 needs a multiply, an add of pairs and an add for that).
// Rows are unpacked once per super-block and then met by a whole panel of tokens (quant_dot_avx512_panels.h).
#include "kernels/quant_dot_avx512_panels.h"

namespace baleen::quant_internal::avx512 {
namespace {

// (Σ a) over each 32-element sub-block of super-block sb, as eight int16.
BALEEN_VNNI inline __m128i SubBlockSums32(const Q8Row& x, int64_t sb) {
  const __m256i sums16 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.sums + 16 * sb));
  const __m256i sums32 = _mm256_madd_epi16(sums16, _mm256_set1_epi16(1));
  return _mm_packs_epi32(_mm256_castsi256_si128(sums32), _mm256_extracti128_si256(sums32, 1));
}

// Q4_K and Q5_K: Σ = d·Σ_j sc_j·(q·a)_j − dmin·Σ_j m_j·(Σ a)_j over the 32-element sub-blocks j. 64-element chunk
// c holds sub-blocks 2c (low nibbles) and 2c + 1 (high nibbles); Q5_K adds the fifth bit from qh bits 2c, 2c + 1.
// The min term of four pairs is one VPMADDWD: the row's eight m_j repeated in each lane group times each token's
// eight (Σ a)_j in its lane group.
template <bool kFifthBit>
struct KWithMins : Panels<KWithMins<kFifthBit>> {
  static constexpr int kBytes = kFifthBit ? kQ5_KBytes : kQ4_KBytes;

  template <int R>
  struct Rows {
    __m512i codes[R][4], scales[R][4], mins[R];  // mins: the eight m_j as int16, in every lane group
    __m512 d[R], dmin[R];
  };

  BALEEN_VNNI static __m512i Codes(const uint8_t* block, int chunk) {
    const uint8_t* qs = block + (kFifthBit ? 48 : 16) + 32 * chunk;
    const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs));
    const __m256i mask = _mm256_set1_epi8(0x0F);
    __m256i lo = _mm256_and_si256(bytes, mask), hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask);
    if constexpr (kFifthBit) {
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 16));
      const __m256i one = _mm256_set1_epi8(1);
      lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * chunk), one), 4));
      hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * chunk + 1), one), 4));
    }
    return Join(lo, hi);
  }

  template <int R>
  BALEEN_VNNI static void Unpack(const uint8_t* w, uint64_t row_bytes, int64_t sb, Rows<R>& rows) {
    for (int r = 0; r < R; ++r) {
      const uint8_t* block = w + r * row_bytes + sb * kBytes;
      const ScaleMinBytes sm = UnpackScaleMinBytes(block + 4);
      const __m128i scales = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(sm.scales)));
      for (int chunk = 0; chunk < 4; ++chunk) {
        rows.codes[r][chunk] = Codes(block, chunk);
        rows.scales[r][chunk] = SpreadScales(_mm512_castsi128_si512(scales), kSubBlockOf32, chunk);
      }
      rows.mins[r] = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(sm.mins))));
      rows.d[r] = _mm512_set1_ps(HalfAt(block));
      rows.dmin[r] = _mm512_set1_ps(HalfAt(block + 2));
    }
  }

  // (Σ a) over each 32-element sub-block of the T tokens, token g's eight in lane group g.
  template <int T>
  BALEEN_VNNI static __m512i GroupSubBlockSums(const Q8Row* x, int64_t sb) {
    __m512i sums = _mm512_setzero_si512();
    for (int t = 0; t < T; ++t) {
      sums = _mm512_mask_broadcast_i32x4(sums, static_cast<__mmask16>(0xF << (4 * t)), SubBlockSums32(x[t], sb));
    }
    return sums;
  }

  BALEEN_VNNI static float Single(const uint8_t* row, const Q8Row& x, int64_t n) {
    __m128 acc = _mm_setzero_ps();
    for (int64_t sb = 0; sb < n / 256; ++sb) {
      const uint8_t* block = row + sb * kBytes;
      const ScaleMinBytes sm = UnpackScaleMinBytes(block + 4);
      const __m128i scales = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(sm.scales)));
      __m512i sums = _mm512_setzero_si512();
#pragma GCC unroll 4
      for (int chunk = 0; chunk < 4; ++chunk) {
        const __m512i a = _mm512_loadu_si512(x.qs + 256 * sb + 64 * chunk);
        const __m512i pairs = _mm512_maddubs_epi16(Codes(block, chunk), a);
        sums = _mm512_dpwssd_epi32(sums, pairs, SpreadScales(_mm512_castsi128_si512(scales), kSubBlockOf32, chunk));
      }
      const __m128i mins = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(sm.mins)));
      const __m128 min_sums = _mm_cvtepi32_ps(_mm_madd_epi16(mins, SubBlockSums32(x, sb)));
      const __m128 da = _mm_set1_ps(x.d[sb]);
      acc = _mm_fmadd_ps(_mm_cvtepi32_ps(LaneSum(sums)), _mm_mul_ps(_mm_set1_ps(HalfAt(block)), da), acc);
      acc = _mm_fnmadd_ps(min_sums, _mm_mul_ps(_mm_set1_ps(HalfAt(block + 2)), da), acc);
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
    for (int chunk = 0; chunk < 4; ++chunk) {
      for (int t = 0; t < T; ++t) {
        const __m512i a = _mm512_loadu_si512(x[t].qs + 256 * sb + 64 * chunk);
        for (int r = 0; r < R; ++r) {
          const __m512i pairs = _mm512_maddubs_epi16(rows.codes[r][chunk], a);
          sums[r][t] = _mm512_dpwssd_epi32(sums[r][t], pairs, rows.scales[r][chunk]);
        }
      }
    }
    const __m512 da = GroupScales<T>(x, sb);
    const __m512i a_sums = GroupSubBlockSums<T>(x, sb);
    for (int r = 0; r < R; ++r) {
      const __m512 main = _mm512_cvtepi32_ps(LaneGroupSums<T>(sums[r]));
      const __m512 mins = _mm512_cvtepi32_ps(_mm512_madd_epi16(rows.mins[r], a_sums));
      acc[r] = _mm512_fmadd_ps(main, _mm512_mul_ps(rows.d[r], da), acc[r]);
      acc[r] = _mm512_fnmadd_ps(mins, _mm512_mul_ps(rows.dmin[r], da), acc[r]);
    }
  }
};

// Q6_K: codes q in [0, 63] with a bias of 32 and a signed scale per 16 elements;
// Σ = d·(Σ_s sc_s·(q·a)_s − 32·Σ_s sc_s·(Σ a)_s). Vector k holds elements 64k..64k+63, quarters 2(k mod 2) and
// 2(k mod 2) + 1 of half k / 2: their low nibbles are those of the half's 64 ql bytes (the high nibbles for k
// odd), their top bits come from the half's 32 qh bytes shifted by 0 and 2 bits (k even) or 4 and 6 (k odd).
// The bias term starts each pair's sum: −32 · sc_s · (Σ a)_s = (−2 · sc_s) · (16 · (Σ a)_s), both factors within
// int16 (|16 · Σ a| ≤ 32512), so one VPDPWSSD of the row's and the token's 16 values gives it.
struct Q6K : Panels<Q6K> {
  template <int R>
  struct Rows {
    __m512i codes[R][4], scales[R][4], bias_scales[R];
    __m512 d[R];
  };

  BALEEN_VNNI static __m512i Codes(const uint8_t* block, int k) {
    const int half = k / 2;
    const __m512i ql = _mm512_loadu_si512(block + 64 * half);
    const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 128 + 32 * half));
    const __m512i low = _mm512_and_si512(k % 2 == 0 ? ql : _mm512_srli_epi16(ql, 4), _mm512_set1_epi8(0x0F));
    const __m512i shifts = k % 2 == 0 ? Join(_mm256_set1_epi16(0), _mm256_set1_epi16(2))
                                      : Join(_mm256_set1_epi16(4), _mm256_set1_epi16(6));
    const __m512i high = _mm512_and_si512(_mm512_srlv_epi16(Join(qh, qh), shifts), _mm512_set1_epi8(3));
    return _mm512_or_si512(low, _mm512_slli_epi16(high, 4));
  }

  template <int R>
  BALEEN_VNNI static void Unpack(const uint8_t* w, uint64_t row_bytes, int64_t sb, Rows<R>& rows) {
    for (int r = 0; r < R; ++r) {
      const uint8_t* block = w + r * row_bytes + sb * kQ6_KBytes;
      const __m256i scales = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 192)));
      for (int k = 0; k < 4; ++k) {
        rows.codes[r][k] = Codes(block, k);
        rows.scales[r][k] = SpreadScales(_mm512_castsi256_si512(scales), kSubBlockOf16, k);
      }
      const __m256i minus_2_scales = _mm256_sub_epi16(_mm256_setzero_si256(), _mm256_add_epi16(scales, scales));
      rows.bias_scales[r] = _mm512_zextsi256_si512(minus_2_scales);
      rows.d[r] = _mm512_set1_ps(HalfAt(block + 208));
    }
  }

  BALEEN_VNNI static float Single(const uint8_t* row, const Q8Row& x, int64_t n) {
    __m128 acc = _mm_setzero_ps();
    for (int64_t sb = 0; sb < n / 256; ++sb) {
      const uint8_t* block = row + sb * kQ6_KBytes;
      const __m256i scales = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 192)));
      const __m256i minus_2_scales = _mm256_sub_epi16(_mm256_setzero_si256(), _mm256_add_epi16(scales, scales));
      const __m256i a_sums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.sums + 16 * sb));
      __m512i sums = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_zextsi256_si512(minus_2_scales),
                                         _mm512_zextsi256_si512(_mm256_slli_epi16(a_sums, 4)));
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        const __m512i a = _mm512_loadu_si512(x.qs + 256 * sb + 64 * k);
        const __m512i pairs = _mm512_maddubs_epi16(Codes(block, k), a);
        sums = _mm512_dpwssd_epi32(sums, pairs, SpreadScales(_mm512_castsi256_si512(scales), kSubBlockOf16, k));
      }
      const __m128 da = _mm_set1_ps(x.d[sb]);
      acc = _mm_fmadd_ps(_mm_cvtepi32_ps(LaneSum(sums)), _mm_mul_ps(_mm_set1_ps(HalfAt(block + 208)), da), acc);
    }
    return GroupTotal(acc);
  }

  template <int R, int T>
  BALEEN_VNNI static void Accumulate(const Rows<R>& rows, const Q8Row* x, int64_t sb, __m512* acc) {
    __m512i sums[R][T];
    for (int t = 0; t < T; ++t) {
      const __m256i a_sums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[t].sums + 16 * sb));
      const __m512i a_sums_16 = _mm512_zextsi256_si512(_mm256_slli_epi16(a_sums, 4));
      for (int r = 0; r < R; ++r) {
        sums[r][t] = _mm512_dpwssd_epi32(_mm512_setzero_si512(), rows.bias_scales[r], a_sums_16);
      }
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

}  // namespace

}  // namespace baleen::quant_internal::avx512

namespace baleen::kernel_columns {

void AddAvx512VnniKQuantDots(KernelColumn& column) {
  using namespace quant_internal::avx512;
  column.Row(GgmlType::kQ4_K).dot = Make<KWithMins<false>>(256);
  column.Row(GgmlType::kQ5_K).dot = Make<KWithMins<true>>(256);
  column.Row(GgmlType::kQ6_K).dot = Make<Q6K>(256);
}

}  // namespace baleen::kernel_columns
