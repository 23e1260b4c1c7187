// Blocked attention: scores of 4 query rows × 4 keys per register tile, softmax per row, then the values summed into
// 4 rows × 16 columns per tile, keys in chunks that stay in L2 while every tile of a row block uses them. The AVX-512 versions keep all 16 products in registers; the portable ones leave it to
// the compiler.
#include "kernels/attention.h"

#include <cstdint>

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/float16.h"
#include "kernels/cpu_features.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "kernels/simd.h"

namespace baleen {
namespace {

#if defined(__x86_64__)  // the AVX-512 kernels; elsewhere only the portable ones
// 16 elements of a cached row as F32.
__attribute__((target("avx512f"))) inline __m512 Load16(const float* p) { return _mm512_loadu_ps(p); }
__attribute__((target("avx512f"))) inline __m512 Load16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
#endif  // defined(__x86_64__)
inline float Value(float x) { return x; }
inline float Value(uint16_t h) { return Fp16ToFloat(h); }

#if defined(__x86_64__)
// The lane sums of v[0..15] as the lanes of one vector, by a tree of shuffles and adds: 45 instructions where 16
// separate horizontal sums take about 16 × 16. With 128-dimensional heads the sums were as costly as the products.
__attribute__((target("avx512f"))) inline __m512 Sum16(const __m512 (&v)[16]) {
  __m512 pairs[8], quads[4], halves[2];
  for (int i = 0; i < 8; ++i) {  // per 128-bit lane: [x0+x2, y0+y2, x1+x3, y1+y3] of x = v[2i], y = v[2i + 1]
    pairs[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  }
  for (int i = 0; i < 4; ++i) {  // per 128-bit lane: that lane's sums of v[4i .. 4i + 3]
    const __m512d a = _mm512_castps_pd(pairs[2 * i]), b = _mm512_castps_pd(pairs[2 * i + 1]);
    quads[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  for (int i = 0; i < 2; ++i) {  // lanes 0, 1 of quads[2i] added to lanes 2, 3 (likewise for quads[2i + 1])
    halves[i] = _mm512_add_ps(_mm512_shuffle_f32x4(quads[2 * i], quads[2 * i + 1], 0x88),
                              _mm512_shuffle_f32x4(quads[2 * i], quads[2 * i + 1], 0xDD));
  }
  return _mm512_add_ps(_mm512_shuffle_f32x4(halves[0], halves[1], 0x88),
                       _mm512_shuffle_f32x4(halves[0], halves[1], 0xDD));
}

// s[r][c] = q[r] · k[c] for 4 rows × 4 keys (pointers may repeat at the edges).
template <typename E>
__attribute__((target("avx512f"))) void Dot4x4Avx512(const float* const* q, const E* const* k, int64_t d,
                                                      float s[4][4]) {
  __m512 acc[4][4];
  for (auto& row : acc) {
    for (auto& a : row) a = _mm512_setzero_ps();
  }
  int64_t i = 0;
  for (; i + 16 <= d; i += 16) {
    __m512 kv[4];
    for (int c = 0; c < 4; ++c) kv[c] = Load16(k[c] + i);
    for (int r = 0; r < 4; ++r) {
      const __m512 qv = _mm512_loadu_ps(q[r] + i);
      for (int c = 0; c < 4; ++c) acc[r][c] = _mm512_fmadd_ps(qv, kv[c], acc[r][c]);
    }
  }
  __m512 all[16];
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) all[4 * r + c] = acc[r][c];
  }
  _mm512_storeu_ps(&s[0][0], Sum16(all));
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) {
      for (int64_t j = i; j < d; ++j) s[r][c] += q[r][j] * Value(k[c][j]);
    }
  }
}
#endif  // defined(__x86_64__)

void Dot4x4Portable(const float* const* q, const float* const* k, int64_t d, float s[4][4]) {
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) s[r][c] = DotF32(q[r], k[c], d);
  }
}

// F16 keys on the portable path: widened to F32 first (once per key for the four rows).
void Dot4x4Portable(const float* const* q, const uint16_t* const* k, int64_t d, float s[4][4]) {
  std::vector<float> wide(static_cast<size_t>(d));
  for (int c = 0; c < 4; ++c) {
    for (int64_t j = 0; j < d; ++j) wide[static_cast<size_t>(j)] = Fp16ToFloat(k[c][j]);
    for (int r = 0; r < 4; ++r) s[r][c] = DotF32(q[r], wide.data(), d);
  }
}

// out[r][0..dv) += Σ_s p[r][s0 + s] v_s for s in [0, count), value s at v + s · ldv, for the first nr of 4 rows (the
// rest repeat row nr − 1). Every output element adds its terms in key order, so splitting the keys into ranges (cache
// blocks, chunks) changes no bit.
#if defined(__x86_64__)
// Columns [j, j + 16 · B) of the above. B blocks of 16 at once let each broadcast weight feed B products: with one,
// the loads (a value vector and four broadcasts per four FMAs) bounded the loop.
template <int B, typename E>
__attribute__((target("avx512f"))) inline void WeightedColumns(const float* const* p, int64_t s0, int64_t count,
                                                               const E* v, int64_t ldv, int64_t j, float* const* out,
                                                               int nr) {
  __m512 acc[4][B];
  for (int r = 0; r < 4; ++r) {
    for (int b = 0; b < B; ++b) acc[r][b] = _mm512_loadu_ps(out[r] + j + 16 * b);
  }
  for (int64_t s = 0; s < count; ++s) {
    __m512 vs[B];
    for (int b = 0; b < B; ++b) vs[b] = Load16(v + s * ldv + j + 16 * b);
    for (int r = 0; r < 4; ++r) {
      const __m512 weight = _mm512_set1_ps(p[r][s0 + s]);
      for (int b = 0; b < B; ++b) acc[r][b] = _mm512_fmadd_ps(weight, vs[b], acc[r][b]);
    }
  }
  for (int r = 0; r < nr; ++r) {
    for (int b = 0; b < B; ++b) _mm512_storeu_ps(out[r] + j + 16 * b, acc[r][b]);
  }
}

template <typename E>
__attribute__((target("avx512f"))) void WeightedSumAdd4Avx512(const float* const* p, int64_t s0, int64_t count,
                                                               const E* v, int64_t ldv, int64_t dv,
                                                               float* const* out, int nr) {
  int64_t j = 0;
  for (; j + 64 <= dv; j += 64) WeightedColumns<4>(p, s0, count, v, ldv, j, out, nr);
  for (; j + 16 <= dv; j += 16) WeightedColumns<1>(p, s0, count, v, ldv, j, out, nr);
  for (; j < dv; ++j) {
    for (int r = 0; r < nr; ++r) {
      float sum = out[r][j];
      for (int64_t s = 0; s < count; ++s) sum = std::fma(p[r][s0 + s], Value(v[s * ldv + j]), sum);
      out[r][j] = sum;
    }
  }
}
#endif  // defined(__x86_64__)

void WeightedSumAdd4Portable(const float* const* p, int64_t s0, int64_t count, const float* v, int64_t ldv,
                             int64_t dv, float* const* out, int nr) {
  for (int r = 0; r < nr; ++r) {
    for (int64_t s = 0; s < count; ++s) AxpyF32(p[r][s0 + s], v + s * ldv, out[r], dv);
  }
}

void WeightedSumAdd4Portable(const float* const* p, int64_t s0, int64_t count, const uint16_t* v, int64_t ldv,
                             int64_t dv, float* const* out, int nr) {
  std::vector<float> wide(static_cast<size_t>(dv));
  for (int64_t s = 0; s < count; ++s) {
    for (int64_t j = 0; j < dv; ++j) wide[static_cast<size_t>(j)] = Fp16ToFloat(v[s * ldv + j]);
    for (int r = 0; r < nr; ++r) AxpyF32(p[r][s0 + s], wide.data(), out[r], dv);
  }
}

#if defined(__x86_64__)
bool UseAvx512() { return KernelIsa() >= IsaLevel::kAvx512; }
#endif

}  // namespace

// Rows are taken kRowBlock at a time and keys kKeyChunk at a time: every tile of the block meets a chunk of keys
// (and later of values) while it is in L2, so a long cache is streamed from memory once per row block instead of
// once per 4-row tile. With MLA all heads share the cache rows, so decoding reads the latent cache once per token.
constexpr int64_t kRowBlock = 64, kKeyChunk = 64;
// Decoding reads each cache row once, from memory, in 16-row blocks scattered over the pool, where the hardware
// prefetcher restarts at every block: the first tile of a row block asks for the rows kAhead positions ahead.
constexpr int64_t kAhead = 16;

inline void PrefetchRow(const void* row, int64_t bytes) {
  for (int64_t line = 0; line < bytes; line += 64) __builtin_prefetch(static_cast<const char*>(row) + line);
}

namespace {

template <typename E>
void AttendRowsOf(const AttentionRows& rows, const CacheRows& k, int64_t d, const CacheRows& v, int64_t dv, float scale,
                  std::vector<float>& scratch) {
  using DotFn = void (*)(const float* const*, const E* const*, int64_t, float[4][4]);
  using SumFn = void (*)(const float* const*, int64_t, int64_t, const E*, int64_t, int64_t, float* const*, int);
#if defined(__x86_64__)
  const bool avx512 = UseAvx512();
  const DotFn dot = avx512 ? DotFn{Dot4x4Avx512<E>} : DotFn{Dot4x4Portable};
  const SumFn weighted_sum = avx512 ? SumFn{WeightedSumAdd4Avx512<E>} : SumFn{WeightedSumAdd4Portable};
#else
  const DotFn dot = Dot4x4Portable;
  const SumFn weighted_sum = WeightedSumAdd4Portable;
#endif
  for (int64_t b0 = 0; b0 < rows.n_rows; b0 += kRowBlock) {
    const int64_t b1 = std::min(rows.n_rows, b0 + kRowBlock);
    int64_t max_keys = 0;  // of the block
    for (int64_t i = b0; i < b1; ++i) max_keys = std::max(max_keys, rows.n_keys[i]);
    scratch.resize(static_cast<size_t>((b1 - b0) * max_keys));
    // Tile t of the block: rows b0 + 4t .. (the last repeated at the edge), their score rows, their key count.
    const auto tile = [&](int64_t r0, const float* (&q)[4], float* (&out)[4], float* (&p)[4]) {
      const int64_t nr = std::min<int64_t>(4, b1 - r0);
      int64_t keys = 0;
      for (int r = 0; r < 4; ++r) {
        const int64_t i = r0 + std::min<int64_t>(r, nr - 1);
        q[r] = rows.q[i];
        out[r] = rows.out[i];
        p[r] = scratch.data() + (i - b0) * max_keys;
        keys = std::max(keys, rows.n_keys[i]);
      }
      return std::pair{static_cast<int>(nr), keys};
    };
    for (int64_t c0 = 0; c0 < max_keys; c0 += kKeyChunk) {
      for (int64_t r0 = b0; r0 < b1; r0 += 4) {
        const float* q[4];
        float* out[4];
        float* p[4];
        const int64_t tile_keys = tile(r0, q, out, p).second;
        for (int64_t s0 = c0; s0 < std::min(c0 + kKeyChunk, tile_keys); s0 += 4) {
          const E* keys[4];
          for (int c = 0; c < 4; ++c) keys[c] = k.Row<E>(std::min(s0 + c, tile_keys - 1));
          if (r0 == b0 && s0 + kAhead < tile_keys) {
            for (int64_t c = 0; c < std::min<int64_t>(4, tile_keys - s0 - kAhead); ++c) {
              PrefetchRow(k.Row<E>(s0 + kAhead + c), d * static_cast<int64_t>(sizeof(E)));
            }
          }
          float s[4][4];
          dot(q, keys, d, s);
          for (int r = 0; r < 4; ++r) {
            for (int c = 0; c < 4 && s0 + c < tile_keys; ++c) p[r][s0 + c] = s[r][c] * scale;
          }
        }
      }
    }
    for (int64_t i = b0; i < b1; ++i) {
      float* p = scratch.data() + (i - b0) * max_keys;
      Softmax(p, rows.n_keys[i]);
      std::fill(p + rows.n_keys[i], p + max_keys, 0.0f);  // masked keys weigh nothing
      std::fill_n(rows.out[i], dv, 0.0f);
    }
    for (int64_t c0 = 0; c0 < max_keys; c0 += kKeyChunk) {
      for (int64_t r0 = b0; r0 < b1; r0 += 4) {
        const float* q[4];
        float* out[4];
        float* p[4];
        const auto [nr, tile_keys] = tile(r0, q, out, p);
        const int64_t c1 = std::min(c0 + kKeyChunk, tile_keys);
        for (int64_t s = c0; s < c1;) {  // one run of contiguous value rows at a time
          const int64_t run_end = std::min(c1, v.BlockEnd(s));
          if (r0 == b0) {
            for (int64_t a = s + kAhead; a < std::min(run_end + kAhead, tile_keys); ++a) {
              PrefetchRow(v.Row<E>(a), dv * static_cast<int64_t>(sizeof(E)));
            }
          }
          weighted_sum(p, s, run_end - s, v.Row<E>(s), v.ld, dv, out, nr);
          s = run_end;
        }
      }
    }
  }
}

}  // namespace

void AttendRows(const AttentionRows& rows, const CacheRows& k, int64_t d, const CacheRows& v, int64_t dv, float scale,
                std::vector<float>& scratch) {
  if (k.f16) {
    AttendRowsOf<uint16_t>(rows, k, d, v, dv, scale, scratch);
  } else {
    AttendRowsOf<float>(rows, k, d, v, dv, scale, scratch);
  }
}

void AttendRows(const AttentionRows& rows, const float* k, int64_t ldk, int64_t d, const float* v, int64_t ldv,
                int64_t dv, float scale, std::vector<float>& scratch) {
  constexpr int kWhole = 62;  // one block holds every row
  const void* k_base = k;
  const void* v_base = v;
  AttendRows(rows, CacheRows{&k_base, kWhole, ldk, 0}, d, CacheRows{&v_base, kWhole, ldv, 0}, dv, scale, scratch);
}

}  // namespace baleen
