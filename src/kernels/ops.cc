// Row-wise transformer operations in F32 with double-precision reductions where cancellation matters.
#include "kernels/ops.h"

#include <cmath>
#include <limits>

#include "kernels/cpu_features.h"
#include "kernels/simd.h"

namespace baleen {
namespace {

#if defined(__x86_64__)
// e^x for 16 lanes, within 2 ulp of expf for x in [-87.3, 88.7] (below, subnormal down to 0; above, +inf):
// x = k · ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two so r is exact), e^r by its degree-6 Taylor polynomial
// (error 2e-8 relative on that interval), then scaled by 2^k with VSCALEFPS.
__attribute__((target("avx512f"))) inline __m512 ExpAvx512(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.7f)), _mm512_set1_ps(-104.0f));
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693145752f), x);  // ln 2's leading bits: k · hi is exact
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(1.42860677e-6f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, k);
}

__attribute__((target("avx512f"))) void SiluMulAvx512(float* gate, const float* up, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 g = _mm512_loadu_ps(gate + i);
    const __m512 e = ExpAvx512(_mm512_sub_ps(_mm512_setzero_ps(), g));
    const __m512 silu = _mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
    _mm512_storeu_ps(gate + i, _mm512_mul_ps(silu, _mm512_loadu_ps(up + i)));
  }
  for (; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

// x[i] = e^(x[i] − max), −inf entries 0; returns Σ in double (each vector's lanes summed in float first).
__attribute__((target("avx512f"))) double ExpShiftedAvx512(float* x, int64_t n, float max_value) {
  double sum = 0.0;
  int64_t i = 0;
  const __m512 max = _mm512_set1_ps(max_value), minus_inf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    const __mmask16 finite = _mm512_cmp_ps_mask(v, minus_inf, _CMP_NEQ_OQ);
    const __m512 e = _mm512_maskz_mov_ps(finite, ExpAvx512(_mm512_sub_ps(v, max)));
    _mm512_storeu_ps(x + i, e);
    sum += _mm512_reduce_add_ps(e);
  }
  for (; i < n; ++i) {
    x[i] = std::isinf(x[i]) && x[i] < 0 ? 0.0f : std::exp(x[i] - max_value);
    sum += x[i];
  }
  return sum;
}

// The largest of x[0, end) for the whole vectors of x; `end` is where the caller continues.
__attribute__((target("avx512f"))) float MaxAvx512(const float* x, int64_t n, int64_t& end) {
  __m512 max = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (end = 0; end + 16 <= n; end += 16) max = _mm512_max_ps(max, _mm512_loadu_ps(x + end));
  return _mm512_reduce_max_ps(max);
}

bool UseAvx512() { return KernelIsa() >= IsaLevel::kAvx512; }
#endif  // defined(__x86_64__): elsewhere only the portable loops below

}  // namespace

void RmsNorm(const float* x, const float* w, int64_t n, float eps, float* out) {
  double sum_sq = 0.0;
  for (int64_t i = 0; i < n; ++i) sum_sq += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) out[i] = w[i] * (x[i] * scale);
}

void RmsNormRows(const float* x, const float* w, int64_t n, int64_t width, float eps, float* out) {
  for (int64_t t = 0; t < n; ++t) RmsNorm(x + t * width, w, width, eps, out + t * width);
}

void SiluMul(float* gate, const float* up, int64_t n) {
#if defined(__x86_64__)
  if (UseAvx512()) {
    SiluMulAvx512(gate, up, n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void Softmax(float* x, int64_t n) {
  float max_value = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
#if defined(__x86_64__)
  const bool avx512 = UseAvx512();
  if (avx512) max_value = MaxAvx512(x, n, i);
#else
  constexpr bool avx512 = false;
#endif
  for (; i < n; ++i) max_value = std::fmax(max_value, x[i]);
  double sum = 0.0;
  if (avx512) {
#if defined(__x86_64__)
    sum = ExpShiftedAvx512(x, n, max_value);
#endif
  } else {
    for (int64_t i = 0; i < n; ++i) {
      x[i] = std::isinf(x[i]) && x[i] < 0 ? 0.0f : std::exp(x[i] - max_value);
      sum += x[i];
    }
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace baleen
