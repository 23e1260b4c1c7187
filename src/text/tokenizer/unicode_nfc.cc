// NFC: canonical decomposition, canonical ordering, canonical composition (UAX #15), on generated tables.
#include "text/tokenizer/unicode_nfc.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "text/tokenizer/unicode_nfc_tables.h"
#include "text/tokenizer/utf8.h"

namespace baleen {
namespace {

// Hangul syllables compose and decompose algorithmically (Unicode 3.12).
constexpr char32_t kHangulSBase = 0xAC00, kHangulLBase = 0x1100, kHangulVBase = 0x1161, kHangulTBase = 0x11A7;
constexpr char32_t kHangulLCount = 19, kHangulVCount = 21, kHangulTCount = 28;
constexpr char32_t kHangulNCount = kHangulVCount * kHangulTCount, kHangulSCount = kHangulLCount * kHangulNCount;

struct NfcData {
  std::unordered_map<char32_t, std::pair<char32_t, char32_t>> decompositions;
  std::unordered_map<uint64_t, char32_t> compositions;  // (first << 32 | second) -> composite
  // Code points that can change under NFC or change their neighbours: a decomposition, a non-zero combining
  // class, or the second half of a composition. Text without any of these (and without Hangul jamo) is NFC.
  std::unordered_set<char32_t> active;

  NfcData() {
    std::unordered_set<char32_t> excluded(nfc_tables::kCompositionExclusions,
                                          nfc_tables::kCompositionExclusions + nfc_tables::kCompositionExclusionCount);
    for (int i = 0; i < nfc_tables::kDecompositionCount; ++i) {
      const auto& d = nfc_tables::kDecompositions[i];
      decompositions[d.code_point] = {d.first, d.second};
      active.insert(d.code_point);
      if (d.second != 0 && !excluded.count(d.code_point)) {
        compositions[(uint64_t{d.first} << 32) | d.second] = d.code_point;
        active.insert(d.second);
      }
    }
    for (int i = 0; i < nfc_tables::kCombiningClassRangeCount; ++i) {
      const auto& r = nfc_tables::kCombiningClassRanges[i];
      for (char32_t cp = r.first; cp <= r.last; ++cp) active.insert(cp);
    }
  }
};

const NfcData& Data() {
  static const NfcData* data = new NfcData();  // immutable after construction; never destroyed
  return *data;
}

int CombiningClass(char32_t cp) {
  if (cp < 0x300) return 0;
  const auto* begin = nfc_tables::kCombiningClassRanges;
  const auto* end = begin + nfc_tables::kCombiningClassRangeCount;
  const auto* it = std::upper_bound(begin, end, cp, [](char32_t c, const auto& r) { return c < r.first; });
  if (it == begin) return 0;
  --it;
  return cp <= it->last ? it->combining_class : 0;
}

bool IsHangulJamoOrSyllable(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x11FF) || (cp >= kHangulSBase && cp < kHangulSBase + kHangulSCount);
}

void Decompose(const NfcData& data, char32_t cp, std::vector<char32_t>& out) {
  if (cp >= kHangulSBase && cp < kHangulSBase + kHangulSCount) {
    const char32_t s = cp - kHangulSBase;
    out.push_back(kHangulLBase + s / kHangulNCount);
    out.push_back(kHangulVBase + (s % kHangulNCount) / kHangulTCount);
    if (s % kHangulTCount != 0) out.push_back(kHangulTBase + s % kHangulTCount);
    return;
  }
  const auto it = data.decompositions.find(cp);
  if (it == data.decompositions.end()) {
    out.push_back(cp);
    return;
  }
  Decompose(data, it->second.first, out);
  if (it->second.second != 0) Decompose(data, it->second.second, out);
}

// Stable sort of every run of non-starters by combining class (canonical ordering).
void CanonicalOrder(std::vector<char32_t>& cps) {
  size_t i = 0;
  while (i < cps.size()) {
    if (CombiningClass(cps[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < cps.size() && CombiningClass(cps[j]) != 0) ++j;
    std::stable_sort(cps.begin() + i, cps.begin() + j,
                     [](char32_t a, char32_t b) { return CombiningClass(a) < CombiningClass(b); });
    i = j;
  }
}

// The primary composite of (first, second), or 0.
char32_t Compose(const NfcData& data, char32_t first, char32_t second) {
  if (first >= kHangulLBase && first < kHangulLBase + kHangulLCount && second >= kHangulVBase &&
      second < kHangulVBase + kHangulVCount) {
    return kHangulSBase + ((first - kHangulLBase) * kHangulVCount + (second - kHangulVBase)) * kHangulTCount;
  }
  if (first >= kHangulSBase && first < kHangulSBase + kHangulSCount && (first - kHangulSBase) % kHangulTCount == 0 &&
      second > kHangulTBase && second < kHangulTBase + kHangulTCount) {
    return first + (second - kHangulTBase);
  }
  const auto it = data.compositions.find((uint64_t{first} << 32) | second);
  return it == data.compositions.end() ? 0 : it->second;
}

// Canonical composition in place: each character joins the last starter unless blocked.
void ComposeAll(const NfcData& data, std::vector<char32_t>& cps) {
  std::vector<char32_t> out;
  out.reserve(cps.size());
  ptrdiff_t starter = -1;
  int last_class = -1;  // combining class of the last character kept after the starter; -1: none
  for (const char32_t cp : cps) {
    const int cls = CombiningClass(cp);
    if (starter >= 0 && (last_class == -1 || last_class < cls)) {
      const char32_t composite = Compose(data, out[starter], cp);
      if (composite != 0) {
        out[starter] = composite;
        continue;
      }
    }
    if (cls == 0) {
      starter = static_cast<ptrdiff_t>(out.size());
      last_class = -1;
    } else {
      last_class = cls;
    }
    out.push_back(cp);
  }
  cps.swap(out);
}

}  // namespace

std::string NfcNormalize(std::string_view text) {
  // Fast path: U+0300 is the first code point NFC can touch; its UTF-8 lead byte is 0xCC.
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0xCC; })) {
    return std::string(text);
  }
  const NfcData& data = Data();
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  bool active = false;
  for (size_t i = 0; i < text.size();) {
    size_t len = utf8::SequenceLength(text.substr(i));
    if (len == 0) len = 1;  // precondition violated; keep going without reading past the end
    const char32_t cp = utf8::DecodeSequence(text.data() + i, len);
    active = active || (cp >= 0x300 && (data.active.count(cp) != 0 || IsHangulJamoOrSyllable(cp)));
    cps.push_back(cp);
    i += len;
  }
  if (!active) return std::string(text);

  std::vector<char32_t> decomposed;
  decomposed.reserve(cps.size() + cps.size() / 2);
  for (const char32_t cp : cps) Decompose(data, cp, decomposed);
  CanonicalOrder(decomposed);
  ComposeAll(data, decomposed);
  std::string out;
  out.reserve(text.size());
  for (const char32_t cp : decomposed) utf8::Append(cp, out);
  return out;
}

const char* NfcUnicodeVersion() { return nfc_tables::kUnicodeVersion; }

}  // namespace baleen
