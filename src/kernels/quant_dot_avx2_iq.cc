// AVX2 integer dot-product kernels for the codebook i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S).
// Also used at the AVX-512 level on CPUs without VNNI.
//
// Unpacking a group (grid rows looked up by index, sign bytes from a table) costs several times its multiply-adds,
// so each unpacked group meets up to 4 tokens while it is in registers, or with many tokens every token of a
// buffer.
#include <algorithm>

#include "kernels/kernel_table.h"
#include "kernels/quant_dot_iq_groups.h"

namespace baleen::quant_internal::iq {
namespace {

// One group against 32 activations: 8 int32 lanes of k · Σ v·a, added to sums.
BALEEN_IQ_AVX2 inline __m256i AddGroup(__m256i sums, const Group& group, __m256i a) {
  const __m256i pairs = _mm256_maddubs_epi16(group.mag, _mm256_sign_epi8(a, group.sgn));
  return _mm256_add_epi32(sums, _mm256_madd_epi16(pairs, group.scale));
}

// Every (row, token) pair goes through the same operations, whatever R and the token count: the super-block's exact
// integer sums in 8 lanes, one FMA by (row factor · token scale) per super-block, a horizontal sum at the end.
template <typename Format>
struct Kernel {
  static constexpr bool kPanels = true;
  static constexpr int64_t kBufferTokens = 8, kMaxTokens = 64;

  BALEEN_IQ_AVX2 static __m256i Load(const int8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }

  template <int R, int T>
  BALEEN_IQ_AVX2 static void Tile(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n, float* out,
                                  int64_t ldo) {
    const int8_t* grid = Format::Grid();
    __m256 acc[R][T];
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
    }
    for (int64_t sb = 0; sb < n / 256; ++sb) {
      __m256i sums[R][T];
      for (int r = 0; r < R; ++r) {
        for (int t = 0; t < T; ++t) sums[r][t] = _mm256_setzero_si256();
      }
#pragma GCC unroll 8
      for (int g = 0; g < 8; ++g) {
        Group groups[R];
        for (int r = 0; r < R; ++r) groups[r] = Format::Unpack(w + r * row_bytes + sb * Format::kBytes, grid, g);
        for (int t = 0; t < T; ++t) {
          const __m256i a = Load(x[t].qs + 256 * sb + 32 * g);
          for (int r = 0; r < R; ++r) sums[r][t] = AddGroup(sums[r][t], groups[r], a);
        }
      }
      for (int r = 0; r < R; ++r) {
        const float factor = Format::Factor(w + r * row_bytes + sb * Format::kBytes);
        for (int t = 0; t < T; ++t) {
          acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[r][t]), _mm256_set1_ps(factor * x[t].d[sb]), acc[r][t]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) out[t * ldo + r] = simd::HorizontalSum(acc[r][t]);
    }
  }

  // T tokens against R rows' unpacked super-block sb: each buffered group loaded once for the T tokens.
  template <int R, int T>
  BALEEN_IQ_AVX2 static void FromBuffer(const Group (&rows)[R][8], const float (&factor)[R], const Q8Row* x, int64_t sb,
                                        __m256 (*acc)[R]) {
    __m256i sums[T][R];
    for (int t = 0; t < T; ++t) {
      for (int r = 0; r < R; ++r) sums[t][r] = _mm256_setzero_si256();
    }
#pragma GCC unroll 8
    for (int g = 0; g < 8; ++g) {
      for (int r = 0; r < R; ++r) {
        const Group group = rows[r][g];
        for (int t = 0; t < T; ++t) sums[t][r] = AddGroup(sums[t][r], group, Load(x[t].qs + 256 * sb + 32 * g));
      }
    }
    for (int t = 0; t < T; ++t) {
      for (int r = 0; r < R; ++r) {
        acc[t][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[t][r]), _mm256_set1_ps(factor[r] * x[t].d[sb]), acc[t][r]);
      }
    }
  }

  // Few tokens: tiles of 4, 2, 1 tokens, each group unpacked straight into the multiply-adds. Many: a super-block
  // of the rows unpacked once into a buffer for up to 64 tokens; at 64 tokens that measured 1.3-1.8× quicker than
  // tiles of 4 where unpacking costs most (IQ3_*, IQ1_M, IQ2_XS) and no slower on the others.
  template <int R, int kT>
  BALEEN_IQ_AVX2 static void Panel(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n_tokens, int64_t n,
                                   float* out, int64_t ldo) {
    if (n_tokens < kBufferTokens) {
      int64_t t = 0;
      for (; t + 4 <= n_tokens; t += 4) Tile<R, 4>(w, row_bytes, x + t, n, out + t * ldo, ldo);
      for (; t + 2 <= n_tokens; t += 2) Tile<R, 2>(w, row_bytes, x + t, n, out + t * ldo, ldo);
      for (; t < n_tokens; ++t) Tile<R, 1>(w, row_bytes, x + t, n, out + t * ldo, ldo);
      return;
    }
    const int8_t* grid = Format::Grid();
    for (int64_t t0 = 0; t0 < n_tokens; t0 += kMaxTokens) {
      const int64_t nt = std::min(kMaxTokens, n_tokens - t0);
      __m256 acc[kMaxTokens][R];
      for (int64_t t = 0; t < nt; ++t) {
        for (int r = 0; r < R; ++r) acc[t][r] = _mm256_setzero_ps();
      }
      for (int64_t sb = 0; sb < n / 256; ++sb) {
        Group rows[R][8];
        float factor[R];
        for (int r = 0; r < R; ++r) {
          const uint8_t* block = w + r * row_bytes + sb * Format::kBytes;
          factor[r] = Format::Factor(block);
          for (int g = 0; g < 8; ++g) rows[r][g] = Format::Unpack(block, grid, g);
        }
        int64_t t = 0;
        for (; t + 2 <= nt; t += 2) FromBuffer<R, 2>(rows, factor, x + t0 + t, sb, acc + t);
        for (; t < nt; ++t) FromBuffer<R, 1>(rows, factor, x + t0 + t, sb, acc + t);
      }
      for (int64_t t = 0; t < nt; ++t) {
        for (int r = 0; r < R; ++r) out[(t0 + t) * ldo + r] = simd::HorizontalSum(acc[t][r]);
      }
    }
  }
};

// 2 rows once there are 2 tokens: each activation vector then feeds two rows, each unpacked group 2 or 4 tokens.
template <typename Format>
constexpr QuantDotKernel Make() {
  return {256, RunTiles<Kernel<Format>, 2, 2>};
}

}  // namespace
}  // namespace baleen::quant_internal::iq

namespace baleen::kernel_columns {

void AddAvx2IQuantDots(KernelColumn& column) {
  using namespace quant_internal::iq;
  column.Row(GgmlType::kIQ2_XXS).dot = Make<IQ2XXS>();
  column.Row(GgmlType::kIQ1_S).dot = Make<IQ1S>();
  column.Row(GgmlType::kIQ3_XXS).dot = Make<IQ3XXS>();
  column.Row(GgmlType::kIQ2_XS).dot = Make<IQ2XS>();
  column.Row(GgmlType::kIQ2_S).dot = Make<IQ2S>();
  column.Row(GgmlType::kIQ3_S).dot = Make<IQ3S>();
  column.Row(GgmlType::kIQ1_M).dot = Make<IQ1M>();
}

}  // namespace baleen::kernel_columns
