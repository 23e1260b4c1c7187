// AVX-512 and AVX2 fused decode-and-dot kernels (fused_dot_body.inc, compiled here once per vector width) and their
// kernel-table columns. Weights are decoded with the reference's operations in its order (d·q; (d·sc)·q − dmin·m),
// so only the summation order differs from the tile path.
#include "kernels/fused_dot.h"

#include <cstring>

#include "base/float16.h"
#include "formats/quants/quants_k_blocks.h"
#include "kernels/kernel_table.h"
#include "kernels/simd.h"

namespace baleen {

#if defined(__x86_64__)  // the kernels are x86 only; elsewhere the table has no fused column and MatMul decodes tiles
namespace {

float ScaleOf(const uint8_t* p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return Fp16ToFloat(bits);
}

void ScaleMinPair(const uint8_t* scales, int j, float d, float dmin, float& scale, float& min) {
  const quants::ScaleMin codes = quants::UnpackScaleMin(scales, j);
  scale = d * static_cast<float>(codes.scale);
  min = dmin * static_cast<float>(codes.min);
}

// A function gets its target where it is defined, so one template cannot be compiled for two targets: the kernels'
// text is included once per width instead, each copy with its own V and target attribute.
namespace avx512 {

#define BALEEN_FUSED __attribute__((target("avx512f")))
struct V {
  using F = __m512;
  static constexpr int kLanes = 16;
  BALEEN_FUSED static F Zero() { return _mm512_setzero_ps(); }
  BALEEN_FUSED static F Set1(float v) { return _mm512_set1_ps(v); }
  BALEEN_FUSED static F Load(const float* p) { return _mm512_loadu_ps(p); }
  BALEEN_FUSED static F Add(F a, F b) { return _mm512_add_ps(a, b); }
  BALEEN_FUSED static F Sub(F a, F b) { return _mm512_sub_ps(a, b); }
  BALEEN_FUSED static F Mul(F a, F b) { return _mm512_mul_ps(a, b); }
  BALEEN_FUSED static F Fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  BALEEN_FUSED static __m128i Bytes(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
  BALEEN_FUSED static F FromU8(__m128i b) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)); }
  BALEEN_FUSED static F FromI8(__m128i b) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(b)); }
  BALEEN_FUSED static float Sum(F v) { return simd::HorizontalSum(v); }
};
#include "kernels/fused_dot_body.inc"
#undef BALEEN_FUSED

}  // namespace avx512

namespace avx2 {

#define BALEEN_FUSED __attribute__((target("avx2,fma")))
struct V {
  using F = __m256;
  static constexpr int kLanes = 8;
  BALEEN_FUSED static F Zero() { return _mm256_setzero_ps(); }
  BALEEN_FUSED static F Set1(float v) { return _mm256_set1_ps(v); }
  BALEEN_FUSED static F Load(const float* p) { return _mm256_loadu_ps(p); }
  BALEEN_FUSED static F Add(F a, F b) { return _mm256_add_ps(a, b); }
  BALEEN_FUSED static F Sub(F a, F b) { return _mm256_sub_ps(a, b); }
  BALEEN_FUSED static F Mul(F a, F b) { return _mm256_mul_ps(a, b); }
  BALEEN_FUSED static F Fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  BALEEN_FUSED static __m128i Bytes(const uint8_t* p) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)); }
  BALEEN_FUSED static F FromU8(__m128i b) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b)); }
  BALEEN_FUSED static F FromI8(__m128i b) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b)); }
  BALEEN_FUSED static float Sum(F v) { return simd::HorizontalSum(v); }
};
#include "kernels/fused_dot_body.inc"
#undef BALEEN_FUSED

}  // namespace avx2
}  // namespace

// No portable column: at that level MatMul decodes rows into a tile, which with 1-3 tokens is the same work.
void kernel_columns::AddAvx2Fused(KernelColumn& column) {
  column.Row(GgmlType::kQ8_0).fused = avx2::DotQ8_0;
  column.Row(GgmlType::kQ4_K).fused = avx2::DotQ4_K;
  column.Row(GgmlType::kQ6_K).fused = avx2::DotQ6_K;
}

void kernel_columns::AddAvx512Fused(KernelColumn& column) {
  column.Row(GgmlType::kQ8_0).fused = avx512::DotQ8_0;
  column.Row(GgmlType::kQ4_K).fused = avx512::DotQ4_K;
  column.Row(GgmlType::kQ6_K).fused = avx512::DotQ6_K;
}
#endif  // defined(__x86_64__)

FusedDotFn FusedDot(GgmlType type) {
  const TypeKernels* row = KernelRow(type);
  return row != nullptr ? row->fused : nullptr;
}

}  // namespace baleen
