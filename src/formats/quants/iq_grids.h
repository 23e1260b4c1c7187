// Codebooks of the i-quant GGUF formats (IQ1_*, IQ2_*, IQ3_*), their sign code and the IQ4_NL levels. Formats layer,
// private to src/formats/quants/. These are format constants: a block stores indices into them, so a file cannot be
// decoded without the exact same tables.
#pragma once

#include <cstddef>
#include <cstdint>

namespace baleen::quants {

// One codebook: n_entries rows of `width` small signed integers. A block selects a row by index and scales it.
struct CodebookGrid {
  const int8_t* values;  // [n_entries, width]
  uint32_t n_entries;
  uint32_t width;

  const int8_t* Row(uint32_t index) const { return values + static_cast<size_t>(index) * width; }
};

// Grids, expanded at compile time from per-row level indices (see iq_grids.cc).
const CodebookGrid& Iq1Grid();     // [2048, 8], values {-1, 0, 1}; shared by IQ1_S and IQ1_M
const CodebookGrid& Iq2XxsGrid();  // [256, 8],  values {8, 25, 43}
const CodebookGrid& Iq2XsGrid();   // [512, 8],  values {8, 25, 43}
const CodebookGrid& Iq2SGrid();    // [1024, 8], values {8, 25, 43}
const CodebookGrid& Iq3XxsGrid();  // [256, 4],  values {4, 12, 20, 28, 36, 44, 52, 62}
const CodebookGrid& Iq3SGrid();    // [512, 4],  values {1, 3, 5, 7, 9, 11, 13, 15}

// IQ2_XXS, IQ2_XS and IQ3_XXS store the signs of 8 grid values in 7 bits: bit j (j < 7) negates element j, and the
// sign of element 7 is implied, chosen so that the number of negated elements is even. Returns the full 8-bit mask.
constexpr uint8_t EvenParitySigns(uint32_t code7) {
  uint32_t parity = 0;
  for (uint32_t bits = code7 & 0x7f; bits != 0; bits &= bits - 1) parity ^= 1;
  return static_cast<uint8_t>((code7 & 0x7f) | (parity << 7));
}

// The 16 non-uniform levels of IQ4_NL, also used by IQ4_XS.
inline constexpr int8_t kIq4NlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

}  // namespace baleen::quants
