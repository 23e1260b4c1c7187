// Scalar reference (de)quantizers for the 256-element codebook ("i-quant") and ternary GGUF formats:
// IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_XS, TQ1_0, TQ2_0. Formats layer.
// Byte layouts and the float operation order are the ecosystem's (ggml), so outputs match it bit for bit; the
// tests check that against known-answer files. Only IQ4_XS has a quantizer (a fallback for K-quant tensors).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "base/float16.h"
#include "formats/quants/iq_grids.h"
#include "formats/quants/quants_internal.h"

namespace baleen::quants {
namespace {

constexpr int64_t kSuperBlockElems = 256;  // every type in this file uses 256-element blocks

uint32_t LoadU16(const uint8_t* p) { return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8; }
uint32_t LoadU32(const uint8_t* p) { return LoadU16(p) | LoadU16(p + 2) << 16; }
float LoadF16(const uint8_t* p) { return Fp16ToFloat(static_cast<uint16_t>(LoadU16(p))); }

// dst[j] = scale * row[j] for j < n, negated where bit j of `signs` is set.    dst: [n]
void WriteSignedRow(const int8_t* row, int n, float scale, uint32_t signs, float* dst) {
  for (int j = 0; j < n; ++j) {
    const float v = scale * static_cast<float>(row[j]);
    dst[j] = (signs >> j) & 1 ? -v : v;
  }
}

// dst[j] = scale * (row[j] + delta) for the 8 elements of an IQ1 grid row.    dst: [8]
void WriteShiftedRow(const int8_t* row, float scale, float delta, float* dst) {
  for (int j = 0; j < 8; ++j) dst[j] = scale * (static_cast<float>(row[j]) + delta);
}

// Scale of a 32-element group of IQ2_XXS / IQ2_XS / IQ2_S (factor 0.25) or IQ3_XXS (factor 0.5) from its 4-bit code.
float HalfStepScale(float d, uint32_t code4, float factor) { return d * (0.5f + static_cast<float>(code4)) * factor; }

// Scale of an IQ1_S / IQ1_M / IQ3_S group from its 3- or 4-bit code: d * (2 * code + 1).
float OddScale(float d, uint32_t code) { return d * static_cast<float>(2 * code + 1); }

// ---------------------------------------------------------------------------------------------------------------
// IQ2_XXS, 66 bytes: f16 d; then 8 groups of 32 elements, 8 bytes each: 4 grid indices (one byte per 8 elements),
// then a u32 holding four 7-bit sign codes (bits 7l..7l+6 for the l-th 8 elements) and the 4-bit scale (bits 28..31).
void DequantizeIq2XxsBlock(const uint8_t* block, float* dst) {  // dst: [256]
  const float d = LoadF16(block);
  const CodebookGrid& grid = Iq2XxsGrid();
  for (int group = 0; group < 8; ++group) {
    const uint8_t* bytes = block + 2 + 8 * group;
    const uint32_t signs_and_scale = LoadU32(bytes + 4);
    const float scale = HalfStepScale(d, signs_and_scale >> 28, 0.25f);
    for (int l = 0; l < 4; ++l) {
      const uint8_t signs = EvenParitySigns(signs_and_scale >> (7 * l));
      WriteSignedRow(grid.Row(bytes[l]), 8, scale, signs, dst + 32 * group + 8 * l);
    }
  }
}

// IQ2_XS, 74 bytes: f16 d; u16 qs[32] (bits 0..8 grid index, bits 9..15 sign code, one per 8 elements);
// u8 scales[8] (one per 32 elements: low nibble for its first 16 elements, high nibble for the last 16).
void DequantizeIq2XsBlock(const uint8_t* block, float* dst) {  // dst: [256]
  const float d = LoadF16(block);
  const uint8_t* scales = block + 66;
  const CodebookGrid& grid = Iq2XsGrid();
  for (int group = 0; group < 8; ++group) {
    for (int l = 0; l < 4; ++l) {
      const uint32_t q = LoadU16(block + 2 + 2 * (4 * group + l));
      const float scale = HalfStepScale(d, (scales[group] >> (l < 2 ? 0 : 4)) & 0xf, 0.25f);
      WriteSignedRow(grid.Row(q & 511), 8, scale, EvenParitySigns(q >> 9), dst + 32 * group + 8 * l);
    }
  }
}

// IQ2_S, 82 bytes: f16 d; u8 qs[32] (low 8 bits of the grid index per 8 elements); u8 signs[32] (explicit 8-bit
// masks); u8 qh[8] (per 32 elements, bits 2l..2l+1 are index bits 8..9 of its l-th 8); u8 scales[8] (as IQ2_XS).
void DequantizeIq2SBlock(const uint8_t* block, float* dst) {  // dst: [256]
  const float d = LoadF16(block);
  const uint8_t* qs = block + 2;
  const uint8_t* signs = block + 34;
  const uint8_t* qh = block + 66;
  const uint8_t* scales = block + 74;
  const CodebookGrid& grid = Iq2SGrid();
  for (int group = 0; group < 8; ++group) {
    for (int l = 0; l < 4; ++l) {
      const int k = 4 * group + l;
      const uint32_t index = qs[k] | ((qh[group] >> (2 * l)) & 3u) << 8;
      const float scale = HalfStepScale(d, (scales[group] >> (l < 2 ? 0 : 4)) & 0xf, 0.25f);
      WriteSignedRow(grid.Row(index), 8, scale, signs[k], dst + 8 * k);
    }
  }
}

// IQ3_XXS, 98 bytes: f16 d; u8 qs[64] (a grid index per 4 elements); then per 32 elements a u32 of four 7-bit sign
// codes (each covering 8 elements, two grid rows) and the 4-bit scale in bits 28..31.
void DequantizeIq3XxsBlock(const uint8_t* block, float* dst) {  // dst: [256]
  const float d = LoadF16(block);
  const uint8_t* qs = block + 2;
  const CodebookGrid& grid = Iq3XxsGrid();
  for (int group = 0; group < 8; ++group) {
    const uint32_t signs_and_scale = LoadU32(block + 66 + 4 * group);
    const float scale = HalfStepScale(d, signs_and_scale >> 28, 0.5f);
    for (int l = 0; l < 4; ++l) {
      const uint8_t signs = EvenParitySigns(signs_and_scale >> (7 * l));
      float* out = dst + 32 * group + 8 * l;
      WriteSignedRow(grid.Row(qs[8 * group + 2 * l]), 4, scale, signs, out);
      WriteSignedRow(grid.Row(qs[8 * group + 2 * l + 1]), 4, scale, signs >> 4, out + 4);
    }
  }
}

// IQ3_S, 110 bytes: f16 d; u8 qs[64] (low 8 bits of a grid index per 4 elements); u8 qh[8] (per 32 elements, bit m
// is index bit 8 of its m-th 4 elements); u8 signs[32] (8-bit masks); u8 scales[4] (a nibble per 32 elements).
void DequantizeIq3SBlock(const uint8_t* block, float* dst) {  // dst: [256]
  const float d = LoadF16(block);
  const uint8_t* qs = block + 2;
  const uint8_t* qh = block + 66;
  const uint8_t* signs = block + 74;
  const uint8_t* scales = block + 106;
  const CodebookGrid& grid = Iq3SGrid();
  for (int group = 0; group < 8; ++group) {
    const float scale = OddScale(d, (scales[group / 2] >> (4 * (group % 2))) & 0xf);
    for (int m = 0; m < 8; ++m) {
      const uint32_t index = qs[8 * group + m] | ((qh[group] >> m) & 1u) << 8;
      const uint32_t sign_bits = signs[4 * group + m / 2] >> (4 * (m % 2));
      WriteSignedRow(grid.Row(index), 4, scale, sign_bits, dst + 32 * group + 4 * m);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// IQ1_S, 50 bytes: f16 d; u8 qs[32] (low 8 bits of a grid index per 8 elements); u16 qh[8], one per 32 elements:
// bits 3l..3l+2 are index bits 8..10 of its l-th 8, bits 12..14 the scale, bit 15 the sign of the shift delta.
constexpr float kIq1Delta = 0.125f;

void DequantizeIq1SBlock(const uint8_t* block, float* dst) {  // dst: [256]
  const float d = LoadF16(block);
  const uint8_t* qs = block + 2;
  const CodebookGrid& grid = Iq1Grid();
  for (int group = 0; group < 8; ++group) {
    const uint32_t qh = LoadU16(block + 34 + 2 * group);
    const float scale = OddScale(d, (qh >> 12) & 7);
    const float delta = qh & 0x8000 ? -kIq1Delta : kIq1Delta;
    for (int l = 0; l < 4; ++l) {
      const uint32_t index = qs[4 * group + l] | ((qh >> (3 * l)) & 7u) << 8;
      WriteShiftedRow(grid.Row(index), scale, delta, dst + 32 * group + 8 * l);
    }
  }
}

// IQ1_M, 56 bytes: u8 qs[32] (low index bits per 8 elements); u8 qh[16] (a nibble per 8 elements: bits 0..2 index
// bits 8..10, bit 3 the delta sign); u8 scales[8] read as four u16 words: the top nibbles of the words, word 0 first,
// are the f16 super-block scale; the low 12 bits of word w hold four 3-bit scales, one per 16 elements.
float Iq1MSuperScale(const uint8_t* scales) {
  uint32_t bits = 0;
  for (int w = 0; w < 4; ++w) bits |= (LoadU16(scales + 2 * w) >> 12) << (4 * w);
  return Fp16ToFloat(static_cast<uint16_t>(bits));
}

void DequantizeIq1MBlock(const uint8_t* block, float* dst) {  // dst: [256]
  const uint8_t* qs = block;
  const uint8_t* qh = block + 32;
  const uint8_t* scales = block + 48;
  const float d = Iq1MSuperScale(scales);
  const CodebookGrid& grid = Iq1Grid();
  for (int row = 0; row < 32; ++row) {  // 8 elements per row; 16 elements (two rows) per 3-bit scale
    const uint32_t half = row / 2;      // index of the 16-element half-group, 0..15
    const uint32_t scale_code = (LoadU16(scales + 2 * (half / 4)) >> (3 * (half % 4))) & 7;
    const uint32_t nibble = (qh[row / 2] >> (4 * (row % 2))) & 0xf;
    const uint32_t index = qs[row] | (nibble & 7) << 8;
    const float delta = nibble & 8 ? -kIq1Delta : kIq1Delta;
    WriteShiftedRow(grid.Row(index), OddScale(d, scale_code), delta, dst + 8 * row);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// IQ4_XS, 136 bytes: f16 d; u16 scales_h (2 high bits of the 6-bit scale of group g at bits 2g..2g+1);
// u8 scales_l[4] (4 low bits, a nibble per group, low nibble first); u8 qs[128], 16 per group: low nibbles are
// elements 0..15 of the group, high nibbles 16..31. Each 4-bit code selects an IQ4_NL level; group scale d * (s - 32).
constexpr int64_t kIq4XsBlockBytes = 136;

uint32_t Iq4XsGroupScaleCode(const uint8_t* block, int group) {
  const uint32_t low = (block[4 + group / 2] >> (4 * (group % 2))) & 0xf;
  const uint32_t high = (LoadU16(block + 2) >> (2 * group)) & 3;
  return low | high << 4;
}

void DequantizeIq4XsBlock(const uint8_t* block, float* dst) {  // dst: [256]
  const float d = LoadF16(block);
  for (int group = 0; group < 8; ++group) {
    const float scale = d * static_cast<float>(static_cast<int>(Iq4XsGroupScaleCode(block, group)) - 32);
    const uint8_t* qs = block + 8 + 16 * group;
    float* out = dst + 32 * group;
    for (int j = 0; j < 16; ++j) {
      out[j] = scale * static_cast<float>(kIq4NlValues[qs[j] & 0xf]);
      out[j + 16] = scale * static_cast<float>(kIq4NlValues[qs[j] >> 4]);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// TQ1_0, 54 bytes: u8 qs[48]; u8 qh[4]; f16 d. Values are d * (t - 1) for trits t. A byte packs 5 trits (qh bytes:
// 4, the fifth is zero) as ceil(256 * T / 243) with T the base-3 number whose most significant digit is trit 0;
// trit n is then floor(3^(n+1) * byte / 256) mod 3. Byte k of qs[0..31] holds elements k + 32n; byte k of qs[32..47]
// holds elements 160 + k + 16n; byte k of qh holds elements 240 + k + 4n.
int TernaryDigit(uint32_t byte, int n) {
  static constexpr uint32_t kPow3[6] = {1, 3, 9, 27, 81, 243};
  return static_cast<int>(((byte * kPow3[n + 1]) >> 8) % 3);
}

// Decodes `n_bytes` packed bytes carrying `n_trits` trits each; trit n of byte k goes to dst[k + n_bytes * n].
void DecodeTritBytes(const uint8_t* bytes, int n_bytes, int n_trits, float d, float* dst) {
  for (int n = 0; n < n_trits; ++n) {
    for (int k = 0; k < n_bytes; ++k) {
      dst[k + n_bytes * n] = static_cast<float>(TernaryDigit(bytes[k], n) - 1) * d;
    }
  }
}

void DequantizeTq1_0Block(const uint8_t* block, float* dst) {  // dst: [256]
  const float d = LoadF16(block + 52);
  DecodeTritBytes(block, 32, 5, d, dst);
  DecodeTritBytes(block + 32, 16, 5, d, dst + 160);
  DecodeTritBytes(block + 48, 4, 4, d, dst + 240);
}

// TQ2_0, 66 bytes: u8 qs[64]; f16 d. Two halves of 128 elements; bits 2s..2s+1 of byte k of half h hold q for
// element 128h + 32s + k, value d * (q - 1).
void DequantizeTq2_0Block(const uint8_t* block, float* dst) {  // dst: [256]
  const float d = LoadF16(block + 64);
  for (int half = 0; half < 2; ++half) {
    for (int shift = 0; shift < 4; ++shift) {
      for (int k = 0; k < 32; ++k) {
        const int q = (block[32 * half + k] >> (2 * shift)) & 3;
        dst[128 * half + 32 * shift + k] = static_cast<float>(q - 1) * d;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// IQ4_XS quantizer. Each 32-element group gets a least-squares scale against the IQ4_NL levels, searched over a few
// candidate mappings of its largest element; the 8 group scales are then coded as 6-bit signed multiples of one f16
// super-scale chosen so the largest group scale is exactly -32 steps, and every element is re-coded with the scale
// the decoder will actually see. Weighting by x^2 (what ggml does without an importance matrix) favours large
// weights, which dominate the matmul error.
constexpr int kIq4GroupSize = 32;
constexpr int kIq4ScaleSearchSteps = 7;  // candidate mappings of the largest element: level +- 0..7

// Nearest IQ4_NL level to v (ties to the larger level; NaN to level 0).
int NearestIq4NlIndex(float v) {
  int index = 0;
  while (index < 15 && v >= 0.5f * static_cast<float>(kIq4NlValues[index] + kIq4NlValues[index + 1])) ++index;
  return index;
}

// Weighted least-squares fit of x ~ scale * level[nearest(x * inverse_scale)]; returns {scale, error reduction}.
struct GroupFit {
  float scale = 0.0f;
  float score = 0.0f;  // (sum w q x)^2 / sum w q^2: larger means a smaller weighted squared error
};

GroupFit FitIq4Group(const float* x, float inverse_scale) {  // x: [32]
  float sum_qx = 0.0f, sum_q2 = 0.0f;
  for (int j = 0; j < kIq4GroupSize; ++j) {
    const float q = static_cast<float>(kIq4NlValues[NearestIq4NlIndex(inverse_scale * x[j])]);
    const float w = x[j] * x[j];
    sum_qx += w * q * x[j];
    sum_q2 += w * q * q;
  }
  if (!(sum_q2 > 0.0f)) return {};
  return {sum_qx / sum_q2, sum_qx * sum_qx / sum_q2};
}

// Best group scale: the largest-magnitude element is mapped near either end of the level table.
float Iq4GroupScale(const float* x) {  // x: [32]
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kIq4GroupSize; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  if (!(amax > 0.0f)) return 0.0f;
  GroupFit best;
  for (const int end_level : {kIq4NlValues[0], kIq4NlValues[15]}) {
    for (int step = -kIq4ScaleSearchSteps; step <= kIq4ScaleSearchSteps; ++step) {
      const GroupFit fit = FitIq4Group(x, static_cast<float>(end_level + step) / max);
      if (fit.score > best.score) best = fit;
    }
  }
  return best.scale;
}

void QuantizeIq4XsBlock(const float* x, uint8_t* block) {  // x: [256]
  float group_scales[8];
  float max_scale = 0.0f;  // the group scale of largest magnitude, with its sign
  for (int group = 0; group < 8; ++group) {
    group_scales[group] = Iq4GroupScale(x + kIq4GroupSize * group);
    if (std::fabs(group_scales[group]) > std::fabs(max_scale)) max_scale = group_scales[group];
  }
  constexpr float kMaxF16 = 65504.0f;
  const float wanted_d = std::fmax(-kMaxF16, std::fmin(kMaxF16, -max_scale / 32.0f));
  const uint16_t d_bits = max_scale == 0.0f ? 0 : FloatToFp16(wanted_d);
  const float d = Fp16ToFloat(d_bits);  // the super-scale as the decoder sees it
  block[0] = static_cast<uint8_t>(d_bits);
  block[1] = static_cast<uint8_t>(d_bits >> 8);
  uint32_t scales_h = 0;
  for (int group = 0; group < 8; ++group) {
    const long steps = d != 0.0f ? std::lrint(group_scales[group] / d) : 0;
    const int code = static_cast<int>(std::clamp(steps, -32L, 31L)) + 32;  // 6-bit, stored with offset 32
    scales_h |= static_cast<uint32_t>(code >> 4) << (2 * group);
    uint8_t& low = block[4 + group / 2];
    low = group % 2 == 0 ? static_cast<uint8_t>(code & 0xf) : static_cast<uint8_t>(low | (code & 0xf) << 4);
    const float scale = d * static_cast<float>(code - 32);
    const float inverse = scale != 0.0f ? 1.0f / scale : 0.0f;
    const float* xg = x + kIq4GroupSize * group;
    uint8_t* qs = block + 8 + 16 * group;
    for (int j = 0; j < 16; ++j) {
      qs[j] = static_cast<uint8_t>(NearestIq4NlIndex(inverse * xg[j]) | NearestIq4NlIndex(inverse * xg[j + 16]) << 4);
    }
  }
  block[2] = static_cast<uint8_t>(scales_h);
  block[3] = static_cast<uint8_t>(scales_h >> 8);
}

void QuantizeIq4XsRow(const float* src, void* dst, int64_t n_elems) {
  auto* bytes = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n_elems / kSuperBlockElems; ++i) {
    QuantizeIq4XsBlock(src + i * kSuperBlockElems, bytes + i * kIq4XsBlockBytes);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Row kernels: a row is consecutive blocks of kBlockBytes bytes, each decoding to 256 floats.
template <void (*kBlockFn)(const uint8_t*, float*), int64_t kBlockBytes>
void DequantizeBlocks(const void* src, float* dst, int64_t n_elems) {
  const auto* bytes = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < n_elems / kSuperBlockElems; ++i) {
    kBlockFn(bytes + i * kBlockBytes, dst + i * kSuperBlockElems);
  }
}

constexpr RowKernels kIq1S{DequantizeBlocks<DequantizeIq1SBlock, 50>};
constexpr RowKernels kIq1M{DequantizeBlocks<DequantizeIq1MBlock, 56>};
constexpr RowKernels kIq2Xxs{DequantizeBlocks<DequantizeIq2XxsBlock, 66>};
constexpr RowKernels kIq2Xs{DequantizeBlocks<DequantizeIq2XsBlock, 74>};
constexpr RowKernels kIq2S{DequantizeBlocks<DequantizeIq2SBlock, 82>};
constexpr RowKernels kIq3Xxs{DequantizeBlocks<DequantizeIq3XxsBlock, 98>};
constexpr RowKernels kIq3S{DequantizeBlocks<DequantizeIq3SBlock, 110>};
constexpr RowKernels kIq4Xs{DequantizeBlocks<DequantizeIq4XsBlock, kIq4XsBlockBytes>, QuantizeIq4XsRow};
constexpr RowKernels kTq1_0{DequantizeBlocks<DequantizeTq1_0Block, 54>};
constexpr RowKernels kTq2_0{DequantizeBlocks<DequantizeTq2_0Block, 66>};

}  // namespace

const RowKernels* FindIQuantKernels(GgmlType type) {
  switch (type) {
    case GgmlType::kIQ1_S: return &kIq1S;
    case GgmlType::kIQ1_M: return &kIq1M;
    case GgmlType::kIQ2_XXS: return &kIq2Xxs;
    case GgmlType::kIQ2_XS: return &kIq2Xs;
    case GgmlType::kIQ2_S: return &kIq2S;
    case GgmlType::kIQ3_XXS: return &kIq3Xxs;
    case GgmlType::kIQ3_S: return &kIq3S;
    case GgmlType::kIQ4_XS: return &kIq4Xs;
    case GgmlType::kTQ1_0: return &kTq1_0;
    case GgmlType::kTQ2_0: return &kTq2_0;
    default: return nullptr;
  }
}

}  // namespace baleen::quants
