// AddedTokenMatcher: a byte trie scanned leftmost-longest, as the aho-corasick LeftmostLongest automaton of Hugging
// Face tokenizers does.
#include "text/tokenizer/added_tokens.h"

#include <algorithm>

#include "text/tokenizer/utf8.h"

namespace baleen {
namespace {

// Rust's char::is_whitespace (the Unicode White_Space property).
bool IsWhitespace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

// Approximates Rust's `c.is_alphanumeric() || c == '_'` (HF's word characters for single_word): ASCII letters,
// digits and '_', and every non-ASCII code point that is not whitespace or in the general punctuation blocks.
bool IsWordChar(char32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || cp == '_';
  return !IsWhitespace(cp) && !(cp >= 0x2000 && cp <= 0x2BFF) && !(cp >= 0x3000 && cp <= 0x303F);
}

// Decodes the code point ending at text[end) (end > 0).
char32_t LastCodePoint(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && end - start < 4 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  const size_t len = utf8::SequenceLength(text.substr(start, end - start));
  return len == end - start ? utf8::DecodeSequence(text.data() + start, len) : 0xFFFD;
}

char32_t FirstCodePoint(std::string_view text, size_t begin, size_t* length) {
  const size_t len = utf8::SequenceLength(text.substr(begin));
  *length = len == 0 ? 1 : len;
  return len == 0 ? 0xFFFD : utf8::DecodeSequence(text.data() + begin, len);
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<BpeVocab::AddedToken>& tokens,
                                     const std::vector<std::string>& contents)
    : tokens_(tokens) {
  for (size_t t = 0; t < tokens.size(); ++t) {
    const std::string& content = contents[t];
    if (content.empty()) continue;
    can_start_[static_cast<uint8_t>(content[0])] = true;
    int32_t node = 0;
    for (const char c : content) {
      const uint8_t byte = static_cast<uint8_t>(c);
      int32_t next = Child(node, byte);
      if (next < 0) {
        next = static_cast<int32_t>(nodes_.size());
        auto& children = nodes_[node].children;
        children.insert(std::upper_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{-1})),
                        {byte, next});
        nodes_.emplace_back();
      }
      node = next;
    }
    nodes_[node].token = static_cast<int32_t>(t);
  }
}

int32_t AddedTokenMatcher::Child(int32_t node, uint8_t byte) const {
  const auto& children = nodes_[node].children;
  const auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{-1}));
  return it != children.end() && it->first == byte ? it->second : -1;
}

void AddedTokenMatcher::FindAll(std::string_view text, uint32_t begin, uint32_t end,
                                std::vector<AddedTokenMatch>& out) const {
  if (empty()) return;
  uint32_t start_offset = begin;  // stripped whitespace never reaches back before the previous match
  uint32_t i = begin;
  while (i < end) {
    if (!can_start_[static_cast<uint8_t>(text[i])]) {
      ++i;
      continue;
    }
    int32_t node = 0, token = -1;
    uint32_t match_end = i;
    for (uint32_t j = i; j < end; ++j) {
      node = Child(node, static_cast<uint8_t>(text[j]));
      if (node < 0) break;
      if (nodes_[node].token >= 0) {
        token = nodes_[node].token;
        match_end = j + 1;
      }
    }
    if (token < 0) {
      ++i;
      continue;
    }
    const BpeVocab::AddedToken& added = tokens_[token];
    uint32_t m_begin = i, m_end = match_end;
    i = match_end;  // a discarded single_word match still consumes its text, as in HF's non-overlapping scan
    if (added.single_word) {
      size_t len = 0;
      const bool word_before = m_begin > begin && IsWordChar(LastCodePoint(text.substr(0, end), m_begin));
      const bool word_after = m_end < end && IsWordChar(FirstCodePoint(text.substr(0, end), m_end, &len));
      if (word_before || word_after) continue;
    }
    if (added.lstrip) {
      while (m_begin > start_offset && IsWhitespace(LastCodePoint(text, m_begin))) {
        do {
          --m_begin;
        } while (m_begin > start_offset && (static_cast<unsigned char>(text[m_begin]) & 0xC0) == 0x80);
      }
    }
    if (added.rstrip) {
      size_t len = 0;
      while (m_end < end && IsWhitespace(FirstCodePoint(text.substr(0, end), m_end, &len))) {
        m_end += static_cast<uint32_t>(len);
      }
      i = m_end;
    }
    start_offset = m_end;
    out.push_back({m_begin, m_end, added.id});
  }
}

}  // namespace baleen
