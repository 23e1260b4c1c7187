// What the integer dot-product kernels of each ISA level share: the tile driver that splits any rows × tokens
// rectangle into fixed-size register tiles, block byte helpers and the activation quantizers. Kernels layer,
// private to quant_dot*.cc.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/quant_dot.h"

namespace baleen::quant_internal {

// Block sizes in bytes of the weight formats with integer kernels.
constexpr int kQ8_0Bytes = 34;   // f16 d, int8 qs[32]
constexpr int kQ4_0Bytes = 18;   // f16 d, uint8 qs[16]: element j in the low nibble of qs[j], j + 16 in the high one
// Q4_1, Q5_0, Q5_1: x = d·q + m (Q4_1, Q5_1) or d·(q − 16) (Q5_0); qh: bit j of the little-endian u32 is the fifth
// bit of element j. IQ4_NL: x = d·kIq4NlValues[q], the nibbles packed as Q4_0's.
constexpr int kQ4_1Bytes = 20;    // f16 d, f16 m, uint8 qs[16]
constexpr int kQ5_0Bytes = 22;    // f16 d, uint8 qh[4], uint8 qs[16]
constexpr int kQ5_1Bytes = 24;    // f16 d, f16 m, uint8 qh[4], uint8 qs[16]
constexpr int kIQ4_NLBytes = 18;  // f16 d, uint8 qs[16]
constexpr int kQ4_KBytes = 144;  // f16 d, f16 dmin, scales[12], qs[128]
constexpr int kQ5_KBytes = 176;  // f16 d, f16 dmin, scales[12], qh[32], qs[128]
constexpr int kQ6_KBytes = 210;  // ql[128], qh[64], int8 scales[16], f16 d
constexpr int kQ2_KBytes = 84;   // scales[16] (scale low nibble, min high nibble), qs[64], f16 d, f16 dmin
constexpr int kQ3_KBytes = 110;  // hmask[32], qs[64], scales[12] (6-bit, bias 32), f16 d
constexpr int kIQ4_XSBytes = 136;  // f16 d, u16 scales_h, scales_l[4], qs[128]
constexpr int kMXFP4Bytes = 17;    // E8M0 exponent e, qs[16] (nibbles packed as Q4_0's)

// MXFP4's E2M1 values doubled, sign in bit 3, so they are integers and the block scale is 2^(e − 128).
alignas(16) inline constexpr int8_t kMxfp4Values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// 2^(e − 128) from the bits: a normal float's biased exponent e − 1 for e ≥ 2, the subnormals 2^-127 and 2^-128
// (mantissa bit 22 and 21) below. Exact for every e, and quicker than ldexp in the kernels.
inline float E8M0Scale(uint8_t e) {
  const uint32_t bits = e >= 2 ? static_cast<uint32_t>(e - 1) << 23 : uint32_t{0x00200000} << e;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return scale;
}

inline uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// The eight 6-bit sub-block scales and mins of a Q4_K/Q5_K super-block (scales: its 12 packed bytes) as eight
// bytes each, sub-block j in byte j. The packing is quants_k_blocks.h's UnpackScaleMin, done four bytes at a time.
struct ScaleMinBytes {
  uint64_t scales;
  uint64_t mins;
};

inline ScaleMinBytes UnpackScaleMinBytes(const uint8_t* scales) {
  uint32_t u[3];
  std::memcpy(u, scales, 12);
  const uint32_t scale_lo = u[0] & 0x3f3f3f3f, min_lo = u[1] & 0x3f3f3f3f;
  const uint32_t scale_hi = (u[2] & 0x0f0f0f0f) | ((u[0] >> 2) & 0x30303030);
  const uint32_t min_hi = ((u[2] >> 4) & 0x0f0f0f0f) | ((u[1] >> 2) & 0x30303030);
  return {scale_lo | static_cast<uint64_t>(scale_hi) << 32, min_lo | static_cast<uint64_t>(min_hi) << 32};
}

// R rows against every token through Kernel::Tile<R, T>(w, row_bytes, x, n, out, ldo): tiles of kT tokens, then
// single tokens. Kernels compute each (row, token) pair with the same operations in every instantiation, so the
// split does not change any result.
template <typename Kernel, int R, int kT>
void RunTokens(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n_tokens, int64_t n, float* out,
               int64_t ldo) {
  int64_t t = 0;
  for (; t + kT <= n_tokens; t += kT) Kernel::template Tile<R, kT>(w, row_bytes, x + t, n, out + t * ldo, ldo);
  for (; t < n_tokens; ++t) Kernel::template Tile<R, 1>(w, row_bytes, x + t, n, out + t * ldo, ldo);
}

// R rows against every token: the kernel's own Panel<R, kT> where it has one (kPanels), else RunTokens.
template <typename Kernel, int R, int kT>
void RunRows(const uint8_t* w, uint64_t row_bytes, const Q8Row* x, int64_t n_tokens, int64_t n, float* out,
             int64_t ldo) {
  if constexpr (requires { Kernel::kPanels; }) {
    Kernel::template Panel<R, kT>(w, row_bytes, x, n_tokens, n, out, ldo);
  } else {
    RunTokens<Kernel, R, kT>(w, row_bytes, x, n_tokens, n, out, ldo);
  }
}

// n_rows × n_tokens: groups of kR rows when there are at least kT tokens, single rows otherwise and at the end.
template <typename Kernel, int kR, int kT>
void RunTiles(const uint8_t* w, uint64_t row_bytes, int64_t n_rows, const Q8Row* x, int64_t n_tokens, int64_t n,
              float* out, int64_t ldo) {
  int64_t r = 0;
  // With fewer tokens than a tile the weights stream from memory once, and one row at a time keeps that stream
  // contiguous: four rows in step are four short strided streams, which the hardware prefetchers follow badly
  // (Q8_0 decode ran at 60% of the memory bandwidth that way).
  if (n_tokens >= kT) {
    for (; r + kR <= n_rows; r += kR) {
      RunRows<Kernel, kR, kT>(w + r * row_bytes, row_bytes, x, n_tokens, n, out + r, ldo);
    }
  }
  for (; r < n_rows; ++r) RunRows<Kernel, 1, kT>(w + r * row_bytes, row_bytes, x, n_tokens, n, out + r, ldo);
}

// ---- The scalar reference, one block at a time ------------------------------------------------------------------

// One weight block against its activation block: contribution = d_x · (scale · sum − min_scale · min_sum), where
// the sums are exact integers. Formats without a min leave min_sum 0.
struct BlockTerms {
  float scale = 0;
  int32_t sum = 0;
  float min_scale = 0;
  int32_t min_sum = 0;
};

// a: the block's activation codes; sums: their sums per 16.
using TermsFn = BlockTerms (*)(const uint8_t* block, const int8_t* a, const int16_t* sums);

struct ScalarFormat {
  int elems;  // per weight block, equal to the activation block
  int bytes;
  TermsFn terms;
};

// The format of `type`, or nullptr: the legacy formats and the K-quants (quant_dot.cc), then the codebook i-quants
// (quant_dot_reference_iq.cc).
const ScalarFormat* FindScalarFormat(GgmlType type);
const ScalarFormat* FindIQuantScalarFormat(GgmlType type);

// The portable kernel: the reference's integer sums, scaled and accumulated in float.
template <GgmlType kType>
void PortableTile(const uint8_t* w, uint64_t row_bytes, int64_t n_rows, const Q8Row* x, int64_t n_tokens,
                  int64_t n, float* out, int64_t ldo) {
  const ScalarFormat& f = *FindScalarFormat(kType);
  for (int64_t r = 0; r < n_rows; ++r) {
    const uint8_t* row = w + r * row_bytes;
    for (int64_t t = 0; t < n_tokens; ++t) {
      float acc = 0.0f;
      for (int64_t b = 0; b < n / f.elems; ++b) {
        const BlockTerms terms = f.terms(row + b * f.bytes, x[t].qs + b * f.elems, x[t].sums + b * f.elems / 16);
        acc += x[t].d[b] * (terms.scale * static_cast<float>(terms.sum) -
                            terms.min_scale * static_cast<float>(terms.min_sum));
      }
      out[t * ldo + r] = acc;
    }
  }
}

// Per-level activation quantizers of one token (same contract as QuantizeActivationRowReference), in
// quantize_activations.cc (x86 only; other architectures run the reference).
#if defined(__x86_64__)
void QuantizeRowAvx512(const float* x, int64_t n, int block, int8_t* qs, float* d, int16_t* sums);
void QuantizeRowAvx2(const float* x, int64_t n, int block, int8_t* qs, float* d, int16_t* sums);
#endif

}  // namespace baleen::quant_internal
