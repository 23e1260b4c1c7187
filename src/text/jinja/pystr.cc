// Python str semantics on UTF-8 strings. Case mapping covers ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic
// and fullwidth Latin: enough for chat templates; a full Unicode table would be thousands of lines for no gain.
#include "text/jinja/pystr.h"

#include <algorithm>
#include <cstring>

#include "text/jinja/budget.h"

namespace baleen::jinja::pystr {
namespace {

constexpr char32_t kEscapeBase = 0xDC80;  // surrogateescape: invalid byte b -> U+DC80+b (b >= 0x80)

bool InRange(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

// Pairs where the upper case letter is even and the lower case is the next odd code point.
bool EvenOddPair(char32_t c) {
  return InRange(c, 0x100, 0x12F) || InRange(c, 0x132, 0x137) || InRange(c, 0x14A, 0x177) ||
         InRange(c, 0x460, 0x481) || InRange(c, 0x48A, 0x4BF) || InRange(c, 0x4D0, 0x52F);
}
// Pairs where the upper case letter is odd and the lower case is the next even code point.
bool OddEvenPair(char32_t c) {
  return InRange(c, 0x139, 0x148) || InRange(c, 0x179, 0x17E) || InRange(c, 0x4C1, 0x4CE);
}

bool IsNonPrintable(char32_t c) {
  if (c < 0x20 || InRange(c, 0x7F, 0xA0)) return true;
  if (c == 0xAD || c == 0x1680 || InRange(c, 0x2000, 0x200F) || InRange(c, 0x2028, 0x202F)) return true;
  if (InRange(c, 0x205F, 0x206F) || c == 0x3000 || c == 0xFEFF || InRange(c, 0xFFF9, 0xFFFB)) return true;
  if (InRange(c, 0x600, 0x605) || c == 0x61C || c == 0x6DD || c == 0x70F || c == 0x180E) return true;
  if (InRange(c, 0xD800, 0xDFFF) || InRange(c, 0xE000, 0xF8FF) || InRange(c, 0xFDD0, 0xFDEF)) return true;
  if ((c & 0xFFFE) == 0xFFFE || c >= 0xF0000 || InRange(c, 0xE0000, 0xE0FFF)) return true;
  return false;
}

std::string EncodeRange(const std::vector<char32_t>& cps, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) AppendUtf8(cps[i], &out);
  return out;
}

bool MatchAt(const std::vector<char32_t>& s, size_t pos, const std::vector<char32_t>& sub) {
  if (pos + sub.size() > s.size()) return false;
  return std::equal(sub.begin(), sub.end(), s.begin() + static_cast<std::ptrdiff_t>(pos));
}

}  // namespace

size_t FindBytes(std::string_view hay, std::string_view needle, size_t from) {
  if (from > hay.size()) return std::string_view::npos;
  if (needle.empty()) return from;
  const void* hit = memmem(hay.data() + from, hay.size() - from, needle.data(), needle.size());
  size_t at = hit == nullptr ? std::string_view::npos : static_cast<size_t>(static_cast<const char*>(hit) - hay.data());
  size_t scanned = (hit == nullptr ? hay.size() : at + needle.size()) - from;  // charge what was read
  ChargeWork(static_cast<int64_t>((scanned + needle.size()) / 4) + 1);
  return at;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp >= kEscapeBase && cp <= kEscapeBase + 0x7F) {  // an escaped invalid byte goes back out as itself
    out->push_back(static_cast<char>(cp - kEscapeBase + 0x80));
    return;
  }
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::vector<char32_t> Decode(std::string_view s) {
  ChargeWork(static_cast<int64_t>(s.size() / 8) + 1);
  std::vector<char32_t> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    int len = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 0;
    char32_t cp = len == 4 ? (b & 0x07) : len == 3 ? (b & 0x0F) : (b & 0x1F);
    bool ok = len > 0 && i + len <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      unsigned char c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (c & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF, as Python's UTF-8 decoder does.
    if (ok && ((len == 3 && (cp < 0x800 || InRange(cp, 0xD800, 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))) {
      ok = false;
    }
    if (!ok) {
      out.push_back(kEscapeBase + (b - 0x80));
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::string Encode(const std::vector<char32_t>& cps) { return EncodeRange(cps, 0, cps.size()); }

std::string Encode(char32_t cp) {
  std::string out;
  AppendUtf8(cp, &out);
  return out;
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

size_t Length(std::string_view s) { return IsAscii(s) ? s.size() : Decode(s).size(); }

bool IsSpace(char32_t c) {
  return InRange(c, 0x09, 0x0D) || InRange(c, 0x1C, 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         InRange(c, 0x2000, 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

bool IsLineBreak(char32_t c) {
  return InRange(c, 0x0A, 0x0D) || InRange(c, 0x1C, 0x1E) || c == 0x85 || c == 0x2028 || c == 0x2029;
}

char32_t ToUpper(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  if ((InRange(c, 0xE0, 0xFE) && c != 0xF7)) return c - 32;
  if (c == 0xFF) return 0x178;
  if (c == 0xB5) return 0x39C;
  if (c == 0x131) return 'I';
  if (c == 0x17F) return 'S';
  if (EvenOddPair(c)) return (c & 1) ? c - 1 : c;
  if (OddEvenPair(c)) return (c & 1) ? c : c - 1;
  if (InRange(c, 0x3B1, 0x3C9) && c != 0x3C2) return c - 32;
  if (c == 0x3C2) return 0x3A3;
  if (c == 0x3AC) return 0x386;
  if (InRange(c, 0x3AD, 0x3AF)) return c - 37;
  if (c == 0x3CC) return 0x38C;
  if (c == 0x3CD || c == 0x3CE) return c - 63;
  if (InRange(c, 0x430, 0x44F)) return c - 32;
  if (InRange(c, 0x450, 0x45F)) return c - 80;
  if (InRange(c, 0xFF41, 0xFF5A)) return c - 32;
  return c;
}

char32_t ToLower(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (InRange(c, 0xC0, 0xDE) && c != 0xD7) return c + 32;
  if (c == 0x178) return 0xFF;
  if (EvenOddPair(c)) return (c & 1) ? c : c + 1;
  if (OddEvenPair(c)) return (c & 1) ? c + 1 : c;
  if (InRange(c, 0x391, 0x3A9) && c != 0x3A2) return c + 32;
  if (c == 0x386) return 0x3AC;
  if (InRange(c, 0x388, 0x38A)) return c + 37;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 63;
  if (InRange(c, 0x410, 0x42F)) return c + 32;
  if (InRange(c, 0x400, 0x40F)) return c + 80;
  if (InRange(c, 0xFF21, 0xFF3A)) return c + 32;
  return c;
}

bool IsUpper(char32_t c) { return ToLower(c) != c; }
bool IsLower(char32_t c) { return ToUpper(c) != c || c == 0xDF; }
bool IsDigit(char32_t c) { return InRange(c, '0', '9') || InRange(c, 0x660, 0x669) || InRange(c, 0xFF10, 0xFF19); }

bool IsAlpha(char32_t c) {
  if (c < 0x80) return InRange(c, 'a', 'z') || InRange(c, 'A', 'Z');
  if (c == 0xAA || c == 0xB5 || c == 0xBA) return true;
  if (InRange(c, 0xC0, 0x24F) && c != 0xD7 && c != 0xF7) return true;
  return IsUpper(c) || IsLower(c) || InRange(c, 0x5D0, 0x5EA) || InRange(c, 0x620, 0x64A) ||
         InRange(c, 0x3041, 0x30FF) || InRange(c, 0x3400, 0x4DBF) || InRange(c, 0x4E00, 0x9FFF) ||
         InRange(c, 0xAC00, 0xD7A3) || InRange(c, 0x0E01, 0x0E30);
}

bool IsAlnum(char32_t c) { return IsAlpha(c) || IsDigit(c); }

std::string Upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : Decode(s)) {
    if (c == 0xDF) {
      out += "SS";
    } else {
      AppendUtf8(ToUpper(c), &out);
    }
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : Decode(s)) AppendUtf8(ToLower(c), &out);
  return out;
}

std::string Capitalize(std::string_view s) {
  std::vector<char32_t> cps = Decode(s);
  std::string out;
  for (size_t i = 0; i < cps.size(); ++i) AppendUtf8(i == 0 ? ToUpper(cps[i]) : ToLower(cps[i]), &out);
  return out;
}

std::string Title(std::string_view s) {
  std::string out;
  bool previous_cased = false;
  for (char32_t c : Decode(s)) {
    bool cased = IsUpper(c) || IsLower(c);
    AppendUtf8(previous_cased ? ToLower(c) : ToUpper(c), &out);
    previous_cased = cased;
  }
  return out;
}

std::string Strip(std::string_view s, const std::string* chars, bool left, bool right) {
  std::vector<char32_t> cps = Decode(s);
  std::vector<char32_t> set;
  if (chars != nullptr) set = Decode(*chars);
  auto strip_it = [&](char32_t c) {
    return chars == nullptr ? IsSpace(c) : std::find(set.begin(), set.end(), c) != set.end();
  };
  size_t begin = 0, end = cps.size();
  if (left) {
    while (begin < end && strip_it(cps[begin])) ++begin;
  }
  if (right) {
    while (end > begin && strip_it(cps[end - 1])) --end;
  }
  return EncodeRange(cps, begin, end);
}

std::vector<std::string> Split(std::string_view s, const std::string* sep, int64_t maxsplit) {
  std::vector<char32_t> cps = Decode(s);
  std::vector<std::string> out;
  if (sep == nullptr) {
    size_t i = 0;
    while (true) {
      while (i < cps.size() && IsSpace(cps[i])) ++i;
      if (i >= cps.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
        size_t end = cps.size();
        while (end > i && IsSpace(cps[end - 1])) --end;
        out.push_back(EncodeRange(cps, i, end));
        break;
      }
      size_t start = i;
      while (i < cps.size() && !IsSpace(cps[i])) ++i;
      out.push_back(EncodeRange(cps, start, i));
    }
    return out;
  }
  std::vector<char32_t> needle = Decode(*sep);
  ChargeWork(static_cast<int64_t>(cps.size() * needle.size() / 8) + 1);
  size_t start = 0;
  size_t i = 0;
  while (i + needle.size() <= cps.size()) {
    if ((maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) && MatchAt(cps, i, needle)) {
      out.push_back(EncodeRange(cps, start, i));
      i += needle.size();
      start = i;
    } else {
      ++i;
    }
  }
  out.push_back(EncodeRange(cps, start, cps.size()));
  return out;
}

std::vector<std::string> RSplit(std::string_view s, const std::string* sep, int64_t maxsplit) {
  if (maxsplit < 0) return Split(s, sep, maxsplit);
  std::vector<char32_t> cps = Decode(s);
  std::vector<std::string> out;
  if (sep == nullptr) {
    size_t i = cps.size();
    while (true) {
      while (i > 0 && IsSpace(cps[i - 1])) --i;
      if (i == 0) break;
      if (static_cast<int64_t>(out.size()) >= maxsplit) {
        size_t begin = 0;
        while (begin < i && IsSpace(cps[begin])) ++begin;
        out.push_back(EncodeRange(cps, begin, i));
        break;
      }
      size_t end = i;
      while (i > 0 && !IsSpace(cps[i - 1])) --i;
      out.push_back(EncodeRange(cps, i, end));
    }
  } else {
    std::vector<char32_t> needle = Decode(*sep);
    ChargeWork(static_cast<int64_t>(cps.size() * needle.size() / 8) + 1);
    size_t end = cps.size();
    size_t i = cps.size();
    while (i >= needle.size() && static_cast<int64_t>(out.size()) < maxsplit) {
      if (MatchAt(cps, i - needle.size(), needle)) {
        out.push_back(EncodeRange(cps, i, end));
        i -= needle.size();
        end = i;
      } else {
        --i;
      }
    }
    out.push_back(EncodeRange(cps, 0, end));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::string> SplitLines(std::string_view s, bool keepends) {
  std::vector<char32_t> cps = Decode(s);
  std::vector<std::string> out;
  size_t start = 0;
  size_t i = 0;
  while (i < cps.size()) {
    if (!IsLineBreak(cps[i])) {
      ++i;
      continue;
    }
    size_t eol = i;
    i += (cps[i] == '\r' && i + 1 < cps.size() && cps[i + 1] == '\n') ? 2 : 1;
    out.push_back(EncodeRange(cps, start, keepends ? i : eol));
    start = i;
  }
  if (start < cps.size()) out.push_back(EncodeRange(cps, start, cps.size()));
  return out;
}

std::string Replace(std::string_view s, std::string_view old_sub, std::string_view new_sub, int64_t count) {
  std::string out;
  if (old_sub.empty()) {  // Python inserts new_sub between every code point and at both ends
    std::vector<char32_t> cps = Decode(s);
    int64_t done = 0;
    for (size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || done < count) {
        out += new_sub;
        ++done;
      }
      if (i < cps.size()) AppendUtf8(cps[i], &out);
    }
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t hit = FindBytes(s, old_sub, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(new_sub);
    pos = hit + old_sub.size();
    ++done;
  }
  out.append(s.substr(pos));
  return out;
}

int64_t Count(std::string_view s, std::string_view sub) {
  if (sub.empty()) return static_cast<int64_t>(Length(s)) + 1;
  int64_t n = 0;
  for (size_t pos = FindBytes(s, sub, 0); pos != std::string_view::npos; pos = FindBytes(s, sub, pos + sub.size())) ++n;
  return n;
}

int64_t Find(std::string_view s, std::string_view sub, bool reverse) {
  if (reverse) ChargeWork(static_cast<int64_t>(s.size() * (sub.size() + 1) / 8) + 1);
  size_t byte_pos = reverse ? s.rfind(sub) : FindBytes(s, sub, 0);
  if (byte_pos == std::string_view::npos) return -1;
  return static_cast<int64_t>(Length(s.substr(0, byte_pos)));
}

std::string Repr(std::string_view s) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  static const char* kHex = "0123456789abcdef";
  for (char32_t c : Decode(s)) {
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (IsNonPrintable(c)) {
      int digits = c < 0x100 ? 2 : c < 0x10000 ? 4 : 8;
      out += digits == 2 ? "\\x" : digits == 4 ? "\\u" : "\\U";
      for (int k = digits - 1; k >= 0; --k) out.push_back(kHex[(c >> (4 * k)) & 0xF]);
    } else {
      AppendUtf8(c, &out);
    }
  }
  out.push_back(quote);
  return out;
}

}  // namespace baleen::jinja::pystr
