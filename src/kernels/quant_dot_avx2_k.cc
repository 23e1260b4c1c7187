// AVX2 integer dot-product kernels for the 256-element formats Q2_K, Q3_K and IQ4_XS, and their column filler:
// VPMADDUBSW multiplies 32 codes by 32 activations into 16-bit pair sums, VPMADDWD those by the sub-block scales
// into 32-bit sums, and a super-block's integer sums are scaled once. Also used at the AVX-512 level on CPUs
// without VNNI.
#include <cstring>

#include "formats/quants/iq_grids.h"  // kIq4NlValues
#include "kernels/quant_dot_avx2.h"

namespace baleen::quant_internal::avx2 {
namespace {

// The 2-bit field of quarter k (elements 32k..32k+31, k < 8) of the super-block's qs[64], as Q2_K and Q3_K store
// their codes: quarter k of half h = k / 4 sits in bits 2(k mod 4) of qs bytes 32h..32h+31.
BALEEN_AVX2 inline __m256i TwoBitQuarter(const uint8_t* qs, int k) {
  const __m256i bytes = Load256(qs + 32 * (k / 4));
  return _mm256_and_si256(_mm256_srli_epi16(bytes, 2 * (k % 4)), _mm256_set1_epi8(3));
}

// Sixteen per-16-element scales (int8, in sub-block order) as int16, even sub-blocks in the low 128-bit lane and odd
// ones in the high lane, so that QuarterScales gives quarter k's pair of scales in one VPSHUFB: int16 k of each lane
// broadcast, sc_2k over the pair sums of its first 16 elements and sc_2k+1 over the next 16.
BALEEN_AVX2 inline __m256i EvenOddScales(__m128i scales) {
  return _mm256_cvtepi8_epi16(
      _mm_shuffle_epi8(scales, _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15)));
}

BALEEN_AVX2 inline __m256i QuarterScales(__m256i even_odd, int k) {
  return _mm256_shuffle_epi8(even_odd, _mm256_set1_epi16(static_cast<int16_t>(0x0100 + 0x0202 * k)));
}

// Q2_K: x = d·sc_s·q − dmin·m_s per 16-element sub-block s, codes q in [0, 3], sc_s and m_s the nibbles of
// scales[s]. Σ = d·Σ_s sc_s·(q·a)_s − dmin·Σ_s m_s·(Σ a)_s; the min part is one VPMADDWD of the sixteen m_s and
// the token's sums of 16.
struct Q2_KKernel {
  template <int R, int T>
  BALEEN_AVX2 static void Tile(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n, float* out,
                               int64_t ldo) {
    __m256 acc[R][T] = {};
    const __m128i nibble = _mm_set1_epi8(0x0F);
    for (int64_t sb = 0; sb < n / 256; ++sb) {
      const uint8_t* blocks[R];
      __m256i scales[R], mins[R];
      float d[R], dmin[R];
      for (int r = 0; r < R; ++r) {
        blocks[r] = w + r * row_bytes + sb * kQ2_KBytes;
        const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks[r]));
        scales[r] = EvenOddScales(_mm_and_si128(packed, nibble));
        mins[r] = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), nibble));
        d[r] = HalfAt(blocks[r] + 80);
        dmin[r] = HalfAt(blocks[r] + 82);
      }
      __m256i sums[R][T] = {};
      for (int k = 0; k < 8; ++k) {  // 32 elements, two scales, at a time
        __m256i codes[R], k_scales[R];
        for (int r = 0; r < R; ++r) {
          codes[r] = TwoBitQuarter(blocks[r] + 16, k);
          k_scales[r] = QuarterScales(scales[r], k);
        }
        for (int t = 0; t < T; ++t) {
          const __m256i a = Load256(x[t].qs + 256 * sb + 32 * k);
          for (int r = 0; r < R; ++r) {
            sums[r][t] =
                _mm256_add_epi32(sums[r][t], _mm256_madd_epi16(_mm256_maddubs_epi16(codes[r], a), k_scales[r]));
          }
        }
      }
      for (int t = 0; t < T; ++t) {
        const __m256i a_sums = Load256(x[t].sums + 16 * sb);
        const float da = x[t].d[sb];
        for (int r = 0; r < R; ++r) {
          const __m256 min_sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(mins[r], a_sums));
          acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[r][t]), _mm256_set1_ps(d[r] * da), acc[r][t]);
          acc[r][t] = _mm256_fnmadd_ps(min_sums, _mm256_set1_ps(dmin[r] * da), acc[r][t]);
        }
      }
    }
    StoreSums<R, T>(acc, out, ldo);
  }
};

// Q3_K's sixteen signed sub-block scales (6-bit codes minus 32) from its 12 packed bytes, four at a time: scale j
// keeps its low four bits in nibble j / 8 of byte j mod 8 and its top two at bits 2(j / 4) of byte 8 + j mod 4, so
// each group of four scales is one masked shift of the little-endian words u0 (bytes 0-3), u1 (4-7), u2 (8-11).
BALEEN_AVX2 inline __m128i Q3Scales(const uint8_t* packed) {
  uint32_t u[3];
  std::memcpy(u, packed, 12);
  const uint32_t low = 0x0F0F0F0F, top = 0x03030303;
  const __m128i codes = _mm_setr_epi32(static_cast<int>((u[0] & low) | (u[2] & top) << 4),
                                       static_cast<int>((u[1] & low) | (u[2] >> 2 & top) << 4),
                                       static_cast<int>((u[0] >> 4 & low) | (u[2] >> 4 & top) << 4),
                                       static_cast<int>((u[1] >> 4 & low) | (u[2] >> 6 & top) << 4));
  return _mm_sub_epi8(codes, _mm_set1_epi8(32));
}

// Q3_K: x = d·sc_s·(u − 4) per 16-element sub-block s, u = (two low bits) + 4·(hmask bit) in [0, 7]: quarter k's
// low bits as Q2_K's, its hmask bits at bit k of hmask bytes 0..31. Σ = d·(Σ_s sc_s·(u·a)_s − 4·Σ_s sc_s·(Σ a)_s).
struct Q3_KKernel {
  BALEEN_AVX2 static __m256i Codes(const uint8_t* block, int k) {
    const __m256i hmask = Load256(block);  // bit k moved to bit 2, where it is worth 4
    const __m256i moved = k < 2 ? _mm256_slli_epi16(hmask, 2 - k) : _mm256_srli_epi16(hmask, k - 2);
    return _mm256_or_si256(TwoBitQuarter(block + 32, k), _mm256_and_si256(moved, _mm256_set1_epi8(4)));
  }

  template <int R, int T>
  BALEEN_AVX2 static void Tile(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n, float* out,
                               int64_t ldo) {
    __m256 acc[R][T] = {};
    for (int64_t sb = 0; sb < n / 256; ++sb) {
      const uint8_t* blocks[R];
      __m256i scales[R], even_odd[R];
      float d[R];
      for (int r = 0; r < R; ++r) {
        blocks[r] = w + r * row_bytes + sb * kQ3_KBytes;
        const __m128i scales8 = Q3Scales(blocks[r] + 96);
        scales[r] = _mm256_cvtepi8_epi16(scales8);
        even_odd[r] = EvenOddScales(scales8);
        d[r] = HalfAt(blocks[r] + 108);
      }
      __m256i sums[R][T] = {};
      for (int k = 0; k < 8; ++k) {
        __m256i codes[R], k_scales[R];
        for (int r = 0; r < R; ++r) {
          codes[r] = Codes(blocks[r], k);
          k_scales[r] = QuarterScales(even_odd[r], k);
        }
        for (int t = 0; t < T; ++t) {
          const __m256i a = Load256(x[t].qs + 256 * sb + 32 * k);
          for (int r = 0; r < R; ++r) {
            sums[r][t] =
                _mm256_add_epi32(sums[r][t], _mm256_madd_epi16(_mm256_maddubs_epi16(codes[r], a), k_scales[r]));
          }
        }
      }
      for (int t = 0; t < T; ++t) {
        const __m256i a_sums = Load256(x[t].sums + 16 * sb);
        const float da = x[t].d[sb];
        for (int r = 0; r < R; ++r) {
          const __m256i bias = _mm256_slli_epi32(_mm256_madd_epi16(scales[r], a_sums), 2);
          const __m256 total = _mm256_cvtepi32_ps(_mm256_sub_epi32(sums[r][t], bias));
          acc[r][t] = _mm256_fmadd_ps(total, _mm256_set1_ps(d[r] * da), acc[r][t]);
        }
      }
    }
    StoreSums<R, T>(acc, out, ldo);
  }
};

// IQ4_XS's eight group scales (6-bit codes minus 32) as int16, in both 128-bit lanes: group g's low four bits are
// nibble g of the little-endian u32 at byte 4, its top two bits 2g of the u16 at byte 2.
BALEEN_AVX2 inline __m256i IQ4_XSScales(const uint8_t* block) {
  uint32_t low;
  std::memcpy(&low, block + 4, 4);
  const __m256i lows =
      _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(low)), _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28));
  const __m256i highs =
      _mm256_srlv_epi32(_mm256_set1_epi32(Load16(block + 2)), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14));
  const __m256i codes = _mm256_or_si256(_mm256_and_si256(lows, _mm256_set1_epi32(0xF)),
                                        _mm256_slli_epi32(_mm256_and_si256(highs, _mm256_set1_epi32(3)), 4));
  const __m256i packed = _mm256_packs_epi32(codes, codes);  // 64-bit quarters [s0-3, s0-3, s4-7, s4-7]
  return _mm256_permute4x64_epi64(_mm256_sub_epi16(packed, _mm256_set1_epi16(32)), _MM_SHUFFLE(2, 0, 2, 0));
}

// IQ4_XS: x = d·s_g·kIq4NlValues[q] per 32-element group g. Group g's 16 code bytes (at 8 + 16g) are packed as a
// Q4_0 block's. The table values are signed, so they multiply as |v| · sign(a, v).
struct IQ4_XSKernel {
  template <int R, int T>
  BALEEN_AVX2 static void Tile(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n, float* out,
                               int64_t ldo) {
    __m256 acc[R][T] = {};
    const __m256i table =
        _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(quants::kIq4NlValues)));
    for (int64_t sb = 0; sb < n / 256; ++sb) {
      const uint8_t* blocks[R];
      __m256i group_scales[R];
      float d[R];
      for (int r = 0; r < R; ++r) {
        blocks[r] = w + r * row_bytes + sb * kIQ4_XSBytes;
        group_scales[r] = IQ4_XSScales(blocks[r]);
        d[r] = HalfAt(blocks[r]);
      }
      __m256i sums[R][T] = {};
      for (int g = 0; g < 8; ++g) {
        __m256i values[R], magnitudes[R], scales[R];
        for (int r = 0; r < R; ++r) {
          values[r] = _mm256_shuffle_epi8(table, Nibbles(blocks[r] + 8 + 16 * g));
          magnitudes[r] = _mm256_abs_epi8(values[r]);
          scales[r] =
              _mm256_shuffle_epi8(group_scales[r], _mm256_set1_epi16(static_cast<int16_t>(0x0100 + 0x0202 * g)));
        }
        for (int t = 0; t < T; ++t) {
          const __m256i a = Load256(x[t].qs + 256 * sb + 32 * g);
          for (int r = 0; r < R; ++r) {
            const __m256i pairs = _mm256_maddubs_epi16(magnitudes[r], _mm256_sign_epi8(a, values[r]));
            sums[r][t] = _mm256_add_epi32(sums[r][t], _mm256_madd_epi16(pairs, scales[r]));
          }
        }
      }
      for (int t = 0; t < T; ++t) {
        const float da = x[t].d[sb];
        for (int r = 0; r < R; ++r) {
          acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[r][t]), _mm256_set1_ps(d[r] * da), acc[r][t]);
        }
      }
    }
    StoreSums<R, T>(acc, out, ldo);
  }
};

}  // namespace
}  // namespace baleen::quant_internal::avx2

namespace baleen::kernel_columns {

void AddAvx2KQuantDots(KernelColumn& column) {
  using namespace quant_internal::avx2;
  column.Row(GgmlType::kQ2_K).dot = Make<Q2_KKernel>(256);
  column.Row(GgmlType::kQ3_K).dot = Make<Q3_KKernel>(256);
  column.Row(GgmlType::kIQ4_XS).dot = Make<IQ4_XSKernel>(256);
}

}  // namespace baleen::kernel_columns
