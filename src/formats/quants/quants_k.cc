// Reference decoders for the K-quant super-blocks (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K) and the family's kernel
// table. Formats layer. Encoders are in quants_k_quantize.cc, layouts in quants_k_blocks.h.
//
// Every decoder rounds in ggml's order: the sub-block factor first (d * scale, dmin * min), then times the code,
// then minus the min term.
#include <cstdint>

#include "base/float16.h"
#include "formats/quants/quants_internal.h"
#include "formats/quants/quants_k_blocks.h"
#include "formats/quants/quants_scalar.h"
#include "formats/quants/strict_fp.h"  // no FMA contraction: exact reference numerics

namespace baleen::quants {
namespace {

void DecodeQ2_K(const BlockQ2_K& block, float* out) {
  const float d = Fp16ToFloat(block.d);
  const float dmin = Fp16ToFloat(block.dmin);
  for (int sub = 0; sub < 16; ++sub) {
    const float scale = d * static_cast<float>(block.scales[sub] & 0xF);
    const float min = dmin * static_cast<float>(block.scales[sub] >> 4);
    for (int e = 16 * sub; e < 16 * sub + 16; ++e) {
      out[e] = scale * static_cast<float>(ReadBits(block.qs, TwoBitPosition(e), 3)) - min;
    }
  }
}

void DecodeQ3_K(const BlockQ3_K& block, float* out) {
  const float d = Fp16ToFloat(block.d);
  for (int sub = 0; sub < 16; ++sub) {
    const float scale = d * static_cast<float>(UnpackQ3ScaleCode(block.scales, sub) - 32);
    for (int e = 16 * sub; e < 16 * sub + 16; ++e) {
      const int low = ReadBits(block.qs, TwoBitPosition(e), 3);
      const int high = ReadBits(block.hmask, HighBitPosition(e), 1);
      out[e] = scale * static_cast<float>(low - (high != 0 ? 0 : 4));
    }
  }
}

// Q4_K and Q5_K: x = d·sc_j·q − dmin·m_j per 32-element sub-block j; Q5_K's fifth bits come from qh (null for Q4_K).
void DecodeKWithMins(uint16_t d_bits, uint16_t dmin_bits, const uint8_t* scales, const uint8_t* qs, const uint8_t* qh,
                     float* out) {
  const float d = Fp16ToFloat(d_bits);
  const float dmin = Fp16ToFloat(dmin_bits);
  for (int sub = 0; sub < 8; ++sub) {
    const ScaleMin codes = UnpackScaleMin(scales, sub);
    const float scale = d * static_cast<float>(codes.scale);
    const float min = dmin * static_cast<float>(codes.min);
    for (int e = 32 * sub; e < 32 * sub + 32; ++e) {
      int q = ReadBits(qs, NibblePosition(e), 0xF);
      if (qh != nullptr) q |= ReadBits(qh, HighBitPosition(e), 1) << 4;
      out[e] = scale * static_cast<float>(q) - min;
    }
  }
}

void DecodeQ4_K(const BlockQ4_K& block, float* out) {
  DecodeKWithMins(block.d, block.dmin, block.scales, block.qs, nullptr, out);
}

void DecodeQ5_K(const BlockQ5_K& block, float* out) {
  DecodeKWithMins(block.d, block.dmin, block.scales, block.qs, block.qh, out);
}

void DecodeQ6_K(const BlockQ6_K& block, float* out) {
  const float d = Fp16ToFloat(block.d);
  for (int sub = 0; sub < 16; ++sub) {
    const float scale = d * static_cast<float>(block.scales[sub]);
    for (int e = 16 * sub; e < 16 * sub + 16; ++e) {
      const int q = ReadBits(block.ql, Q6LowPosition(e), 0xF) | (ReadBits(block.qh, TwoBitPosition(e), 3) << 4);
      out[e] = scale * static_cast<float>(q - 32);
    }
  }
}

void DecodeQ8_K(const BlockQ8_K& block, float* out) {
  for (int e = 0; e < 256; ++e) out[e] = block.d * static_cast<float>(block.qs[e]);
}

constexpr TypeKernels kKQuantKernels[] = {
    {GgmlType::kQ2_K, {DecodeRow<BlockQ2_K, DecodeQ2_K>, EncodeRow<BlockQ2_K, EncodeQ2_K>}},
    {GgmlType::kQ3_K, {DecodeRow<BlockQ3_K, DecodeQ3_K>, EncodeRow<BlockQ3_K, EncodeQ3_K>}},
    {GgmlType::kQ4_K, {DecodeRow<BlockQ4_K, DecodeQ4_K>, EncodeRow<BlockQ4_K, EncodeQ4_K>}},
    {GgmlType::kQ5_K, {DecodeRow<BlockQ5_K, DecodeQ5_K>, EncodeRow<BlockQ5_K, EncodeQ5_K>}},
    {GgmlType::kQ6_K, {DecodeRow<BlockQ6_K, DecodeQ6_K>, EncodeRow<BlockQ6_K, EncodeQ6_K>}},
    {GgmlType::kQ8_K, {DecodeRow<BlockQ8_K, DecodeQ8_K>, EncodeRow<BlockQ8_K, EncodeQ8_K>}},
};

}  // namespace

const RowKernels* FindKQuantKernels(GgmlType type) { return FindInTable(kKQuantKernels, type); }

}  // namespace baleen::quants
