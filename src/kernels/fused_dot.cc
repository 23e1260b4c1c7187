// AVX-512 and AVX2 fused decode-and-dot kernels, chosen once at start-up from the CPU's features. Weights are
// decoded with the reference's operations in its order (d·q; (d·sc)·q − dmin·m), so only the summation order
// differs from the tile path.
#include "kernels/fused_dot.h"

#include <cstring>

#include "base/float16.h"
#include "formats/quants/quants_k_blocks.h"
#include "kernels/cpu_features.h"
#include "kernels/simd.h"

namespace baleen {
namespace {

float ScaleOf(const uint8_t* p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return Fp16ToFloat(bits);
}

// Q8_0: 34-byte blocks of an f16 scale d and 32 int8 codes; w = d·q.
__attribute__((target("avx512f")))
float DotQ8_0Avx512(const uint8_t* row, const float* x, int64_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  for (int64_t b = 0; b < n / 32; ++b, row += 34, x += 32) {
    const __m512 d = _mm512_set1_ps(ScaleOf(row));
    const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2));
    const __m128i q1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 18));
    const __m512 w0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q0)), d);
    const __m512 w1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q1)), d);
    acc0 = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x), acc0);
    acc1 = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + 16), acc1);
  }
  return simd::HorizontalSum(_mm512_add_ps(acc0, acc1));
}

__attribute__((target("avx2,fma")))
float DotQ8_0Avx2(const uint8_t* row, const float* x, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / 32; ++b, row += 34, x += 32) {
    const __m256 d = _mm256_set1_ps(ScaleOf(row));
    for (int k = 0; k < 4; k += 2) {
      const __m128i qa = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + 2 + 8 * k));
      const __m128i qb = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + 2 + 8 * (k + 1)));
      const __m256 wa = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(qa)), d);
      const __m256 wb = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(qb)), d);
      acc0 = _mm256_fmadd_ps(wa, _mm256_loadu_ps(x + 8 * k), acc0);
      acc1 = _mm256_fmadd_ps(wb, _mm256_loadu_ps(x + 8 * (k + 1)), acc1);
    }
  }
  return simd::HorizontalSum(_mm256_add_ps(acc0, acc1));
}

// Q4_K: 144-byte super-blocks of f16 d and dmin, 12 bytes of 6-bit (scale, min) pairs and 128 bytes of nibbles;
// per 64-element chunk, low nibbles of 32 bytes hold elements 0-31 and high nibbles 32-63; w = (d·sc)·q − dmin·m.
void ScaleMinPair(const uint8_t* scales, int j, float d, float dmin, float& scale, float& min) {
  const quants::ScaleMin codes = quants::UnpackScaleMin(scales, j);
  scale = d * static_cast<float>(codes.scale);
  min = dmin * static_cast<float>(codes.min);
}

__attribute__((target("avx512f")))
float DotQ4_KAvx512(const uint8_t* row, const float* x, int64_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  const __m128i low_mask = _mm_set1_epi8(0x0F);
  for (int64_t b = 0; b < n / 256; ++b, row += 144, x += 256) {
    const float d = ScaleOf(row), dmin = ScaleOf(row + 2);
    const uint8_t* scales = row + 4;
    for (int chunk = 0; chunk < 4; ++chunk) {
      float scale_lo, min_lo, scale_hi, min_hi;
      ScaleMinPair(scales, 2 * chunk, d, dmin, scale_lo, min_lo);
      ScaleMinPair(scales, 2 * chunk + 1, d, dmin, scale_hi, min_hi);
      const __m512 sl = _mm512_set1_ps(scale_lo), ml = _mm512_set1_ps(min_lo);
      const __m512 sh = _mm512_set1_ps(scale_hi), mh = _mm512_set1_ps(min_hi);
      const float* xc = x + 64 * chunk;
      for (int half = 0; half < 2; ++half) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16 + 32 * chunk + 16 * half));
        const __m512 lo = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(bytes, low_mask)));
        const __m512 hi = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(bytes, 4), low_mask)));
        const __m512 w_lo = _mm512_sub_ps(_mm512_mul_ps(sl, lo), ml);
        const __m512 w_hi = _mm512_sub_ps(_mm512_mul_ps(sh, hi), mh);
        acc0 = _mm512_fmadd_ps(w_lo, _mm512_loadu_ps(xc + 16 * half), acc0);
        acc1 = _mm512_fmadd_ps(w_hi, _mm512_loadu_ps(xc + 32 + 16 * half), acc1);
      }
    }
  }
  return simd::HorizontalSum(_mm512_add_ps(acc0, acc1));
}

__attribute__((target("avx2,fma")))
float DotQ4_KAvx2(const uint8_t* row, const float* x, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  const __m128i low_mask = _mm_set1_epi8(0x0F);
  for (int64_t b = 0; b < n / 256; ++b, row += 144, x += 256) {
    const float d = ScaleOf(row), dmin = ScaleOf(row + 2);
    const uint8_t* scales = row + 4;
    for (int chunk = 0; chunk < 4; ++chunk) {
      float scale_lo, min_lo, scale_hi, min_hi;
      ScaleMinPair(scales, 2 * chunk, d, dmin, scale_lo, min_lo);
      ScaleMinPair(scales, 2 * chunk + 1, d, dmin, scale_hi, min_hi);
      const __m256 sl = _mm256_set1_ps(scale_lo), ml = _mm256_set1_ps(min_lo);
      const __m256 sh = _mm256_set1_ps(scale_hi), mh = _mm256_set1_ps(min_hi);
      const float* xc = x + 64 * chunk;
      for (int part = 0; part < 4; ++part) {
        const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + 16 + 32 * chunk + 8 * part));
        const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_and_si128(bytes, low_mask)));
        const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(bytes, 4), low_mask)));
        const __m256 w_lo = _mm256_sub_ps(_mm256_mul_ps(sl, lo), ml);
        const __m256 w_hi = _mm256_sub_ps(_mm256_mul_ps(sh, hi), mh);
        acc0 = _mm256_fmadd_ps(w_lo, _mm256_loadu_ps(xc + 8 * part), acc0);
        acc1 = _mm256_fmadd_ps(w_hi, _mm256_loadu_ps(xc + 32 + 8 * part), acc1);
      }
    }
  }
  return simd::HorizontalSum(_mm256_add_ps(acc0, acc1));
}

// Q6_K: 210-byte super-blocks of 128 bytes of low nibbles, 64 bytes of high bit pairs, 16 int8 scales and an f16
// d; w = (d·scale)·(q − 32). In each 128-element half, quarter k of element l takes its low nibble from byte
// 32·(k mod 2) + l (high nibble when k ≥ 2) and its top two bits from bits 2k of qh[l]; 16 elements per scale.
__attribute__((target("avx512f")))
float DotQ6_KAvx512(const uint8_t* row, const float* x, int64_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  const __m128i nibble = _mm_set1_epi8(0x0F), pair = _mm_set1_epi8(0x03);
  const __m512i bias = _mm512_set1_epi32(32);
  for (int64_t b = 0; b < n / 256; ++b, row += 210, x += 256) {
    const float d = ScaleOf(row + 208);
    const int8_t* scales = reinterpret_cast<const int8_t*>(row + 192);
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = row + 64 * half;
      const uint8_t* qh = row + 128 + 32 * half;
      for (int quarter = 0; quarter < 4; ++quarter) {
        for (int part = 0; part < 2; ++part) {
          const uint8_t* low_src = ql + 32 * (quarter % 2) + 16 * part;
          const __m128i low_bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(low_src));
          const __m128i high_bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qh + 16 * part));
          const __m128i low = _mm_and_si128(_mm_srli_epi16(low_bytes, 4 * (quarter / 2)), nibble);
          const __m128i high = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(high_bytes, 2 * quarter), pair), 4);
          const __m512i q = _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_or_si128(low, high)), bias);
          const float scale = d * static_cast<float>(scales[8 * half + 2 * quarter + part]);
          const __m512 w = _mm512_mul_ps(_mm512_set1_ps(scale), _mm512_cvtepi32_ps(q));
          const __m512 xs = _mm512_loadu_ps(x + 128 * half + 32 * quarter + 16 * part);
          if (part == 0) {
            acc0 = _mm512_fmadd_ps(w, xs, acc0);
          } else {
            acc1 = _mm512_fmadd_ps(w, xs, acc1);
          }
        }
      }
    }
  }
  return simd::HorizontalSum(_mm512_add_ps(acc0, acc1));
}

__attribute__((target("avx2,fma")))
float DotQ6_KAvx2(const uint8_t* row, const float* x, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  const __m128i nibble = _mm_set1_epi8(0x0F), pair = _mm_set1_epi8(0x03);
  const __m256i bias = _mm256_set1_epi32(32);
  for (int64_t b = 0; b < n / 256; ++b, row += 210, x += 256) {
    const float d = ScaleOf(row + 208);
    const int8_t* scales = reinterpret_cast<const int8_t*>(row + 192);
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = row + 64 * half;
      const uint8_t* qh = row + 128 + 32 * half;
      for (int quarter = 0; quarter < 4; ++quarter) {
        for (int part = 0; part < 4; ++part) {  // 8 elements at a time; two parts per scale
          const uint8_t* low_src = ql + 32 * (quarter % 2) + 8 * part;
          const __m128i low_bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(low_src));
          const __m128i high_bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(qh + 8 * part));
          const __m128i low = _mm_and_si128(_mm_srli_epi16(low_bytes, 4 * (quarter / 2)), nibble);
          const __m128i high = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(high_bytes, 2 * quarter), pair), 4);
          const __m256i q = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_or_si128(low, high)), bias);
          const float scale = d * static_cast<float>(scales[8 * half + 2 * quarter + part / 2]);
          const __m256 w = _mm256_mul_ps(_mm256_set1_ps(scale), _mm256_cvtepi32_ps(q));
          const __m256 xs = _mm256_loadu_ps(x + 128 * half + 32 * quarter + 8 * part);
          if (part % 2 == 0) {
            acc0 = _mm256_fmadd_ps(w, xs, acc0);
          } else {
            acc1 = _mm256_fmadd_ps(w, xs, acc1);
          }
        }
      }
    }
  }
  return simd::HorizontalSum(_mm256_add_ps(acc0, acc1));
}

FusedDotFn PickQ6_K() {
  switch (KernelIsa()) {
    case IsaLevel::kAvx512Vnni:
    case IsaLevel::kAvx512: return DotQ6_KAvx512;
    case IsaLevel::kAvx2: return DotQ6_KAvx2;
    default: return nullptr;
  }
}

FusedDotFn PickQ4_K() {
  switch (KernelIsa()) {
    case IsaLevel::kAvx512Vnni:
    case IsaLevel::kAvx512: return DotQ4_KAvx512;
    case IsaLevel::kAvx2: return DotQ4_KAvx2;
    default: return nullptr;
  }
}

FusedDotFn PickQ8_0() {
  switch (KernelIsa()) {
    case IsaLevel::kAvx512Vnni:
    case IsaLevel::kAvx512: return DotQ8_0Avx512;
    case IsaLevel::kAvx2: return DotQ8_0Avx2;
    default: return nullptr;
  }
}

const FusedDotFn kQ8_0 = PickQ8_0();
const FusedDotFn kQ4_K = PickQ4_K();
const FusedDotFn kQ6_K = PickQ6_K();

}  // namespace

FusedDotFn FusedDot(GgmlType type) {
  switch (type) {
    case GgmlType::kQ8_0: return kQ8_0;
    case GgmlType::kQ4_K: return kQ4_K;
    case GgmlType::kQ6_K: return kQ6_K;
    default: return nullptr;
  }
}

}  // namespace baleen
