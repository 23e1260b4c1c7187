// Helpers shared by the AVX2 integer kernels (quant_dot_avx2.cc: 32-element blocks, Q4_K, Q5_K, Q6_K;
// quant_dot_avx2_k.cc: Q2_K, Q3_K, IQ4_XS). Kernels layer, private to those files.
#pragma once

#include "kernels/kernel_table.h"
#include "kernels/quant_dot_internal.h"
#include "kernels/simd.h"  // the intrinsics

// F16C converts the block scales in one instruction (the software conversion was a visible share of the 2 × 2 tiles,
// which convert each block's scales once per tile). Every CPU with AVX2 and FMA has F16C (Haswell, Piledriver on).
#define BALEEN_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace baleen::quant_internal::avx2 {

BALEEN_AVX2 inline float HalfAt(const uint8_t* p) { return _cvtsh_ss(Load16(p)); }

BALEEN_AVX2 inline __m256i Load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// Both 16-bit halves of 32 pair sums: the low 8 lanes scaled by a, the high 8 by b.
BALEEN_AVX2 inline __m256i ScalePair(int a, int b) {
  return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(b)), _mm_set1_epi16(static_cast<int16_t>(a)));
}

// Nibbles of qs[16] in element order: element j < 16 in the low nibble of qs[j], j ≥ 16 in the high one of qs[j − 16].
BALEEN_AVX2 inline __m256i Nibbles(const uint8_t* qs) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i mask = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(bytes, 4), mask), _mm_and_si128(bytes, mask));
}

template <int R, int T>
BALEEN_AVX2 void StoreSums(const __m256 (&acc)[R][T], float* out, int64_t ldo) {
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) out[t * ldo + r] = simd::HorizontalSum(acc[r][t]);
  }
}

// 2 rows × 2 tokens: accumulators, codes, scales and activations fit the 16 vector registers.
constexpr int kRows = 2, kTokens = 2;

template <typename Kernel>
constexpr QuantDotKernel Make(int act_block) {
  return {act_block, RunTiles<Kernel, kRows, kTokens>};
}

}  // namespace baleen::quant_internal::avx2
