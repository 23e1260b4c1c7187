// Sane block scales for random weight blocks, for the kernel tests and benchmarks: random bytes are a valid block of
// every format (every code and packed sub-block scale pattern), except that a random f16 scale can be NaN, infinite
// or subnormal, and a random E8M0 exponent can overflow. Kernels layer, tests and benchmarks only.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "base/float16.h"
#include "formats/ggml_type.h"

namespace baleen {

// Where a block keeps its f16 scales: d first (and dmin, or Q4_1/Q5_1's signed minimum m, after it), Q6_K's d at
// the end, Q2_K's d and dmin and Q3_K's d after the codes. IQ1_M spreads its f16 over the top nibbles of its four
// 16-bit scale words, and MXFP4 has an 8-bit exponent instead (SetSaneBlockScales writes both).
struct HalfField {
  int offset;
  bool either_sign;
};

inline std::vector<HalfField> HalfFields(GgmlType type) {
  switch (type) {
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_1: return {{0, false}, {2, true}};
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K: return {{0, false}, {2, false}};
    case GgmlType::kQ6_K: return {{208, false}};
    case GgmlType::kQ2_K: return {{80, false}, {82, false}};
    case GgmlType::kQ3_K: return {{108, false}};
    case GgmlType::kIQ1_M:
    case GgmlType::kMXFP4: return {};
    default: return {{0, false}};
  }
}

// Sane scales for one random block: positive f16 scales in [1e-3, 1e-2] (either sign where the format allows it).
inline void SetSaneBlockScales(GgmlType type, uint8_t* block, std::mt19937& rng) {
  std::uniform_real_distribution<float> scale(1e-3f, 1e-2f);
  for (const HalfField& f : HalfFields(type)) {
    const uint16_t h = FloatToFp16(f.either_sign && rng() % 2 ? -scale(rng) : scale(rng));
    std::memcpy(block + f.offset, &h, 2);
  }
  if (type == GgmlType::kIQ1_M) {  // qs[32], qh[16], four u16 scale words: nibble k of the f16 in the top of word k
    const uint16_t h = FloatToFp16(scale(rng));
    for (int k = 0; k < 4; ++k) {
      uint16_t word;
      std::memcpy(&word, block + 48 + 2 * k, 2);
      word = static_cast<uint16_t>((word & 0x0FFF) | (((h >> (4 * k)) & 0xF) << 12));
      std::memcpy(block + 48 + 2 * k, &word, 2);
    }
  }
  if (type == GgmlType::kMXFP4) block[0] = static_cast<uint8_t>(118 + rng() % 8);  // E8M0: 2^-10 .. 2^-3
}

}  // namespace baleen
