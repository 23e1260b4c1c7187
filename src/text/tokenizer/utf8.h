// UTF-8 helpers for the tokenizer (text layer): strict decoding, encoding, validation, and the lossy decoding rule
// (maximal subparts become U+FFFD) shared by Hugging Face's `decode`, Python's errors="replace" and WHATWG TextDecoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace baleen::utf8 {

inline constexpr char32_t kReplacementChar = 0xFFFD;
inline constexpr std::string_view kReplacementUtf8 = "\xEF\xBF\xBD";

// Appends the UTF-8 encoding of `cp` (which must be a Unicode scalar value) to `out`.
inline void Append(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Length of the well-formed UTF-8 sequence starting at s[0], or 0 when s does not start with one. Follows the
// well-formed byte sequences table of the Unicode standard (no overlongs, no surrogates, nothing above U+10FFFF).
// When the result is 0, `*maximal_subpart` (if given) receives the length of the maximal subpart, the number of
// bytes one U+FFFD replaces (at least 1); a truncated but valid prefix at the end of `s` is reported as a subpart.
size_t SequenceLength(std::string_view s, size_t* maximal_subpart = nullptr);

// Decodes the well-formed sequence at s[0] of length `len` (as returned by SequenceLength).
inline char32_t DecodeSequence(const char* s, size_t len) {
  const auto b = [s](size_t i) { return static_cast<char32_t>(static_cast<unsigned char>(s[i])); };
  switch (len) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3: return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default: return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

// Byte offset of the first ill-formed sequence in `s`, or s.size() when `s` is valid UTF-8.
size_t FindInvalid(std::string_view s);
inline bool IsValid(std::string_view s) { return FindInvalid(s) == s.size(); }

// Lossy decoding: valid sequences are copied, each maximal subpart of an ill-formed sequence becomes U+FFFD.
std::string ToValidLossy(std::string_view bytes);

// Length of the longest suffix of `bytes` that is an incomplete but so far valid UTF-8 sequence (0 to 3 bytes):
// the bytes a streaming decoder must hold back because the next token may complete them.
size_t IncompleteSuffixLength(std::string_view bytes);

}  // namespace baleen::utf8
