// AVX-512 VNNI integer kernels for the 32-element block formats (Q8_0, Q4_0), their column filler, and the
// AVX-512 activation quantizer. 512-bit vectors hold two blocks; VPDPBUSD multiplies unsigned weight codes by
// signed activations and sums groups of four products in 32 bits.
#include "kernels/quant_dot_avx512.h"

#include <cfloat>

namespace baleen::quant_internal {
namespace {

using namespace avx512;

// A float vector whose low eight lanes are a and high eight are b.
BALEEN_VNNI inline __m512 Halves(float a, float b) {
  return _mm512_mask_mov_ps(_mm512_set1_ps(a), 0xFF00, _mm512_set1_ps(b));
}

// ---- Two 32-element blocks per vector: Q8_0 and Q4_0 --------------------------------------------------------
// VPDPBUSD wants unsigned × signed. Weight codes are made unsigned by an offset (Q8_0: q + 128; Q4_0's nibbles
// already are, with the offset 8 in the format), and the offset's share, offset · Σ a, is subtracted lane by lane:
// the accumulator starts at −offset · (Σ of each lane's four activations), itself one VPDPBUSD.

struct Q8_0Pairs {
  static constexpr int kBytes = kQ8_0Bytes;
  static constexpr int kOffset = 128;
  // Codes of blocks b and b + 1 (zero when second is false) as unsigned bytes.
  BALEEN_VNNI static __m512i Codes(const uint8_t* block, bool second) {
    const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
    const __m256i q1 = second ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + kBytes + 2))
                              : _mm256_setzero_si256();  // any value: the activations there are zero
    return _mm512_xor_si512(Join(q0, q1), _mm512_set1_epi8(-128));
  }
};

struct Q4_0Pairs {
  static constexpr int kBytes = kQ4_0Bytes;
  static constexpr int kOffset = 8;
  BALEEN_VNNI static __m512i Codes(const uint8_t* block, bool second) {
    const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
    const __m128i q1 = second ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + kBytes + 2))
                              : _mm_setzero_si128();
    const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
    const __m256i mask = _mm256_set1_epi8(0x0F);
    const __m256i lo = _mm256_and_si256(both, mask), hi = _mm256_and_si256(_mm256_srli_epi16(both, 4), mask);
    // [lo0 lo1 hi0 hi1] in 128-bit lanes -> [lo0 hi0 lo1 hi1]: elements 0-31 of each block in order.
    return _mm512_shuffle_i64x2(Join(lo, hi), Join(lo, hi), _MM_SHUFFLE(3, 1, 2, 0));
  }
};

template <typename Format>
struct PairKernel {
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
      __m512 dw[R];
      for (int r = 0; r < R; ++r) {
        const uint8_t* block = w + r * row_bytes + b * Format::kBytes;
        codes[r] = Format::Codes(block, second);
        dw[r] = Halves(HalfAt(block), second ? HalfAt(block + Format::kBytes) : 0.0f);
      }
      for (int t = 0; t < T; ++t) {
        const __m512i a = _mm512_maskz_loadu_epi8(lanes, x[t].qs + 32 * b);
        const __m512i init = _mm512_sub_epi32(_mm512_setzero_si512(),
                                              _mm512_dpbusd_epi32(_mm512_setzero_si512(), offset, a));
        const __m512 da = Halves(x[t].d[b], second ? x[t].d[b + 1] : 0.0f);
        for (int r = 0; r < R; ++r) {
          const __m512 sums = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(init, codes[r], a));
          acc[r][t] = _mm512_fmadd_ps(sums, _mm512_mul_ps(dw[r], da), acc[r][t]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) out[t * ldo + r] = _mm512_reduce_add_ps(acc[r][t]);
    }
  }
};

}  // namespace

// Same as QuantizeActivationRowReference, 16 elements at a time: the same products x · (127 / amax), rounded to
// nearest-even by VCVTPS2DQ under the default rounding mode, so the codes are bit-identical.
__attribute__((target("avx512f"))) void QuantizeRowAvx512(const float* x, int64_t n, int block, int8_t* qs,
                                                          float* d, int16_t* sums) {
  for (int64_t b = 0; b < n / block; ++b) {
    const float* xb = x + b * block;
    __m512 vmax = _mm512_setzero_ps();
    for (int i = 0; i < block; i += 16) vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_loadu_ps(xb + i)));
    const float amax = _mm512_reduce_max_ps(vmax);
    float inverse = amax > 0.0f ? 127.0f / amax : 0.0f;
    if (!(inverse <= FLT_MAX)) inverse = 0.0f;
    d[b] = inverse == 0.0f ? 0.0f : amax / 127.0f;
    const __m512 scale = _mm512_set1_ps(inverse);
    for (int i = 0; i < block; i += 16) {
      const __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xb + i), scale));
      const __m128i codes = _mm512_cvtsepi32_epi8(q);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + b * block + i), codes);
      // Summed from the saturated codes: a NaN or infinite input converts to INT_MIN, and sixteen of those would
      // overflow an int.
      sums[(b * block + i) / 16] = static_cast<int16_t>(_mm512_reduce_add_epi32(_mm512_cvtepi8_epi32(codes)));
    }
  }
}

}  // namespace baleen::quant_internal

namespace baleen::kernel_columns {

void AddAvx512VnniDots(KernelColumn& column) {
  using namespace quant_internal;
  using namespace quant_internal::avx512;
  column.Row(GgmlType::kQ8_0).dot = Make<PairKernel<Q8_0Pairs>>(32);
  column.Row(GgmlType::kQ4_0).dot = Make<PairKernel<Q4_0Pairs>>(32);
}

}  // namespace baleen::kernel_columns
