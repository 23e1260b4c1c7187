// K-quant super-block layouts (256 elements: Q2_K..Q8_K), where each element's bits live, and how the sub-block
// scales are packed. Formats layer, private to src/formats/quants/; shared by the decoders (quants_k.cc) and the
// encoders (quants_k_quantize.cc).
#pragma once

#include <cstdint>

#include "formats/quants/quants_scalar.h"

namespace baleen::quants {

// Layouts of ggml-common.h; uint16_t d/dmin fields hold IEEE half bits. x = d * scale * q - dmin * min per sub-block.
struct BlockQ2_K {
  static constexpr int kElems = kSuperBlockElems;
  uint8_t scales[16];  // per 16 elements: scale in the low nibble, min in the high nibble
  uint8_t qs[64];      // 2-bit codes at TwoBitPosition
  uint16_t d;
  uint16_t dmin;
};
struct BlockQ3_K {
  static constexpr int kElems = kSuperBlockElems;
  uint8_t hmask[32];   // third bit of each code at HighBitPosition; a clear bit subtracts 4
  uint8_t qs[64];      // low two bits at TwoBitPosition
  uint8_t scales[12];  // sixteen 6-bit scales with bias 32 (UnpackQ3Scale)
  uint16_t d;
};
struct BlockQ4_K {
  static constexpr int kElems = kSuperBlockElems;
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];  // eight 6-bit (scale, min) pairs, one per 32 elements (UnpackScaleMin)
  uint8_t qs[128];     // 4-bit codes at NibblePosition
};
struct BlockQ5_K {
  static constexpr int kElems = kSuperBlockElems;
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[32];   // fifth bit at HighBitPosition
  uint8_t qs[128];  // low four bits at NibblePosition
};
struct BlockQ6_K {
  static constexpr int kElems = kSuperBlockElems;
  uint8_t ql[128];    // low four bits at Q6LowPosition
  uint8_t qh[64];     // high two bits at TwoBitPosition
  int8_t scales[16];  // one signed scale per 16 elements
  uint16_t d;         // codes carry a bias of 32
};
struct BlockQ8_K {  // the activation side of K-quant dot products
  static constexpr int kElems = kSuperBlockElems;
  float d;  // a full float, unlike every other block scale
  int8_t qs[256];
  int16_t bsums[16];  // sums of qs per 16 elements
};
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292);

// ---- Where element e (0..255) of a super-block keeps its bits -------------------------------------------------

struct BitPosition {
  int byte;
  int shift;
};

// 2-bit fields (Q2_K, Q3_K codes; Q6_K high bits): each 128-element half uses 32 bytes, and element 32k + l of a
// half sits in byte l at bits 2k..2k+1, so one byte holds elements l, l+32, l+64, l+96.
inline BitPosition TwoBitPosition(int e) { return {32 * (e / 128) + e % 32, 2 * ((e % 128) / 32)}; }

// One bit per element (Q3_K hmask, Q5_K qh): byte e % 32, bit e / 32.
inline BitPosition HighBitPosition(int e) { return {e % 32, e / 32}; }

// Nibbles of Q4_K and Q5_K: each 64-element chunk uses 32 bytes, first 32 elements low, next 32 high.
inline BitPosition NibblePosition(int e) { return {32 * (e / 64) + e % 32, 4 * ((e % 64) / 32)}; }

// Q6_K low nibbles: each 128-element half uses 64 bytes; its quarters 0 and 1 fill the low nibbles of bytes 0..31
// and 32..63, quarters 2 and 3 the high nibbles of the same bytes.
inline BitPosition Q6LowPosition(int e) {
  const int quarter = (e % 128) / 32;
  return {64 * (e / 128) + 32 * (quarter % 2) + e % 32, 4 * (quarter / 2)};
}

inline int ReadBits(const uint8_t* bytes, BitPosition position, int mask) {
  return (bytes[position.byte] >> position.shift) & mask;
}

inline void OrBits(uint8_t* bytes, BitPosition position, int value) {  // bytes start zeroed
  bytes[position.byte] = static_cast<uint8_t>(bytes[position.byte] | (value << position.shift));
}

// ---- Packed sub-block scales ----------------------------------------------------------------------------------

// Q4_K/Q5_K: eight 6-bit scales and eight 6-bit mins in 12 bytes. Pairs 0..3 use the low six bits of bytes 0..3
// (scale) and 4..7 (min); pairs 4..7 keep their low four bits in the nibbles of bytes 8..11 and their top two bits
// in the spare top bits of bytes 0..3 (scale) and 4..7 (min).
struct ScaleMin {
  int scale;
  int min;
};

inline ScaleMin UnpackScaleMin(const uint8_t* scales, int j) {  // scales: [12]; j: 0..7
  if (j < 4) return {scales[j] & 63, scales[j + 4] & 63};
  return {(scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4), (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4)};
}

inline void PackScaleMins(const uint8_t* scale_codes, const uint8_t* min_codes, uint8_t* scales) {  // [8], [8] -> [12]
  for (int j = 0; j < 4; ++j) {
    scales[j] = static_cast<uint8_t>(scale_codes[j] | ((scale_codes[j + 4] >> 4) << 6));
    scales[j + 4] = static_cast<uint8_t>(min_codes[j] | ((min_codes[j + 4] >> 4) << 6));
    scales[j + 8] = static_cast<uint8_t>((scale_codes[j + 4] & 0xF) | ((min_codes[j + 4] & 0xF) << 4));
  }
}

// Q3_K: sixteen 6-bit scales in 12 bytes. Low four bits: nibbles of bytes 0..7 (scales 0..7 low, 8..15 high);
// top two bits: byte 8 + j % 4 at bits 2 * (j / 4). Returns the stored code, 0..63 (the scale is code - 32).
inline int UnpackQ3ScaleCode(const uint8_t* scales, int j) {  // scales: [12]; j: 0..15
  const int low = j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4;
  const int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
  return low | (high << 4);
}

inline void PackQ3ScaleCodes(const uint8_t* codes, uint8_t* scales) {  // codes: [16], each 0..63 -> scales: [12]
  for (int j = 0; j < 12; ++j) scales[j] = 0;
  for (int j = 0; j < 16; ++j) {
    scales[j % 8] = static_cast<uint8_t>(scales[j % 8] | ((codes[j] & 0xF) << (4 * (j / 8))));
    scales[8 + j % 4] = static_cast<uint8_t>(scales[8 + j % 4] | ((codes[j] >> 4) << (2 * (j / 4))));
  }
}

// ---- Encoders (quants_k_quantize.cc) --------------------------------------------------------------------------
// Each encodes 256 finite floats the way ggml's reference quantizer does without an importance matrix.

BlockQ2_K EncodeQ2_K(const float* x);
BlockQ3_K EncodeQ3_K(const float* x);
BlockQ4_K EncodeQ4_K(const float* x);
BlockQ5_K EncodeQ5_K(const float* x);
BlockQ6_K EncodeQ6_K(const float* x);
BlockQ8_K EncodeQ8_K(const float* x);

}  // namespace baleen::quants
