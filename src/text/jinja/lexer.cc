// Jinja lexer with trim_blocks and lstrip_blocks; see lexer.h. The rules below follow jinja2/lexer.py closely
// because every whitespace byte of a chat template reaches the model.
#include "text/jinja/lexer.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "text/jinja/pystr.h"
#include "text/jinja/value.h"

namespace baleen::jinja {
namespace {

enum class TagKind { kVariable, kBlock, kComment };

bool IsAsciiSpaceTab(char c) { return c == ' ' || c == '\t'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }

// Python's `\s` / str.isspace() on the UTF-8 text at `pos`; returns the byte length of the whitespace
// character there, or 0.
size_t WhitespaceLength(std::string_view s, size_t pos) {
  unsigned char b = static_cast<unsigned char>(s[pos]);
  if (b < 0x80) return pystr::IsSpace(b) ? 1 : 0;
  size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
  if (pos + len > s.size()) return 0;
  std::vector<char32_t> cps = pystr::Decode(s.substr(pos, len));
  return cps.size() == 1 && pystr::IsSpace(cps[0]) ? len : 0;
}

size_t SkipWhitespace(std::string_view s, size_t pos) {
  while (pos < s.size()) {
    size_t len = WhitespaceLength(s, pos);
    if (len == 0) break;
    pos += len;
  }
  return pos;
}

// str.rstrip() with Python's whitespace definition.
std::string_view RStrip(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 && end - start < 4) --start;
    if (WhitespaceLength(s, start) != end - start) break;
    end = start;
  }
  return s.substr(0, end);
}

// Python's unicode-escape decoding of a string literal body, as jinja2 applies it.
std::string Unescape(std::string_view body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 >= body.size()) {
      out.push_back(c);
      continue;
    }
    char e = body[++i];
    auto hex_escape = [&](size_t digits) -> bool {
      uint32_t cp = 0;
      for (size_t k = 1; k <= digits; ++k) {
        if (i + k >= body.size()) return false;
        char h = body[i + k];
        int v = IsDigitChar(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
        if (v < 0) return false;
        cp = cp * 16 + static_cast<uint32_t>(v);
      }
      if (cp > 0x10FFFF) return false;
      pystr::AppendUtf8(cp, &out);
      i += digits;
      return true;
    };
    switch (e) {
      case '\n': break;  // line continuation
      case '\\': out.push_back('\\'); break;
      case '\'': out.push_back('\''); break;
      case '"': out.push_back('"'); break;
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case 'x':
      case 'u':
      case 'U':
        if (!hex_escape(e == 'x' ? 2 : e == 'u' ? 4 : 8)) ThrowError("invalid \\" + std::string(1, e) + " escape in string literal");
        break;
      default:
        if (e >= '0' && e <= '7') {
          uint32_t cp = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k) {
            cp = cp * 8 + static_cast<uint32_t>(body[++i] - '0');
          }
          pystr::AppendUtf8(cp, &out);
        } else if (static_cast<unsigned char>(e) >= 0x80) {
          // jinja2 first applies backslashreplace to non-ASCII text, so "\\é" reads as "\\xe9".
          std::vector<char32_t> cps = pystr::Decode(body.substr(i, 4));
          char32_t cp = cps.front();
          size_t len = pystr::Encode(cp).size();
          char buf[16];
          std::snprintf(buf, sizeof(buf), cp < 0x100 ? "\\x%02x" : cp < 0x10000 ? "\\u%04x" : "\\U%08x",
                        static_cast<unsigned>(cp));
          out += buf;
          i += len - 1;
        } else {  // unknown escapes stay as written, as in Python
          out.push_back('\\');
          out.push_back(e);
        }
    }
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string source) : src_(std::move(source)) {}

  std::vector<Token> Run() {
    while (pos_ < src_.size()) {
      size_t open = FindTagOpen(pos_);
      if (open == std::string::npos) {
        Emit(TokenType::kData, src_.substr(pos_), pos_);
        break;
      }
      LexTag(open);
    }
    Token eof{TokenType::kEof, ""};
    SetPosition(&eof, src_.size());
    tokens_.push_back(std::move(eof));
    return std::move(tokens_);
  }

 private:
  size_t FindTagOpen(size_t from) const {
    for (size_t p = src_.find('{', from); p != std::string::npos; p = src_.find('{', p + 1)) {
      if (p + 1 < src_.size() && (src_[p + 1] == '{' || src_[p + 1] == '%' || src_[p + 1] == '#')) return p;
    }
    return std::string::npos;
  }

  [[noreturn]] void Fail(const std::string& message, size_t at) {
    JinjaError error{message};
    Token t;
    SetPosition(&t, at);
    error.line = t.line;
    error.column = t.column;
    throw error;
  }

  // Line and column (in code points) of byte offset `at`, tracked incrementally so that lexing stays
  // linear even on one enormous line.
  void SetPosition(Token* t, size_t at) {
    if (at < scan_) {  // only error paths look backwards; rescan from the start
      scan_ = 0;
      line_ = 1;
      column_ = 1;
    }
    for (; scan_ < at && scan_ < src_.size(); ++scan_) {
      unsigned char c = static_cast<unsigned char>(src_[scan_]);
      if (c == '\n') {
        ++line_;
        column_ = 1;
      } else if ((c & 0xC0) != 0x80) {
        ++column_;
      }
    }
    t->line = line_;
    t->column = column_;
  }

  void Emit(TokenType type, std::string value, size_t at) {
    if (type == TokenType::kData && value.empty()) return;
    Token t{type, std::move(value)};
    SetPosition(&t, at);
    tokens_.push_back(std::move(t));
  }

  // OptionalLStrip: the text before a tag loses its trailing whitespace for "-", or its indentation for
  // lstrip_blocks (block and comment tags only, unless "+").
  std::string StripBeforeTag(std::string_view text, char sign, TagKind kind) const {
    if (sign == '-') return std::string(RStrip(text));
    if (sign != '+' && kind != TagKind::kVariable) {
      size_t newline = text.rfind('\n');
      size_t l_pos = newline == std::string_view::npos ? 0 : newline + 1;
      if (l_pos > 0 || line_starting_) {
        bool only_blank = true;
        for (size_t i = l_pos; i < text.size(); ++i) only_blank = only_blank && IsAsciiSpaceTab(text[i]);
        if (only_blank) return std::string(text.substr(0, l_pos));
      }
    }
    return std::string(text);
  }

  // Matches `{%[-+]?\s*raw\s*(-%}\s*|%})` at `open`; returns the end of the match or npos.
  size_t MatchRawBegin(size_t open) const {
    size_t p = open + 2;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
    p = SkipWhitespace(src_, p);
    if (src_.compare(p, 3, "raw") != 0) return std::string::npos;
    p = SkipWhitespace(src_, p + 3);
    if (src_.compare(p, 3, "-%}") == 0) return SkipWhitespace(src_, p + 3);
    if (src_.compare(p, 2, "%}") == 0) return p + 2;
    return std::string::npos;
  }

  void LexTag(size_t open) {
    char second = src_[open + 1];
    TagKind kind = second == '{' ? TagKind::kVariable : second == '%' ? TagKind::kBlock : TagKind::kComment;
    char sign = open + 2 < src_.size() && (src_[open + 2] == '-' || src_[open + 2] == '+') ? src_[open + 2] : 0;
    std::string_view text = std::string_view(src_).substr(pos_, open - pos_);
    Emit(TokenType::kData, StripBeforeTag(text, sign, kind), pos_);
    size_t after_open = open + 2 + (sign ? 1 : 0);
    if (kind == TagKind::kBlock) {
      size_t raw_end = MatchRawBegin(open);
      if (raw_end != std::string::npos) return LexRaw(open, raw_end);
    }
    if (kind == TagKind::kComment) return LexComment(open, after_open);
    Emit(kind == TagKind::kVariable ? TokenType::kVariableBegin : TokenType::kBlockBegin, "", open);
    LexInsideTag(kind, after_open);
  }

  void LexComment(size_t open, size_t content) {
    if (content >= src_.size()) return FinishTag(src_.size());  // jinja2 stops silently at the very end
    size_t close = src_.find("#}", content);
    if (close == std::string::npos) Fail("Missing end of comment tag", open);
    char sign = close > content && (src_[close - 1] == '-' || src_[close - 1] == '+') ? src_[close - 1] : 0;
    size_t end = close + 2;
    if (sign == '-') {
      end = SkipWhitespace(src_, end);
    } else if (sign == 0 && end < src_.size() && src_[end] == '\n') {
      ++end;  // trim_blocks
    }
    FinishTag(end);
  }

  void LexRaw(size_t open, size_t content) {
    if (content >= src_.size()) return FinishTag(src_.size());  // as for comments
    for (size_t p = src_.find("{%", content); p != std::string::npos; p = src_.find("{%", p + 1)) {
      size_t q = p + 2;
      char sign = q < src_.size() && (src_[q] == '-' || src_[q] == '+') ? src_[q] : 0;
      if (sign) ++q;
      q = SkipWhitespace(src_, q);
      if (src_.compare(q, 6, "endraw") != 0) continue;
      q = SkipWhitespace(src_, q + 6);
      size_t end;
      if (src_.compare(q, 3, "+%}") == 0) {
        end = q + 3;
      } else if (src_.compare(q, 3, "-%}") == 0) {
        end = SkipWhitespace(src_, q + 3);
      } else if (src_.compare(q, 2, "%}") == 0) {
        end = q + 2 + (q + 2 < src_.size() && src_[q + 2] == '\n' ? 1 : 0);
      } else {
        continue;
      }
      line_starting_ = src_[content - 1] == '\n';
      std::string_view body = std::string_view(src_).substr(content, p - content);
      Emit(TokenType::kData, StripBeforeTag(body, sign, TagKind::kBlock), content);
      FinishTag(end);
      return;
    }
    Fail("Missing end of raw directive", open);
  }

  void FinishTag(size_t end) {
    line_starting_ = end > 0 && src_[end - 1] == '\n';
    pos_ = end;
  }

  // Returns the end of the closing delimiter at p, or npos.
  size_t MatchTagEnd(TagKind kind, size_t p) const {
    if (kind == TagKind::kVariable) {
      if (src_.compare(p, 3, "-}}") == 0) return SkipWhitespace(src_, p + 3);
      if (src_.compare(p, 2, "}}") == 0) return p + 2;
      return std::string::npos;
    }
    if (src_.compare(p, 3, "+%}") == 0) return p + 3;
    if (src_.compare(p, 3, "-%}") == 0) return SkipWhitespace(src_, p + 3);
    if (src_.compare(p, 2, "%}") == 0) return p + 2 + (p + 2 < src_.size() && src_[p + 2] == '\n' ? 1 : 0);
    return std::string::npos;
  }

  void LexInsideTag(TagKind kind, size_t p) {
    std::vector<char> braces;
    while (true) {
      p = SkipWhitespace(src_, p);
      if (p >= src_.size()) Fail("unexpected end of template, expected end of tag", p);
      if (braces.empty()) {
        size_t end = MatchTagEnd(kind, p);
        if (end != std::string::npos) {
          Emit(kind == TagKind::kVariable ? TokenType::kVariableEnd : TokenType::kBlockEnd, "", p);
          FinishTag(end);
          return;
        }
      }
      p = LexOne(p, &braces);
    }
  }

  // jinja2's float_re and integer_re: 1_000, 1.5e3, 0x1F, 0o17, 0b101; a leading zero stands alone ("05" is
  // the integer 0 followed by the integer 5, which the parser then rejects).
  size_t LexNumber(size_t p) {
    auto digits = [&](size_t at, auto is_digit) {  // (d+_)*d+
      size_t r = at;
      while (r < src_.size() && is_digit(src_[r])) {
        while (r < src_.size() && is_digit(src_[r])) ++r;
        if (r + 1 < src_.size() && src_[r] == '_' && is_digit(src_[r + 1])) ++r;
      }
      return r;
    };
    auto dec = [](char c) { return IsDigitChar(c); };
    size_t q = digits(p, dec);
    bool is_float = false;
    if (q + 1 < src_.size() && src_[q] == '.' && IsDigitChar(src_[q + 1])) {
      q = digits(q + 1, dec);
      is_float = true;
    }
    if (q < src_.size() && (src_[q] == 'e' || src_[q] == 'E')) {
      size_t r = q + 1;
      if (r < src_.size() && (src_[r] == '+' || src_[r] == '-')) ++r;
      if (r < src_.size() && IsDigitChar(src_[r])) {
        q = digits(r, dec);
        is_float = true;
      }
    }
    int base = 10;
    if (!is_float && src_[p] == '0') {
      char x = p + 1 < src_.size() ? static_cast<char>(src_[p + 1] | 0x20) : 0;
      base = x == 'x' ? 16 : x == 'o' ? 8 : x == 'b' ? 2 : 10;
      auto in_base = [base](char c) {
        int v = IsDigitChar(c) ? c - '0' : ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') ? (c | 0x20) - 'a' + 10 : 99;
        return v < base;
      };
      if (base != 10 && p + 2 < src_.size() && in_base(src_[p + 2] == '_' && p + 3 < src_.size() ? src_[p + 3] : src_[p + 2])) {
        q = p + 2;
        while (q < src_.size() && (in_base(src_[q]) || (src_[q] == '_' && q + 1 < src_.size() && in_base(src_[q + 1])))) ++q;
      } else {
        base = 10;
        q = p + 1;  // 0(_?0)*
        while (q + 1 < src_.size() && src_[q] == '_' && src_[q + 1] == '0') q += 2;
        while (q < src_.size() && src_[q] == '0') ++q;
      }
    }
    std::string text;
    for (size_t i = base == 10 ? p : p + 2; i < q; ++i) {
      if (src_[i] != '_') text.push_back(src_[i]);
    }
    Token t{is_float ? TokenType::kFloat : TokenType::kInteger, text};
    SetPosition(&t, p);
    errno = 0;
    if (is_float) {
      t.float_value = std::strtod(text.c_str(), nullptr);
    } else {
      t.int_value = std::strtoll(text.c_str(), nullptr, base);
      if (errno == ERANGE) Fail("integer literal too large", p);
    }
    tokens_.push_back(std::move(t));
    return q;
  }

  size_t LexString(size_t p) {
    char quote = src_[p];
    size_t q = p + 1;
    while (q < src_.size() && src_[q] != quote) q += src_[q] == '\\' ? 2 : 1;
    if (q >= src_.size()) Fail("unexpected end of string literal", p);
    try {
      Emit(TokenType::kString, Unescape(std::string_view(src_).substr(p + 1, q - p - 1)), p);
    } catch (JinjaError& e) {
      Fail(e.message, p);
    }
    return q + 1;
  }

  size_t LexOne(size_t p, std::vector<char>* braces) {
    char c = src_[p];
    if (IsDigitChar(c)) return LexNumber(p);
    if (IsNameStart(c)) {
      size_t q = p;
      while (q < src_.size() && IsNameChar(src_[q])) ++q;
      Emit(TokenType::kName, src_.substr(p, q - p), p);
      return q;
    }
    if (c == '\'' || c == '"') return LexString(p);
    static const char* kTwoChar[] = {"//", "**", "==", "!=", ">=", "<="};
    for (const char* op : kTwoChar) {
      if (src_.compare(p, 2, op) == 0) {
        Emit(TokenType::kOperator, op, p);
        return p + 2;
      }
    }
    static const std::string kSingle = "+-/*%~[](){}><=.:|,;";
    if (kSingle.find(c) == std::string::npos) {
      Fail("unexpected char '" + pystr::Encode(pystr::Decode(src_.substr(p, 4)).front()) + "'", p);
    }
    if (c == '(' || c == '[' || c == '{') {
      if (braces->size() >= 256) Fail("brackets nested too deeply", p);
      braces->push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    } else if (c == ')' || c == ']' || c == '}') {
      if (braces->empty()) Fail(std::string("unexpected '") + c + "'", p);
      if (braces->back() != c) {
        Fail(std::string("unexpected '") + c + "', expected '" + braces->back() + "'", p);
      }
      braces->pop_back();
    }
    Emit(TokenType::kOperator, std::string(1, c), p);
    return p + 1;
  }

  std::string src_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  bool line_starting_ = true;
  int line_ = 1;
  int column_ = 1;
  size_t scan_ = 0;
};

// newline_re.split + "\n".join, then keep_trailing_newline=False drops one final newline.
std::string NormalizeNewlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

std::vector<Token> Tokenize(std::string_view source) { return Lexer(NormalizeNewlines(source)).Run(); }

}  // namespace baleen::jinja
