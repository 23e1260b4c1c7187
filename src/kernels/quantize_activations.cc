// The per-level activation quantizers of QuantizeActivations (quant_dot.h): one token's row in blocks of 32 or 256,
// bit-identical with QuantizeActivationRowReference. Kernels layer. Each computes the same products x · (127 / amax)
// and rounds them to nearest-even with VCVTPS2DQ under the default rounding mode, as the reference's nearbyint does,
// so the codes are the same bits; NaN and infinite inputs give −128 in both (VCVTPS2DQ's "integer indefinite",
// saturated to 8 bits). The running maximum is MAXPS(|x|, max), which keeps max when |x| is NaN, as the reference's
// std::max(amax, |x|) skips a NaN.
#include <cfloat>

#include "kernels/quant_dot_internal.h"
#include "kernels/simd.h"

namespace baleen::quant_internal {
namespace {

// The block's 127 / amax and d, as the reference computes them (0 for an all-zero or denormal-tiny block).
struct BlockScale {
  float inverse;
  float d;
};

BlockScale ScaleFor(float amax) {
  float inverse = amax > 0.0f ? 127.0f / amax : 0.0f;
  if (!(inverse <= FLT_MAX)) inverse = 0.0f;
  return {inverse, inverse == 0.0f ? 0.0f : amax / 127.0f};
}

}  // namespace

__attribute__((target("avx512f"))) void QuantizeRowAvx512(const float* x, int64_t n, int block, int8_t* qs,
                                                          float* d, int16_t* sums) {
  for (int64_t b = 0; b < n / block; ++b) {
    const float* xb = x + b * block;
    __m512 vmax = _mm512_setzero_ps();
    for (int i = 0; i < block; i += 16) vmax = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xb + i)), vmax);
    const BlockScale scale = ScaleFor(_mm512_reduce_max_ps(vmax));
    d[b] = scale.d;
    const __m512 inverse = _mm512_set1_ps(scale.inverse);
    for (int i = 0; i < block; i += 16) {
      const __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xb + i), inverse));
      const __m128i codes = _mm512_cvtsepi32_epi8(q);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + b * block + i), codes);
      // Summed from the saturated codes: a NaN or infinite input converts to INT_MIN, and sixteen of those would
      // overflow an int.
      sums[(b * block + i) / 16] = static_cast<int16_t>(_mm512_reduce_add_epi32(_mm512_cvtepi8_epi32(codes)));
    }
  }
}

// Eight lanes at a time. The 32-bit codes narrow with signed saturation (VPACKSSDW, then VPACKSSWB), which packs the
// two 128-bit lanes apart; a final dword permutation puts the 16 bytes back in element order.
__attribute__((target("avx2,fma"))) void QuantizeRowAvx2(const float* x, int64_t n, int block, int8_t* qs, float* d,
                                                         int16_t* sums) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < n / block; ++b) {
    const float* xb = x + b * block;
    __m256 vmax = _mm256_setzero_ps();
    for (int i = 0; i < block; i += 8) vmax = _mm256_max_ps(_mm256_andnot_ps(sign_bit, _mm256_loadu_ps(xb + i)), vmax);
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, vmax);
    float amax = 0.0f;
    for (float lane : lanes) amax = amax < lane ? lane : amax;
    const BlockScale scale = ScaleFor(amax);
    d[b] = scale.d;
    const __m256 inverse = _mm256_set1_ps(scale.inverse);
    for (int i = 0; i < block; i += 16) {
      const __m256i q0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xb + i), inverse));
      const __m256i q1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xb + i + 8), inverse));
      const __m256i words = _mm256_packs_epi32(q0, q1);  // [q0 0-3, q1 0-3 | q0 4-7, q1 4-7]
      const __m256i bytes = _mm256_packs_epi16(words, words);
      const __m128i codes =
          _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 0, 0, 0, 0)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + b * block + i), codes);
      const __m256i wide = _mm256_cvtepi8_epi16(codes);
      const __m256i pairs = _mm256_madd_epi16(wide, _mm256_set1_epi16(1));
      alignas(32) int32_t partial[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(partial), pairs);
      int sum = 0;
      for (int32_t p : partial) sum += p;
      sums[(b * block + i) / 16] = static_cast<int16_t>(sum);
    }
  }
}

}  // namespace baleen::quant_internal
