// Reference (de)quantizers for the 32-element block types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, IQ4_NL, MXFP4.
// Formats layer. Encoders take ggml's reference steps in the same order, so without an importance matrix their
// bytes match llama-quantize's (unless ggml was built to fuse multiply-adds); decoders match bit for bit.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "base/float16.h"
#include "formats/quants/iq_grids.h"  // kIq4NlValues, shared with IQ4_XS
#include "formats/quants/quants_internal.h"
#include "formats/quants/quants_scalar.h"
#include "formats/quants/strict_fp.h"  // no FMA contraction: exact reference numerics

namespace baleen::quants {
namespace {

// Block layouts of ggml-common.h; uint16_t d/m/s fields hold IEEE half bits.
struct BlockQ4_0 {
  static constexpr int kElems = 32;
  uint16_t d;
  uint8_t qs[16];  // codes 0..15 (x = d * (code - 8)), nibble-packed (NibbleOf32)
};
struct BlockQ4_1 {
  static constexpr int kElems = 32;
  uint16_t d;
  uint16_t m;
  uint8_t qs[16];
};
struct BlockQ5_0 {
  static constexpr int kElems = 32;
  uint16_t d;
  uint8_t qh[4];   // bit j (little-endian u32) is the fifth bit of element j
  uint8_t qs[16];  // low four bits, nibble-packed
};
struct BlockQ5_1 {
  static constexpr int kElems = 32;
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[16];
};
struct BlockQ8_0 {
  static constexpr int kElems = 32;
  uint16_t d;
  int8_t qs[32];
};
struct BlockQ8_1 {
  static constexpr int kElems = 32;
  uint16_t d;
  uint16_t s;  // d * sum(qs): lets a dot product against Q4_1/Q5_1 fold in their min
  int8_t qs[32];
};
struct BlockIQ4_NL {
  static constexpr int kElems = 32;
  uint16_t d;
  uint8_t qs[16];  // indices into kIq4NlValues, nibble-packed
};
struct BlockMXFP4 {
  static constexpr int kElems = 32;
  uint8_t e;       // E8M0 shared exponent: scale 2^(e - 127)
  uint8_t qs[16];  // E2M1 codes, nibble-packed
};
static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockIQ4_NL) == 18 && sizeof(BlockMXFP4) == 17);

// E2M1 values doubled (0, 0.5, 1, 1.5, 2, 3, 4, 6 become integers), sign in bit 3; hence the 2^(e-128) scale.
constexpr int8_t kMXFP4Values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

uint32_t FifthBits(const uint8_t* qh) {  // qh: [4]
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  return bits;
}

int FiveBitCode(const uint8_t* qs, const uint8_t* qh, int j) {
  return NibbleOf32(qs, j) | static_cast<int>(((FifthBits(qh) >> j) & 1) << 4);
}

// MXFP4's E8M0 exponent as the doubled-table scale 2^(e - 128); exact for every e (2^-128 is a float subnormal).
float MXFP4Scale(uint8_t e) { return std::ldexp(1.0f, static_cast<int>(e) - 128); }

// ---- Decoders -----------------------------------------------------------------------------------------------

void DecodeQ4_0(const BlockQ4_0& block, float* out) {
  const float d = Fp16ToFloat(block.d);
  for (int j = 0; j < 32; ++j) out[j] = static_cast<float>(NibbleOf32(block.qs, j) - 8) * d;
}

void DecodeQ4_1(const BlockQ4_1& block, float* out) {
  const float d = Fp16ToFloat(block.d);
  const float m = Fp16ToFloat(block.m);
  for (int j = 0; j < 32; ++j) out[j] = static_cast<float>(NibbleOf32(block.qs, j)) * d + m;
}

void DecodeQ5_0(const BlockQ5_0& block, float* out) {
  const float d = Fp16ToFloat(block.d);
  for (int j = 0; j < 32; ++j) out[j] = static_cast<float>(FiveBitCode(block.qs, block.qh, j) - 16) * d;
}

void DecodeQ5_1(const BlockQ5_1& block, float* out) {
  const float d = Fp16ToFloat(block.d);
  const float m = Fp16ToFloat(block.m);
  for (int j = 0; j < 32; ++j) out[j] = static_cast<float>(FiveBitCode(block.qs, block.qh, j)) * d + m;
}

void DecodeQ8_0(const BlockQ8_0& block, float* out) {
  const float d = Fp16ToFloat(block.d);
  for (int j = 0; j < 32; ++j) out[j] = static_cast<float>(block.qs[j]) * d;
}

void DecodeQ8_1(const BlockQ8_1& block, float* out) {  // s is redundant for decoding
  const float d = Fp16ToFloat(block.d);
  for (int j = 0; j < 32; ++j) out[j] = static_cast<float>(block.qs[j]) * d;
}

void DecodeIQ4_NL(const BlockIQ4_NL& block, float* out) {
  const float d = Fp16ToFloat(block.d);
  for (int j = 0; j < 32; ++j) out[j] = d * static_cast<float>(kIq4NlValues[NibbleOf32(block.qs, j)]);
}

void DecodeMXFP4(const BlockMXFP4& block, float* out) {
  const float d = MXFP4Scale(block.e);
  for (int j = 0; j < 32; ++j) out[j] = static_cast<float>(kMXFP4Values[NibbleOf32(block.qs, j)]) * d;
}

// ---- Encoders for the linear formats ------------------------------------------------------------------------
// Inputs must be finite. Scales beyond the fp16 range (|x| above about 65504 * 127 for Q8_0) become fp16 inf.

float AbsMax(const float* x) {  // x: [32]
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  return amax;
}

struct ValueRange {
  float min;
  float max;
};

ValueRange MinMax(const float* x) {  // x: [32]
  ValueRange range{x[0], x[0]};
  for (int j = 1; j < 32; ++j) {
    range.min = std::min(range.min, x[j]);
    range.max = std::max(range.max, x[j]);
  }
  return range;
}

// Codes of value x with an offset scale: trunc(x * inverse + bias), capped at max_code. `bias` is the zero point
// plus 0.5, and the argument is never negative, so truncation rounds half up, exactly as ggml does.
int OffsetCode(float x, float inverse, float bias, int max_code) {
  return std::min(max_code, static_cast<int>(x * inverse + bias));
}

void PackFiveBitCodes(const uint8_t* codes, uint8_t* qs, uint8_t* qh) {  // codes: [32] < 32; qs: [16]; qh: [4]
  uint8_t low_bits[32];
  uint32_t fifth_bits = 0;
  for (int j = 0; j < 32; ++j) {
    low_bits[j] = codes[j] & 0xF;
    fifth_bits |= static_cast<uint32_t>(codes[j] >> 4) << j;
  }
  PackNibbles32(low_bits, qs);
  std::memcpy(qh, &fifth_bits, 4);
}

BlockQ4_0 EncodeQ4_0(const float* x) {
  const float d = SignedAbsMax(x, 32) / -8;
  const float inverse = InverseOrZero(d);
  BlockQ4_0 block{};
  block.d = FloatToFp16(d);
  uint8_t codes[32];
  for (int j = 0; j < 32; ++j) codes[j] = static_cast<uint8_t>(OffsetCode(x[j], inverse, 8.5f, 15));
  PackNibbles32(codes, block.qs);
  return block;
}

// The _1 formats store min as the offset m; codes count steps of d = (max - min) / max_code up from it.
BlockQ4_1 EncodeQ4_1(const float* x) {
  const ValueRange range = MinMax(x);
  const float d = (range.max - range.min) / 15;
  const float inverse = InverseOrZero(d);
  BlockQ4_1 block{};
  block.d = FloatToFp16(d);
  block.m = FloatToFp16(range.min);
  uint8_t codes[32];
  for (int j = 0; j < 32; ++j) codes[j] = static_cast<uint8_t>(OffsetCode(x[j] - range.min, inverse, 0.5f, 15));
  PackNibbles32(codes, block.qs);
  return block;
}

BlockQ5_0 EncodeQ5_0(const float* x) {
  const float d = SignedAbsMax(x, 32) / -16;
  const float inverse = InverseOrZero(d);
  BlockQ5_0 block{};
  block.d = FloatToFp16(d);
  uint8_t codes[32];
  for (int j = 0; j < 32; ++j) codes[j] = static_cast<uint8_t>(OffsetCode(x[j], inverse, 16.5f, 31));
  PackFiveBitCodes(codes, block.qs, block.qh);
  return block;
}

BlockQ5_1 EncodeQ5_1(const float* x) {
  const ValueRange range = MinMax(x);
  const float d = (range.max - range.min) / 31;
  const float inverse = InverseOrZero(d);
  BlockQ5_1 block{};
  block.d = FloatToFp16(d);
  block.m = FloatToFp16(range.min);
  uint8_t codes[32];
  for (int j = 0; j < 32; ++j) codes[j] = static_cast<uint8_t>(OffsetCode(x[j] - range.min, inverse, 0.5f, 31));
  PackFiveBitCodes(codes, block.qs, block.qh);
  return block;
}

// Q8_0 and Q8_1 round half away from zero (std::round), like ggml's roundf, not to even.
BlockQ8_0 EncodeQ8_0(const float* x) {
  const float d = AbsMax(x) / 127;
  const float inverse = InverseOrZero(d);
  BlockQ8_0 block{};
  block.d = FloatToFp16(d);
  for (int j = 0; j < 32; ++j) block.qs[j] = static_cast<int8_t>(std::round(x[j] * inverse));
  return block;
}

BlockQ8_1 EncodeQ8_1(const float* x) {
  const float d = AbsMax(x) / 127;
  const float inverse = InverseOrZero(d);
  BlockQ8_1 block{};
  block.d = FloatToFp16(d);
  int sum = 0;
  for (int j = 0; j < 32; ++j) {
    block.qs[j] = static_cast<int8_t>(std::round(x[j] * inverse));
    sum += block.qs[j];
  }
  block.s = FloatToFp16(static_cast<float>(sum) * d);  // ggml uses the unrounded d here
  return block;
}

// ---- Encoders for the table formats -------------------------------------------------------------------------

// Index of the IQ4_NL value nearest to v; a tie goes to the larger value (as ggml's best_index_int8).
int NearestIQ4NLIndex(float v) {
  if (v <= kIq4NlValues[0]) return 0;
  if (v >= kIq4NlValues[15]) return 15;
  int upper = 1;
  while (v >= kIq4NlValues[upper]) ++upper;  // kIq4NlValues[upper - 1] <= v < kIq4NlValues[upper]
  return v - kIq4NlValues[upper - 1] < kIq4NlValues[upper] - v ? upper - 1 : upper;
}

// For codes fixed by one inverse scale, the weighted least-squares scale is d = sum_qx / sum_q2 and the weighted
// error drops by sum_qx^2 / sum_q2: the larger that gain, the better the candidate.
struct ScaleFit {
  float sum_qx = 0.0f;  // sum w * q * x
  float sum_q2 = 0.0f;  // sum w * q * q
};

ScaleFit FitIQ4NLScale(const float* x, const float* weights, float inverse) {  // x, weights: [32]
  ScaleFit fit;
  for (int j = 0; j < 32; ++j) {
    const float q = kIq4NlValues[NearestIQ4NLIndex(inverse * x[j])];
    fit.sum_qx += weights[j] * q * x[j];
    fit.sum_q2 += weights[j] * q * q;
  }
  return fit;
}

// ggml treats a block whose largest magnitude is below this as all zeros.
constexpr float kGroupMaxEps = 1e-15f;

// Searches the scale that minimises sum x^2 (x - d q)^2 over the table: weighting by x^2 favours the large
// weights, which dominate a dot product. Candidates map the extreme element onto -127 + t (t = -7..7) and onto
// +127; each candidate's codes get their least-squares scale, and the best is kept.
float SearchIQ4NLScale(const float* x) {  // x: [32]
  const float max = SignedAbsMax(x, 32);
  if (std::fabs(max) < kGroupMaxEps) return 0.0f;
  float weights[32];
  for (int j = 0; j < 32; ++j) weights[j] = x[j] * x[j];
  ScaleFit fit = FitIQ4NLScale(x, weights, 1 / (-max / kIq4NlValues[0]));
  float d = fit.sum_q2 > 0 ? fit.sum_qx / fit.sum_q2 : 0.0f;
  float best_gain = d * fit.sum_qx;
  for (int step = -7; step <= 7; ++step) {
    fit = FitIQ4NLScale(x, weights, static_cast<float>(step + kIq4NlValues[0]) / max);
    if (fit.sum_q2 > 0 && fit.sum_qx * fit.sum_qx > best_gain * fit.sum_q2) {
      d = fit.sum_qx / fit.sum_q2;
      best_gain = d * fit.sum_qx;
    }
  }
  return d;
}

BlockIQ4_NL EncodeIQ4_NL(const float* x) {
  const float d = SearchIQ4NLScale(x);
  const float inverse = InverseOrZero(d);  // codes use the unrounded d, as ggml's do
  BlockIQ4_NL block{};
  block.d = FloatToFp16(d);
  uint8_t codes[32];
  for (int j = 0; j < 32; ++j) codes[j] = static_cast<uint8_t>(NearestIQ4NLIndex(inverse * x[j]));
  PackNibbles32(codes, block.qs);
  return block;
}

// Index of the MXFP4 value nearest to x / d (first one on ties, so +0 rather than -0).
int NearestMXFP4Index(float x, float d) {
  int best = 0;
  float best_error = std::fabs(kMXFP4Values[0] * d - x);
  for (int i = 1; i < 16; ++i) {
    const float error = std::fabs(kMXFP4Values[i] * d - x);
    if (error < best_error) {
      best = i;
      best_error = error;
    }
  }
  return best;
}

// The OCP MX rule: shared exponent floor(log2(amax)) - 2, so the largest element lands in [4, 8) of the E2M1
// grid, whose top value is 6 (the top of the range clips). std::ilogb is exact where ggml's floorf(log2f(amax))
// can round up just below a power of two; the two differ only within a few ulps of one.
BlockMXFP4 EncodeMXFP4(const float* x) {
  const float amax = AbsMax(x);
  const int exponent = amax > 0 ? std::ilogb(amax) - 2 + 127 : 0;
  BlockMXFP4 block{};
  block.e = static_cast<uint8_t>(std::clamp(exponent, 0, 254));  // 255 encodes NaN
  const float d = MXFP4Scale(block.e);
  uint8_t codes[32];
  for (int j = 0; j < 32; ++j) codes[j] = static_cast<uint8_t>(NearestMXFP4Index(x[j], d));
  PackNibbles32(codes, block.qs);
  return block;
}

constexpr TypeKernels kLegacyKernels[] = {
    {GgmlType::kQ4_0, {DecodeRow<BlockQ4_0, DecodeQ4_0>, EncodeRow<BlockQ4_0, EncodeQ4_0>}},
    {GgmlType::kQ4_1, {DecodeRow<BlockQ4_1, DecodeQ4_1>, EncodeRow<BlockQ4_1, EncodeQ4_1>}},
    {GgmlType::kQ5_0, {DecodeRow<BlockQ5_0, DecodeQ5_0>, EncodeRow<BlockQ5_0, EncodeQ5_0>}},
    {GgmlType::kQ5_1, {DecodeRow<BlockQ5_1, DecodeQ5_1>, EncodeRow<BlockQ5_1, EncodeQ5_1>}},
    {GgmlType::kQ8_0, {DecodeRow<BlockQ8_0, DecodeQ8_0>, EncodeRow<BlockQ8_0, EncodeQ8_0>}},
    {GgmlType::kQ8_1, {DecodeRow<BlockQ8_1, DecodeQ8_1>, EncodeRow<BlockQ8_1, EncodeQ8_1>}},
    {GgmlType::kIQ4_NL, {DecodeRow<BlockIQ4_NL, DecodeIQ4_NL>, EncodeRow<BlockIQ4_NL, EncodeIQ4_NL>}},
    {GgmlType::kMXFP4, {DecodeRow<BlockMXFP4, DecodeMXFP4>, EncodeRow<BlockMXFP4, EncodeMXFP4>}},
};

}  // namespace

const RowKernels* FindLegacyKernels(GgmlType type) { return FindInTable(kLegacyKernels, type); }

}  // namespace baleen::quants
