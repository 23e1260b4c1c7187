// Unicode data tables for the NFC normalizer (text layer); the data lives in the generated unicode_nfc_tables.cc.
#pragma once

#include <cstdint>

namespace baleen::nfc_tables {

struct CombiningClassRange {
  char32_t first;
  char32_t last;
  uint8_t combining_class;
};

struct Decomposition {
  char32_t code_point;
  char32_t first;
  char32_t second;  // 0 for a singleton decomposition
};

extern const char kUnicodeVersion[];
extern const CombiningClassRange kCombiningClassRanges[];
extern const int kCombiningClassRangeCount;
extern const Decomposition kDecompositions[];
extern const int kDecompositionCount;
extern const char32_t kCompositionExclusions[];
extern const int kCompositionExclusionCount;

}  // namespace baleen::nfc_tables
