// The activation quantizer, the scalar reference of the integer dot products (one function per weight format,
// written from the bit positions of quants_k_blocks.h and ggml's legacy block layouts, independently of the SIMD
// kernels' unpacking), the portable kernels built on it (the portable column of the kernel table).
#include "kernels/quant_dot.h"

#include <cfloat>
#include <cmath>
#include <cstring>

#include "base/float16.h"
#include "base/thread_pool.h"
#include "formats/quants/iq_grids.h"  // kIq4NlValues
#include "formats/quants/quants_k_blocks.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_dot_internal.h"

namespace baleen {
namespace {

using namespace quant_internal;

float Half(const uint8_t* p) { return Fp16ToFloat(Load16(p)); }

BlockTerms TermsQ8_0(const uint8_t* block, const int8_t* a, const int16_t*) {
  const int8_t* q = reinterpret_cast<const int8_t*>(block + 2);
  BlockTerms t{.scale = Half(block)};
  for (int i = 0; i < 32; ++i) t.sum += q[i] * a[i];
  return t;
}

BlockTerms TermsQ4_0(const uint8_t* block, const int8_t* a, const int16_t*) {
  const uint8_t* q = block + 2;
  BlockTerms t{.scale = Half(block)};
  for (int i = 0; i < 16; ++i) t.sum += ((q[i] & 0xF) - 8) * a[i] + ((q[i] >> 4) - 8) * a[i + 16];
  return t;
}

// The 32-element legacy formats, from ggml's block layouts: element j < 16 in the low nibble of qs[j], j ≥ 16 in the
// high nibble of qs[j − 16]; the fifth bit of element j is bit j of the little-endian u32 qh.
int LegacyNibble(const uint8_t* qs, int j) { return j < 16 ? qs[j] & 0xF : qs[j - 16] >> 4; }

int LegacyFifthBit(const uint8_t* qh, int j) {
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  return static_cast<int>((bits >> j) & 1);
}

// Q5_0: x = d·(q − 16).
BlockTerms TermsQ5_0(const uint8_t* block, const int8_t* a, const int16_t*) {
  BlockTerms t{.scale = Half(block)};
  for (int j = 0; j < 32; ++j) t.sum += (LegacyNibble(block + 6, j) + 16 * LegacyFifthBit(block + 2, j) - 16) * a[j];
  return t;
}

// Q4_1 and Q5_1: x = d·q + m, so Σ x·a = d·Σ q·a + m·Σ a, with Σ a the block's two sums of 16.
BlockTerms TermsWithMin(const uint8_t* block, const uint8_t* qh, const uint8_t* qs, const int8_t* a,
                        const int16_t* sums) {
  BlockTerms t{.scale = Half(block), .min_scale = -Half(block + 2), .min_sum = sums[0] + sums[1]};
  for (int j = 0; j < 32; ++j) {
    const int q = LegacyNibble(qs, j) + (qh != nullptr ? 16 * LegacyFifthBit(qh, j) : 0);
    t.sum += q * a[j];
  }
  return t;
}

BlockTerms TermsQ4_1(const uint8_t* block, const int8_t* a, const int16_t* sums) {
  return TermsWithMin(block, nullptr, block + 4, a, sums);
}

BlockTerms TermsQ5_1(const uint8_t* block, const int8_t* a, const int16_t* sums) {
  return TermsWithMin(block, block + 4, block + 8, a, sums);
}

// IQ4_NL: x = d·kIq4NlValues[q], a non-uniform table of 16 levels in [-127, 113].
BlockTerms TermsIQ4_NL(const uint8_t* block, const int8_t* a, const int16_t*) {
  BlockTerms t{.scale = Half(block)};
  for (int j = 0; j < 32; ++j) t.sum += quants::kIq4NlValues[LegacyNibble(block + 2, j)] * a[j];
  return t;
}

// Q4_K and Q5_K: x = d·sc_j·q − dmin·m_j per 32-element sub-block j; the min part needs only Σ a per sub-block.
BlockTerms TermsKWithMins(const uint8_t* block, const uint8_t* qh, const uint8_t* qs, const int8_t* a,
                          const int16_t* sums) {
  BlockTerms t{.scale = Half(block), .min_scale = Half(block + 2)};
  for (int j = 0; j < 8; ++j) {
    const quants::ScaleMin sm = quants::UnpackScaleMin(block + 4, j);
    int32_t sub = 0;
    for (int e = 32 * j; e < 32 * j + 32; ++e) {
      int q = quants::ReadBits(qs, quants::NibblePosition(e), 0xF);
      if (qh != nullptr) q |= quants::ReadBits(qh, quants::HighBitPosition(e), 1) << 4;
      sub += q * a[e];
    }
    t.sum += sm.scale * sub;
    t.min_sum += sm.min * (sums[2 * j] + sums[2 * j + 1]);
  }
  return t;
}

BlockTerms TermsQ4_K(const uint8_t* block, const int8_t* a, const int16_t* sums) {
  return TermsKWithMins(block, nullptr, block + 16, a, sums);
}

BlockTerms TermsQ5_K(const uint8_t* block, const int8_t* a, const int16_t* sums) {
  return TermsKWithMins(block, block + 16, block + 48, a, sums);
}

// Q6_K: x = d·sc_s·(q − 32) per 16-element sub-block s.
BlockTerms TermsQ6_K(const uint8_t* block, const int8_t* a, const int16_t*) {
  const uint8_t* ql = block;
  const uint8_t* qh = block + 128;
  const int8_t* scales = reinterpret_cast<const int8_t*>(block + 192);
  BlockTerms t{.scale = Half(block + 208)};
  for (int s = 0; s < 16; ++s) {
    int32_t sub = 0;
    for (int e = 16 * s; e < 16 * s + 16; ++e) {
      const int q = quants::ReadBits(ql, quants::Q6LowPosition(e), 0xF) |
                    (quants::ReadBits(qh, quants::TwoBitPosition(e), 3) << 4);
      sub += (q - 32) * a[e];
    }
    t.sum += scales[s] * sub;
  }
  return t;
}

// Q2_K: x = d·sc_s·q − dmin·m_s per 16-element sub-block s, q the 2-bit code at TwoBitPosition; sc_s and m_s are
// the low and high nibbles of scales[s]. The min part needs only Σ a per sub-block.
BlockTerms TermsQ2_K(const uint8_t* block, const int8_t* a, const int16_t* sums) {
  const uint8_t* scales = block;
  const uint8_t* qs = block + 16;
  BlockTerms t{.scale = Half(block + 80), .min_scale = Half(block + 82)};
  for (int s = 0; s < 16; ++s) {
    int32_t sub = 0;
    for (int e = 16 * s; e < 16 * s + 16; ++e) sub += quants::ReadBits(qs, quants::TwoBitPosition(e), 3) * a[e];
    t.sum += (scales[s] & 0xF) * sub;
    t.min_sum += (scales[s] >> 4) * sums[s];
  }
  return t;
}

// Q3_K: x = d·(sc_s − 32)·v per 16-element sub-block s, v the two low bits at TwoBitPosition minus 4 where the
// hmask bit at HighBitPosition is clear.
BlockTerms TermsQ3_K(const uint8_t* block, const int8_t* a, const int16_t*) {
  const uint8_t* hmask = block;
  const uint8_t* qs = block + 32;
  const uint8_t* scales = block + 96;
  BlockTerms t{.scale = Half(block + 108)};
  for (int s = 0; s < 16; ++s) {
    int32_t sub = 0;
    for (int e = 16 * s; e < 16 * s + 16; ++e) {
      const int low = quants::ReadBits(qs, quants::TwoBitPosition(e), 3);
      const int high = quants::ReadBits(hmask, quants::HighBitPosition(e), 1);
      sub += (low - (high != 0 ? 0 : 4)) * a[e];
    }
    t.sum += (quants::UnpackQ3ScaleCode(scales, s) - 32) * sub;
  }
  return t;
}

// IQ4_XS: x = d·(s_g − 32)·kIq4NlValues[q] per 32-element group g. The 6-bit s_g: its low four bits in nibble g % 2
// of byte 4 + g / 2, its top two at bits 2g of the u16 at byte 2. Group g's codes are the 16 bytes at 8 + 16g:
// elements 0..15 in the low nibbles, 16..31 in the high ones.
BlockTerms TermsIQ4_XS(const uint8_t* block, const int8_t* a, const int16_t*) {
  BlockTerms t{.scale = Half(block)};
  for (int g = 0; g < 8; ++g) {
    const int low = (block[4 + g / 2] >> (4 * (g % 2))) & 0xF;
    const int high = (Load16(block + 2) >> (2 * g)) & 3;
    const uint8_t* qs = block + 8 + 16 * g;
    int32_t sub = 0;
    for (int j = 0; j < 16; ++j) {
      sub += quants::kIq4NlValues[qs[j] & 0xF] * a[32 * g + j] + quants::kIq4NlValues[qs[j] >> 4] * a[32 * g + 16 + j];
    }
    t.sum += ((low | high << 4) - 32) * sub;
  }
  return t;
}

// MXFP4: x = 2^(e − 128)·kMxfp4Values[q], e the block's first byte, the nibbles packed as Q4_0's after it. The
// scale is a float subnormal for e < 2, still exact.
BlockTerms TermsMXFP4(const uint8_t* block, const int8_t* a, const int16_t*) {
  BlockTerms t{.scale = std::ldexp(1.0f, static_cast<int>(block[0]) - 128)};
  for (int j = 0; j < 32; ++j) t.sum += kMxfp4Values[LegacyNibble(block + 1, j)] * a[j];
  return t;
}

const ScalarFormat* FindLegacyAndKScalarFormat(GgmlType type) {
  static constexpr ScalarFormat kQ8_0{32, kQ8_0Bytes, TermsQ8_0}, kQ4_0{32, kQ4_0Bytes, TermsQ4_0};
  static constexpr ScalarFormat kQ4_K{256, kQ4_KBytes, TermsQ4_K}, kQ5_K{256, kQ5_KBytes, TermsQ5_K};
  static constexpr ScalarFormat kQ6_K{256, kQ6_KBytes, TermsQ6_K};
  static constexpr ScalarFormat kQ4_1{32, kQ4_1Bytes, TermsQ4_1}, kQ5_0{32, kQ5_0Bytes, TermsQ5_0};
  static constexpr ScalarFormat kQ5_1{32, kQ5_1Bytes, TermsQ5_1}, kIQ4_NL{32, kIQ4_NLBytes, TermsIQ4_NL};
  static constexpr ScalarFormat kQ2_K{256, kQ2_KBytes, TermsQ2_K}, kQ3_K{256, kQ3_KBytes, TermsQ3_K};
  static constexpr ScalarFormat kIQ4_XS{256, kIQ4_XSBytes, TermsIQ4_XS}, kMXFP4{32, kMXFP4Bytes, TermsMXFP4};
  switch (type) {
    case GgmlType::kQ8_0: return &kQ8_0;
    case GgmlType::kQ4_0: return &kQ4_0;
    case GgmlType::kQ4_1: return &kQ4_1;
    case GgmlType::kQ5_0: return &kQ5_0;
    case GgmlType::kQ5_1: return &kQ5_1;
    case GgmlType::kIQ4_NL: return &kIQ4_NL;
    case GgmlType::kQ4_K: return &kQ4_K;
    case GgmlType::kQ5_K: return &kQ5_K;
    case GgmlType::kQ6_K: return &kQ6_K;
    case GgmlType::kQ2_K: return &kQ2_K;
    case GgmlType::kQ3_K: return &kQ3_K;
    case GgmlType::kIQ4_XS: return &kIQ4_XS;
    case GgmlType::kMXFP4: return &kMXFP4;
    default: return nullptr;
  }
}

}  // namespace

const quant_internal::ScalarFormat* quant_internal::FindScalarFormat(GgmlType type) {
  if (const ScalarFormat* f = FindLegacyAndKScalarFormat(type)) return f;
  return FindIQuantScalarFormat(type);
}

void QuantizeActivationRowReference(const float* x, int64_t n, int block, int8_t* qs, float* d, int16_t* sums) {
  for (int64_t b = 0; b < n / block; ++b) {
    const float* xb = x + b * block;
    float amax = 0.0f;
    for (int i = 0; i < block; ++i) amax = std::max(amax, std::fabs(xb[i]));
    // 127 / amax overflows for amax below about 4e-37; such a block is zero to 8 bits anyway.
    float inverse = amax > 0.0f ? 127.0f / amax : 0.0f;
    if (!(inverse <= FLT_MAX)) inverse = 0.0f;
    d[b] = inverse == 0.0f ? 0.0f : amax / 127.0f;
    for (int i = 0; i < block; ++i) {
      // Finite inputs give codes in [-127, 127]. NaN or infinite ones give -128, as VCVTPS2DQ's "integer
      // indefinite" saturated to 8 bits does, instead of an undefined conversion.
      const float v = std::nearbyint(xb[i] * inverse);
      qs[b * block + i] = v >= -128.0f && v <= 127.0f ? static_cast<int8_t>(v) : int8_t{-128};
    }
  }
  for (int64_t g = 0; g < n / 16; ++g) {
    int sum = 0;
    for (int i = 0; i < 16; ++i) sum += qs[16 * g + i];
    sums[g] = static_cast<int16_t>(sum);
  }
}

void QuantizeActivations(const float* x, int64_t n_tokens, int64_t cols, int block, QuantizedActivations& out) {
  out.block = block;
  out.cols = cols;
  out.n_tokens = n_tokens;
  const size_t n = static_cast<size_t>(n_tokens * cols);
  if (out.qs.size() < n) out.qs.resize(n);
  if (out.d.size() < n / block) out.d.resize(n / block);
  if (out.sums.size() < n / 16) out.sums.resize(n / 16);
#if defined(__x86_64__)
  const auto quantize = KernelIsa() >= IsaLevel::kAvx512 ? QuantizeRowAvx512
                        : KernelIsa() >= IsaLevel::kAvx2 ? QuantizeRowAvx2
                                                         : QuantizeActivationRowReference;
#else
  const auto quantize = QuantizeActivationRowReference;
#endif
  const auto body = [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) {
      quantize(x + t * cols, cols, block, &out.qs[t * cols], &out.d[t * cols / block], &out.sums[t * cols / 16]);
    }
  };
  // A decode step's few tokens are quicker on the caller than handed to the pool.
  if (n_tokens * cols < (1 << 16)) {
    body(0, n_tokens, 0);
  } else {
    ParallelFor(n_tokens, 1, body);
  }
}

Q8Row TokenRow(const QuantizedActivations& act, int64_t t) {
  return {&act.qs[t * act.cols], &act.d[t * act.cols / act.block], &act.sums[t * act.cols / 16]};
}

double QuantDotReference(GgmlType type, const uint8_t* row, const Q8Row& x, int64_t n) {
  const ScalarFormat* f = FindScalarFormat(type);
  if (f == nullptr) return NAN;
  double total = 0.0;
  for (int64_t b = 0; b < n / f->elems; ++b) {
    const BlockTerms t = f->terms(row + b * f->bytes, x.qs + b * f->elems, x.sums + b * f->elems / 16);
    total += double(x.d[b]) * (double(t.scale) * t.sum - double(t.min_scale) * t.min_sum);
  }
  return total;
}

void kernel_columns::AddPortableDots(KernelColumn& column) {
  column.Row(GgmlType::kQ8_0).dot = {32, PortableTile<GgmlType::kQ8_0>};
  column.Row(GgmlType::kQ4_0).dot = {32, PortableTile<GgmlType::kQ4_0>};
  column.Row(GgmlType::kQ4_1).dot = {32, PortableTile<GgmlType::kQ4_1>};
  column.Row(GgmlType::kQ5_0).dot = {32, PortableTile<GgmlType::kQ5_0>};
  column.Row(GgmlType::kQ5_1).dot = {32, PortableTile<GgmlType::kQ5_1>};
  column.Row(GgmlType::kIQ4_NL).dot = {32, PortableTile<GgmlType::kIQ4_NL>};
  column.Row(GgmlType::kQ4_K).dot = {256, PortableTile<GgmlType::kQ4_K>};
  column.Row(GgmlType::kQ5_K).dot = {256, PortableTile<GgmlType::kQ5_K>};
  column.Row(GgmlType::kQ6_K).dot = {256, PortableTile<GgmlType::kQ6_K>};
  column.Row(GgmlType::kQ2_K).dot = {256, PortableTile<GgmlType::kQ2_K>};
  column.Row(GgmlType::kQ3_K).dot = {256, PortableTile<GgmlType::kQ3_K>};
  column.Row(GgmlType::kIQ4_XS).dot = {256, PortableTile<GgmlType::kIQ4_XS>};
  column.Row(GgmlType::kMXFP4).dot = {32, PortableTile<GgmlType::kMXFP4>};
}

const QuantDotKernel* QuantDot(GgmlType type, IsaLevel level) {
  const TypeKernels* row = KernelRow(type, level);
  return row != nullptr && row->dot.tile != nullptr ? &row->dot : nullptr;
}

const QuantDotKernel* QuantDot(GgmlType type) {
  const TypeKernels* row = KernelRow(type);
  return row != nullptr && row->dot.tile != nullptr ? &row->dot : nullptr;
}

}  // namespace baleen
