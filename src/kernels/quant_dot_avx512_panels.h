// The K-quant panel machinery of the AVX-512 VNNI integer kernels: sub-block scales spread over pair sums, four
// tokens' sums in the four 128-bit lanes of one vector, and Panels, which unpacks each super-block of a few rows
// once and meets it with up to 64 tokens. Kernels layer, private to quant_dot_avx512_k.cc (Q4_K, Q5_K, Q6_K) and
// quant_dot_avx512_k2.cc (Q2_K, Q3_K, IQ4_XS).
#pragma once

#include <algorithm>

#include "kernels/quant_dot_avx512.h"

namespace baleen::quant_internal::avx512 {

// Permutation indices that broadcast sub-block scales (int16 lanes of a vector) over the 32 pair sums of 64 codes:
// vector v of a super-block gives pair sum i the scale in lane per_vector · v + i / group.
struct ScaleIndex {
  alignas(64) int16_t lanes[4][32];
};

constexpr ScaleIndex MakeScaleIndex(int per_vector, int group) {
  ScaleIndex index{};
  for (int v = 0; v < 4; ++v) {
    for (int i = 0; i < 32; ++i) index.lanes[v][i] = static_cast<int16_t>(per_vector * v + i / group);
  }
  return index;
}

// Q4_K, Q5_K, IQ4_XS: two 32-element sub-blocks per vector; Q2_K, Q3_K, Q6_K: four 16-element sub-blocks.
inline constexpr ScaleIndex kSubBlockOf32 = MakeScaleIndex(2, 16);
inline constexpr ScaleIndex kSubBlockOf16 = MakeScaleIndex(4, 8);

BALEEN_VNNI inline __m512i SpreadScales(__m512i scales, const ScaleIndex& index, int v) {
  return _mm512_permutexvar_epi16(_mm512_load_si512(index.lanes[v]), scales);
}

// Up to four tokens share one accumulator vector per row: token g of the group owns 128-bit lane g. A super-block's
// 32-bit sums of a pair (16 lanes) are first added lane-group-wise into those four lanes, exactly, in integers, so
// the float work per super-block is done for four pairs at once.

// [p0 + p1, p2 + p3, q0 + q1, q2 + q3] of the 128-bit lanes of p and q.
BALEEN_VNNI inline __m512i AddLanePairs(__m512i p, __m512i q) {
  return _mm512_add_epi32(_mm512_shuffle_i32x4(p, q, _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_i32x4(p, q, _MM_SHUFFLE(3, 1, 3, 1)));
}

// The sums of the 128-bit lanes of a, b, c and e, as the four 128-bit lanes of one vector.
BALEEN_VNNI inline __m512i LaneGroupSums(__m512i a, __m512i b, __m512i c, __m512i e) {
  return AddLanePairs(AddLanePairs(a, b), AddLanePairs(c, e));
}

// One pair alone: the same integers as its lane group in LaneGroupSums.
BALEEN_VNNI inline __m128i LaneSum(__m512i a) {
  const __m256i halves = _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
  return _mm_add_epi32(_mm256_castsi256_si128(halves), _mm256_extracti128_si256(halves, 1));
}

template <int T>
BALEEN_VNNI inline __m512i LaneGroupSums(const __m512i (&sums)[T]) {
  const __m512i zero = _mm512_setzero_si512();
  if constexpr (T == 1) return LaneGroupSums(sums[0], zero, zero, zero);
  if constexpr (T == 4) return LaneGroupSums(sums[0], sums[1], sums[2], sums[3]);
}

// The tokens' activation scales, d of token g in lane group g (zero for absent tokens).
template <int T>
BALEEN_VNNI inline __m512 GroupScales(const Q8Row* x, int64_t sb) {
  alignas(16) float d[4] = {};
  for (int t = 0; t < T; ++t) d[t] = x[t].d[sb];
  const __m512i index = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  return _mm512_permutexvar_ps(index, _mm512_castps128_ps512(_mm_load_ps(d)));
}

// The pair's result from its lane group: (l0 + l1) + (l2 + l3), the same order for every pair.
inline float GroupTotal(const float* lanes) { return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]); }

BALEEN_VNNI inline float GroupTotal(__m128 group) {
  alignas(16) float lanes[4];
  _mm_store_ps(lanes, group);
  return GroupTotal(lanes);
}

// R rows × n_tokens tokens, for a Kernel with Rows<R> (one super-block of R rows, unpacked), Unpack,
// Accumulate<R, T> (adds one super-block of R rows × a group of T = 4 or 1 tokens to the group's R accumulators)
// and Single (one row · one token, the lane-group-0 computation in 128-bit registers, for decoding).
// Each super-block of the rows is unpacked once and met by up to 64 tokens, four at a time, then one at a time;
// the accumulators stay in L1 between super-blocks. Every pair goes through the same operations in its lane group,
// whatever R and the token count are.
template <typename Kernel>
struct Panels {
  static constexpr bool kPanels = true;
  static constexpr int64_t kMaxTokens = 64;

  template <int R, int kT>
  BALEEN_VNNI static void Panel(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n_tokens, int64_t n,
                                float* out, int64_t ldo) {
    static_assert(kT == 4, "token groups are four 128-bit lanes");
    if (R == 1 && n_tokens < kT) {  // decode: one row streamed from memory, everything in registers
      for (int64_t t = 0; t < n_tokens; ++t) out[t * ldo] = Kernel::Single(w, x[t], n);
      return;
    }
    for (int64_t t0 = 0; t0 < n_tokens; t0 += kMaxTokens) {
      const int64_t nt = std::min(kMaxTokens, n_tokens - t0), n_groups = nt / 4 + nt % 4;
      __m512 acc[kMaxTokens * R];  // [group][row]
      for (int64_t i = 0; i < n_groups * R; ++i) acc[i] = _mm512_setzero_ps();
      typename Kernel::template Rows<R> rows;
      for (int64_t sb = 0; sb < n / 256; ++sb) {
        Kernel::Unpack(w, row_bytes, sb, rows);
        int64_t t = 0, g = 0;
        for (; t + 4 <= nt; t += 4, ++g) Kernel::template Accumulate<R, 4>(rows, x + t0 + t, sb, acc + g * R);
        for (; t < nt; ++t, ++g) Kernel::template Accumulate<R, 1>(rows, x + t0 + t, sb, acc + g * R);
      }
      for (int64_t t = 0, g = 0; t < nt; ++g) {
        const int64_t group_size = t + 4 <= nt ? 4 : 1;
        for (int r = 0; r < R; ++r) {
          alignas(64) float lanes[16];
          _mm512_store_ps(lanes, acc[g * R + r]);
          for (int64_t j = 0; j < group_size; ++j) out[(t0 + t + j) * ldo + r] = GroupTotal(lanes + 4 * j);
        }
        t += group_size;
      }
    }
  }
};

}  // namespace baleen::quant_internal::avx512
