// Blocked attention: scores of 4 query rows × 4 keys per register tile, softmax per row, then the values summed into
// 4 rows × 16 columns per tile. The AVX-512 versions keep all 16 products in registers; the portable ones leave it to
// the compiler.
#include "kernels/attention.h"

#include <algorithm>

#include "kernels/cpu_features.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "kernels/simd.h"

namespace baleen {
namespace {

constexpr int64_t kRowTile = 4;

// s[r][c] = q[r] · k[c] for 4 rows × 4 keys (pointers may repeat at the edges).
__attribute__((target("avx512f"))) void Dot4x4Avx512(const float* const* q, const float* const* k, int64_t d,
                                                      float s[4][4]) {
  __m512 acc[4][4];
  for (auto& row : acc) {
    for (auto& a : row) a = _mm512_setzero_ps();
  }
  int64_t i = 0;
  for (; i + 16 <= d; i += 16) {
    __m512 kv[4];
    for (int c = 0; c < 4; ++c) kv[c] = _mm512_loadu_ps(k[c] + i);
    for (int r = 0; r < 4; ++r) {
      const __m512 qv = _mm512_loadu_ps(q[r] + i);
      for (int c = 0; c < 4; ++c) acc[r][c] = _mm512_fmadd_ps(qv, kv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) {
      float tail = 0.0f;
      for (int64_t j = i; j < d; ++j) tail += q[r][j] * k[c][j];
      s[r][c] = simd::HorizontalSum(acc[r][c], tail);
    }
  }
}

void Dot4x4Portable(const float* const* q, const float* const* k, int64_t d, float s[4][4]) {
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) s[r][c] = DotF32(q[r], k[c], d);
  }
}

// out[r][0..dv) = Σ_s p[r][s] v_s for s < n_keys, 4 rows at once.
__attribute__((target("avx512f"))) void WeightedSum4Avx512(const float* const* p, int64_t n_keys, const float* v,
                                                            int64_t ldv, int64_t dv, float* const* out) {
  int64_t j = 0;
  for (; j + 16 <= dv; j += 16) {
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int64_t s = 0; s < n_keys; ++s) {
      const __m512 vs = _mm512_loadu_ps(v + s * ldv + j);
      for (int r = 0; r < 4; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(p[r][s]), vs, acc[r]);
    }
    for (int r = 0; r < 4; ++r) _mm512_storeu_ps(out[r] + j, acc[r]);
  }
  for (; j < dv; ++j) {
    for (int r = 0; r < 4; ++r) {
      float sum = 0.0f;
      for (int64_t s = 0; s < n_keys; ++s) sum += p[r][s] * v[s * ldv + j];
      out[r][j] = sum;
    }
  }
}

void WeightedSum4Portable(const float* const* p, int64_t n_keys, const float* v, int64_t ldv, int64_t dv,
                          float* const* out) {
  for (int r = 0; r < 4; ++r) {
    std::fill_n(out[r], dv, 0.0f);
    for (int64_t s = 0; s < n_keys; ++s) AxpyF32(p[r][s], v + s * ldv, out[r], dv);
  }
}

bool UseAvx512() { return KernelIsa() >= IsaLevel::kAvx512; }

}  // namespace

void AttendRows(const AttentionRows& rows, const float* k, int64_t ldk, int64_t d, const float* v, int64_t ldv,
                int64_t dv, float scale, std::vector<float>& scratch) {
  const bool avx512 = UseAvx512();
  int64_t max_keys = 0;
  for (int64_t i = 0; i < rows.n_rows; ++i) max_keys = std::max(max_keys, rows.n_keys[i]);
  scratch.resize(static_cast<size_t>(kRowTile * max_keys));
  for (int64_t r0 = 0; r0 < rows.n_rows; r0 += kRowTile) {
    // The tile's rows; at the edge the last row repeats (computed twice, stored once).
    const float* q[4];
    float* out[4];
    float* p[4];
    int64_t tile_keys = 0;
    const int64_t nr = std::min(kRowTile, rows.n_rows - r0);
    for (int r = 0; r < 4; ++r) {
      const int64_t i = r0 + std::min<int64_t>(r, nr - 1);
      q[r] = rows.q[i];
      out[r] = rows.out[i];
      p[r] = scratch.data() + r * max_keys;
      tile_keys = std::max(tile_keys, rows.n_keys[i]);
    }
    for (int64_t s0 = 0; s0 < tile_keys; s0 += 4) {
      const float* keys[4];
      for (int c = 0; c < 4; ++c) keys[c] = k + std::min(s0 + c, tile_keys - 1) * ldk;
      float s[4][4];
      (avx512 ? Dot4x4Avx512 : Dot4x4Portable)(q, keys, d, s);
      for (int r = 0; r < 4; ++r) {
        for (int c = 0; c < 4 && s0 + c < tile_keys; ++c) p[r][s0 + c] = s[r][c] * scale;
      }
    }
    for (int r = 0; r < 4; ++r) {
      const int64_t n_keys = rows.n_keys[r0 + std::min<int64_t>(r, nr - 1)];
      Softmax(p[r], n_keys);
      std::fill(p[r] + n_keys, p[r] + tile_keys, 0.0f);  // masked keys weigh nothing
    }
    // Rows past the edge repeat the last one, so writing them twice is harmless.
    (avx512 ? WeightedSum4Avx512 : WeightedSum4Portable)(p, tile_keys, v, ldv, dv, out);
  }
}

}  // namespace baleen
