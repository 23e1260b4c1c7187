// AVX-512 VNNI integer dot-product kernels for the codebook i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS,
// IQ3_S). Two 32-element groups of quant_dot_iq_groups.h make a 512-bit vector, the weight signs a byte mask; per 64
// elements a token then costs a masked negation of its activations, VPMADDUBSW, and VPDPWSSD by the sub-block
// multipliers (AVX2 needs twice the vectors and an extra add). From 8 tokens on, a super-block of the rows is
// unpacked once into a buffer and met by up to 64 tokens.
//
// The super-block's integer sums are folded to eight lanes before the float step. Integer sums are exact, so tiles
// of fewer than 4 tokens (decoding above all) can skip joining the groups and use 256-bit vectors, and still give
// the same bits as the 512-bit paths.
#include <algorithm>

#include "kernels/kernel_table.h"
#include "kernels/quant_dot_avx512.h"  // BALEEN_VNNI, Join
#include "kernels/quant_dot_iq_groups.h"

namespace baleen::quant_internal::iq {
namespace {

using avx512::Join;

// Groups 2c and 2c + 1 of a super-block.
struct Chunk {
  __m512i mag, scale;
  __mmask64 negative;  // the elements whose weight is negative
};

BALEEN_VNNI inline Chunk JoinGroups(const Group& lo, const Group& hi) {
  return {Join(lo.mag, hi.mag), Join(lo.scale, hi.scale), _mm512_movepi8_mask(Join(lo.sgn, hi.sgn))};
}

BALEEN_VNNI inline __m512i AddChunk(__m512i sums, const Chunk& chunk, __m512i a) {
  const __m512i signed_a = _mm512_mask_sub_epi8(a, chunk.negative, _mm512_setzero_si512(), a);
  return _mm512_dpwssd_epi32(sums, _mm512_maddubs_epi16(chunk.mag, signed_a), chunk.scale);
}

// One group against 32 activations in 8 lanes, as the AVX2 kernel does (VPDPWSSD saves its add).
BALEEN_VNNI inline __m256i AddGroup(__m256i sums, const Group& group, __m256i a) {
  const __m256i pairs = _mm256_maddubs_epi16(group.mag, _mm256_sign_epi8(a, group.sgn));
  return _mm256_dpwssd_epi32(sums, pairs, group.scale);
}

BALEEN_VNNI inline __m256i Fold(__m512i sums) {
  return _mm256_add_epi32(_mm512_castsi512_si256(sums), _mm512_extracti64x4_epi64(sums, 1));
}

// Every (row, token) pair goes through the same integer sums, folded to the same 8 lanes, and the same float steps.
template <typename Format>
struct Kernel {
  static constexpr bool kPanels = true;
  static constexpr int64_t kBufferTokens = 8, kMaxTokens = 64;

  BALEEN_VNNI static __m512i Load(const int8_t* p) { return _mm512_loadu_si512(p); }

  // The super-block's folded sums and the float step of one pair.
  BALEEN_VNNI static __m256 Step(__m256 acc, __m256i sums, float factor, float d) {
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_set1_ps(factor * d), acc);
  }

  // R rows × T tokens, each group unpacked straight into 256-bit multiply-adds: quicker than joining pairs of groups
  // for fewer than 4 tokens (decoding above all).
  template <int R, int T>
  BALEEN_VNNI static void NarrowTile(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n, float* out,
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
          const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[t].qs + 256 * sb + 32 * g));
          for (int r = 0; r < R; ++r) sums[r][t] = AddGroup(sums[r][t], groups[r], a);
        }
      }
      for (int r = 0; r < R; ++r) {
        const float factor = Format::Factor(w + r * row_bytes + sb * Format::kBytes);
        for (int t = 0; t < T; ++t) acc[r][t] = Step(acc[r][t], sums[r][t], factor, x[t].d[sb]);
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) out[t * ldo + r] = simd::HorizontalSum(acc[r][t]);
    }
  }

  // R rows × T tokens, each pair of groups unpacked and joined once for the T tokens.
  template <int R, int T>
  BALEEN_VNNI static void Tile(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n, float* out,
                                  int64_t ldo) {
    const int8_t* grid = Format::Grid();
    __m256 acc[R][T];
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
    }
    for (int64_t sb = 0; sb < n / 256; ++sb) {
      __m512i sums[R][T];
      for (int r = 0; r < R; ++r) {
        for (int t = 0; t < T; ++t) sums[r][t] = _mm512_setzero_si512();
      }
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c) {
        Chunk chunks[R];
        for (int r = 0; r < R; ++r) {
          const uint8_t* block = w + r * row_bytes + sb * Format::kBytes;
          chunks[r] = JoinGroups(Format::Unpack(block, grid, 2 * c), Format::Unpack(block, grid, 2 * c + 1));
        }
        for (int t = 0; t < T; ++t) {
          const __m512i a = Load(x[t].qs + 256 * sb + 64 * c);
          for (int r = 0; r < R; ++r) sums[r][t] = AddChunk(sums[r][t], chunks[r], a);
        }
      }
      for (int r = 0; r < R; ++r) {
        const float factor = Format::Factor(w + r * row_bytes + sb * Format::kBytes);
        for (int t = 0; t < T; ++t) acc[r][t] = Step(acc[r][t], Fold(sums[r][t]), factor, x[t].d[sb]);
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) out[t * ldo + r] = simd::HorizontalSum(acc[r][t]);
    }
  }

  // T tokens against R rows' unpacked super-block sb: each buffered chunk loaded once for the T tokens.
  template <int R, int T>
  BALEEN_VNNI static void FromBuffer(const Chunk (&rows)[R][4], const float (&factor)[R], const Q8Row* x, int64_t sb,
                                        __m256 (*acc)[R]) {
    __m512i sums[T][R];
    for (int t = 0; t < T; ++t) {
      for (int r = 0; r < R; ++r) sums[t][r] = _mm512_setzero_si512();
    }
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      for (int r = 0; r < R; ++r) {
        const Chunk chunk = rows[r][c];
        for (int t = 0; t < T; ++t) sums[t][r] = AddChunk(sums[t][r], chunk, Load(x[t].qs + 256 * sb + 64 * c));
      }
    }
    for (int t = 0; t < T; ++t) {
      for (int r = 0; r < R; ++r) acc[t][r] = Step(acc[t][r], Fold(sums[t][r]), factor[r], x[t].d[sb]);
    }
  }

  // Few tokens: tiles of 4, 2, 1 tokens. Many: a super-block of the rows unpacked once into a buffer for up to 64
  // tokens.
  template <int R, int kT>
  BALEEN_VNNI static void Panel(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n_tokens, int64_t n,
                                   float* out, int64_t ldo) {
    if (n_tokens < kBufferTokens) {
      int64_t t = 0;
      for (; t + 4 <= n_tokens; t += 4) Tile<R, 4>(w, row_bytes, x + t, n, out + t * ldo, ldo);
      for (; t + 2 <= n_tokens; t += 2) NarrowTile<R, 2>(w, row_bytes, x + t, n, out + t * ldo, ldo);
      for (; t < n_tokens; ++t) NarrowTile<R, 1>(w, row_bytes, x + t, n, out + t * ldo, ldo);
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
        Chunk rows[R][4];
        float factor[R];
        for (int r = 0; r < R; ++r) {
          const uint8_t* block = w + r * row_bytes + sb * Format::kBytes;
          factor[r] = Format::Factor(block);
          for (int c = 0; c < 4; ++c) {
            rows[r][c] = JoinGroups(Format::Unpack(block, grid, 2 * c), Format::Unpack(block, grid, 2 * c + 1));
          }
        }
        int64_t t = 0;
        for (; t + 4 <= nt; t += 4) FromBuffer<R, 4>(rows, factor, x + t0 + t, sb, acc + t);
        for (; t < nt; ++t) FromBuffer<R, 1>(rows, factor, x + t0 + t, sb, acc + t);
      }
      for (int64_t t = 0; t < nt; ++t) {
        for (int r = 0; r < R; ++r) out[(t0 + t) * ldo + r] = simd::HorizontalSum(acc[t][r]);
      }
    }
  }
};

// 2 rows once there are 2 tokens.
template <typename Format>
constexpr QuantDotKernel Make() {
  return {256, RunTiles<Kernel<Format>, 2, 2>};
}

}  // namespace
}  // namespace baleen::quant_internal::iq

namespace baleen::kernel_columns {

void AddAvx512VnniIQuantDots(KernelColumn& column) {
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
