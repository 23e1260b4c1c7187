// The scalar reference of the integer dot products for the codebook i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S,
// IQ3_XXS, IQ3_S), written from the bit positions of the reference decoders (formats/quants/quants_iq.cc) and the
// codebooks of iq_grids.h, and the portable kernels built on it. Kernels layer.
//
// Every format is x = d · c · k · v with an odd integer sub-block multiplier k = 2s + 1 and a signed integer value v
// of the codebook, so Σ x·a over a block is one float factor (d · c) times an exact integer sum:
//   IQ2_XXS, IQ2_XS, IQ2_S: d·(0.5 + s)·0.25·g = d/8 · (2s + 1) · g;   IQ3_XXS: d·(0.5 + s)·0.5·g = d/4 · (2s + 1) · g;
//   IQ3_S: d · (2s + 1) · g;   IQ1_S, IQ1_M: d·(2s + 1)·(g ± 1/8) = d/8 · (2s + 1) · (8g ± 1).
#include <cstring>

#include "base/float16.h"
#include "formats/quants/iq_grids.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_dot_internal.h"

namespace baleen {
namespace {

using namespace quant_internal;

float Half(const uint8_t* p) { return Fp16ToFloat(Load16(p)); }

uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Σ_j ±row[j]·a[j] over n elements, negated where bit j of `negate` is set.
int32_t SignedRowDot(const int8_t* row, int n, uint32_t negate, const int8_t* a) {
  int32_t sum = 0;
  for (int j = 0; j < n; ++j) sum += ((negate >> j) & 1 ? -row[j] : row[j]) * a[j];
  return sum;
}

// The odd multiplier of a 4-bit (or 3-bit) scale code.
int32_t Odd(uint32_t code) { return static_cast<int32_t>(2 * code + 1); }

// IQ2_XXS: 8 groups of 8 bytes: four grid indices, then a u32 of four 7-bit sign codes and the scale in bits 28..31.
BlockTerms TermsIQ2_XXS(const uint8_t* block, const int8_t* a, const int16_t*) {
  const quants::CodebookGrid& grid = quants::Iq2XxsGrid();
  BlockTerms t{.scale = 0.125f * Half(block)};
  for (int g = 0; g < 8; ++g) {
    const uint8_t* bytes = block + 2 + 8 * g;
    const uint32_t aux = Load32(bytes + 4);
    int32_t sub = 0;
    for (int l = 0; l < 4; ++l) {
      sub += SignedRowDot(grid.Row(bytes[l]), 8, quants::EvenParitySigns(aux >> (7 * l)), a + 32 * g + 8 * l);
    }
    t.sum += Odd(aux >> 28) * sub;
  }
  return t;
}

// IQ2_XS: u16 qs[32] (index bits 0..8, sign code bits 9..15); scales[8] at 66, low nibble for the first 16 elements
// of its 32, high nibble for the last 16.
BlockTerms TermsIQ2_XS(const uint8_t* block, const int8_t* a, const int16_t*) {
  const quants::CodebookGrid& grid = quants::Iq2XsGrid();
  BlockTerms t{.scale = 0.125f * Half(block)};
  for (int k = 0; k < 32; ++k) {  // 8 elements each
    const uint32_t q = Load16(block + 2 + 2 * k);
    const uint32_t code = (block[66 + k / 4] >> (k % 4 < 2 ? 0 : 4)) & 0xF;
    t.sum += Odd(code) * SignedRowDot(grid.Row(q & 511), 8, quants::EvenParitySigns(q >> 9), a + 8 * k);
  }
  return t;
}

// IQ2_S: qs[32] low index bits at 2, explicit sign bytes at 34, qh[8] at 66 (bits 2l..2l+1: index bits 8..9 of the
// l-th 8 of its 32), scales[8] at 74 as IQ2_XS's.
BlockTerms TermsIQ2_S(const uint8_t* block, const int8_t* a, const int16_t*) {
  const quants::CodebookGrid& grid = quants::Iq2SGrid();
  BlockTerms t{.scale = 0.125f * Half(block)};
  for (int k = 0; k < 32; ++k) {
    const uint32_t index = block[2 + k] | ((block[66 + k / 4] >> (2 * (k % 4))) & 3u) << 8;
    const uint32_t code = (block[74 + k / 4] >> (k % 4 < 2 ? 0 : 4)) & 0xF;
    t.sum += Odd(code) * SignedRowDot(grid.Row(index), 8, block[34 + k], a + 8 * k);
  }
  return t;
}

// IQ3_XXS: qs[64] (an index of a 4-wide row per 4 elements) at 2; per 32 elements a u32 at 66 + 4g of four 7-bit sign
// codes (8 elements each) and the scale in bits 28..31.
BlockTerms TermsIQ3_XXS(const uint8_t* block, const int8_t* a, const int16_t*) {
  const quants::CodebookGrid& grid = quants::Iq3XxsGrid();
  BlockTerms t{.scale = 0.25f * Half(block)};
  for (int g = 0; g < 8; ++g) {
    const uint32_t aux = Load32(block + 66 + 4 * g);
    int32_t sub = 0;
    for (int m = 0; m < 8; ++m) {  // 4 elements each
      const uint32_t signs = quants::EvenParitySigns(aux >> (7 * (m / 2))) >> (4 * (m % 2));
      sub += SignedRowDot(grid.Row(block[2 + 8 * g + m]), 4, signs, a + 32 * g + 4 * m);
    }
    t.sum += Odd(aux >> 28) * sub;
  }
  return t;
}

// IQ3_S: qs[64] low index bits at 2; qh[8] at 66 (bit m: index bit 8 of the m-th 4 of its 32); sign bytes at 74 (one
// per 8 elements); scales[4] at 106, a nibble per 32 elements, low first.
BlockTerms TermsIQ3_S(const uint8_t* block, const int8_t* a, const int16_t*) {
  const quants::CodebookGrid& grid = quants::Iq3SGrid();
  BlockTerms t{.scale = Half(block)};
  for (int g = 0; g < 8; ++g) {
    int32_t sub = 0;
    for (int m = 0; m < 8; ++m) {
      const uint32_t index = block[2 + 8 * g + m] | ((block[66 + g] >> m) & 1u) << 8;
      const uint32_t signs = block[74 + 4 * g + m / 2] >> (4 * (m % 2));
      sub += SignedRowDot(grid.Row(index), 4, signs, a + 32 * g + 4 * m);
    }
    t.sum += Odd((block[106 + g / 2] >> (4 * (g % 2))) & 0xF) * sub;
  }
  return t;
}

// Σ_j (8·row[j] + delta)·a[j] over an IQ1 grid row of 8, delta = ±1.
int32_t ShiftedRowDot(const int8_t* row, int delta, const int8_t* a) {
  int32_t sum = 0;
  for (int j = 0; j < 8; ++j) sum += (8 * row[j] + delta) * a[j];
  return sum;
}

// IQ1_S: qs[32] low index bits at 2; per 32 elements a u16 at 34 + 2g: index bits 8..10 of its l-th 8 at 3l, the
// scale at bits 12..14, the delta's sign at bit 15.
BlockTerms TermsIQ1_S(const uint8_t* block, const int8_t* a, const int16_t*) {
  const quants::CodebookGrid& grid = quants::Iq1Grid();
  BlockTerms t{.scale = 0.125f * Half(block)};
  for (int g = 0; g < 8; ++g) {
    const uint32_t qh = Load16(block + 34 + 2 * g);
    const int delta = qh & 0x8000 ? -1 : 1;
    int32_t sub = 0;
    for (int l = 0; l < 4; ++l) {
      const uint32_t index = block[2 + 4 * g + l] | ((qh >> (3 * l)) & 7u) << 8;
      sub += ShiftedRowDot(grid.Row(index), delta, a + 32 * g + 8 * l);
    }
    t.sum += Odd((qh >> 12) & 7) * sub;
  }
  return t;
}

// IQ1_M: qs[32] at 0; qh[16] at 32, a nibble per 8 elements (index bits 8..10, delta sign in bit 3); four u16 scale
// words at 48: 3-bit scales per 16 elements in their low 12 bits, the f16 d in their top nibbles (word 0 lowest).
BlockTerms TermsIQ1_M(const uint8_t* block, const int8_t* a, const int16_t*) {
  const quants::CodebookGrid& grid = quants::Iq1Grid();
  uint32_t d_bits = 0;
  for (int w = 0; w < 4; ++w) d_bits |= (Load16(block + 48 + 2 * w) >> 12) << (4 * w);
  BlockTerms t{.scale = 0.125f * Fp16ToFloat(static_cast<uint16_t>(d_bits))};
  for (int k = 0; k < 32; ++k) {
    const uint32_t nibble = (block[32 + k / 2] >> (4 * (k % 2))) & 0xF;
    const uint32_t index = block[k] | (nibble & 7) << 8;
    const int half = k / 2;
    const uint32_t code = (Load16(block + 48 + 2 * (half / 4)) >> (3 * (half % 4))) & 7;
    t.sum += Odd(code) * ShiftedRowDot(grid.Row(index), nibble & 8 ? -1 : 1, a + 8 * k);
  }
  return t;
}

}  // namespace

const quant_internal::ScalarFormat* quant_internal::FindIQuantScalarFormat(GgmlType type) {
  static constexpr ScalarFormat kIQ2_XXS{256, 66, TermsIQ2_XXS}, kIQ2_XS{256, 74, TermsIQ2_XS};
  static constexpr ScalarFormat kIQ2_S{256, 82, TermsIQ2_S}, kIQ3_XXS{256, 98, TermsIQ3_XXS};
  static constexpr ScalarFormat kIQ3_S{256, 110, TermsIQ3_S}, kIQ1_S{256, 50, TermsIQ1_S};
  static constexpr ScalarFormat kIQ1_M{256, 56, TermsIQ1_M};
  switch (type) {
    case GgmlType::kIQ2_XXS: return &kIQ2_XXS;
    case GgmlType::kIQ2_XS: return &kIQ2_XS;
    case GgmlType::kIQ2_S: return &kIQ2_S;
    case GgmlType::kIQ3_XXS: return &kIQ3_XXS;
    case GgmlType::kIQ3_S: return &kIQ3_S;
    case GgmlType::kIQ1_S: return &kIQ1_S;
    case GgmlType::kIQ1_M: return &kIQ1_M;
    default: return nullptr;
  }
}

void kernel_columns::AddPortableIQuantDots(KernelColumn& column) {
  column.Row(GgmlType::kIQ2_XXS).dot = {256, PortableTile<GgmlType::kIQ2_XXS>};
  column.Row(GgmlType::kIQ1_S).dot = {256, PortableTile<GgmlType::kIQ1_S>};
  column.Row(GgmlType::kIQ3_XXS).dot = {256, PortableTile<GgmlType::kIQ3_XXS>};
  column.Row(GgmlType::kIQ2_XS).dot = {256, PortableTile<GgmlType::kIQ2_XS>};
  column.Row(GgmlType::kIQ2_S).dot = {256, PortableTile<GgmlType::kIQ2_S>};
  column.Row(GgmlType::kIQ3_S).dot = {256, PortableTile<GgmlType::kIQ3_S>};
  column.Row(GgmlType::kIQ1_M).dot = {256, PortableTile<GgmlType::kIQ1_M>};
}

}  // namespace baleen
