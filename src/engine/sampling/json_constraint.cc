// JsonRecognizer's pushdown automaton, the token byte table and logit masking for JSON mode. Engine layer.
#include "engine/sampling/json_constraint.h"

#include <algorithm>
#include <array>
#include <limits>

#include "base/check.h"
#include "text/tokenizer/tokenizer.h"

namespace baleen {
namespace {

constexpr std::string_view kLiterals[] = {"true", "false", "null"};
constexpr std::string_view kWhitespace = " \t\n\r";
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

bool IsWhitespace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }

int HexValue(unsigned char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A UTF-8 lead byte: how many continuation bytes follow and the range of the first one (Unicode Table 3-7, which
// excludes overlongs, surrogates and code points past U+10FFFF). {0, 0, 0} for bytes that cannot lead.
struct Utf8Lead {
  uint8_t continuations, low, high;
};

Utf8Lead Utf8LeadOf(unsigned char c) {
  if (c >= 0xC2 && c <= 0xDF) return {1, 0x80, 0xBF};
  if (c == 0xE0) return {2, 0xA0, 0xBF};
  if (c == 0xED) return {2, 0x80, 0x9F};
  if (c >= 0xE1 && c <= 0xEF) return {2, 0x80, 0xBF};
  if (c == 0xF0) return {3, 0x90, 0xBF};
  if (c >= 0xF1 && c <= 0xF3) return {3, 0x80, 0xBF};
  if (c == 0xF4) return {3, 0x80, 0x8F};
  return {0, 0, 0};
}

// Whether `bytes` is, by itself, text a JSON string may hold between two characters: well-formed complete UTF-8
// with no '"', '\\' or control character. Without a quote or backslash the bytes cannot leave the string, so the
// recognizer itself decides the rest and the fast path cannot disagree with it.
bool IsPlainStringText(std::string_view bytes) {
  if (bytes.empty() || bytes.find_first_of("\"\\") != std::string_view::npos) return false;
  JsonRecognizer probe;
  if (!probe.Push(std::string_view("{\"")) || !probe.Push(bytes)) return false;
  return probe.at_string_text();
}

}  // namespace

// --- JsonRecognizer ---

static_assert(sizeof(JsonRecognizer) <= 24, "copied once per candidate token: keep the state small");

bool JsonRecognizer::Push(unsigned char byte) {
  JsonRecognizer next = *this;
  if (!next.Step(byte)) return false;
  *this = next;
  return true;
}

bool JsonRecognizer::Push(std::string_view bytes) {
  JsonRecognizer next = *this;
  for (const char c : bytes) {
    if (!next.Step(static_cast<unsigned char>(c))) return false;
  }
  *this = next;
  return true;
}

size_t JsonRecognizer::AcceptedLength(std::string_view bytes) const {
  JsonRecognizer probe = *this;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (!probe.Step(static_cast<unsigned char>(bytes[i]))) return i;
  }
  return bytes.size();
}

bool JsonRecognizer::Step(unsigned char c) {
  switch (mode_) {
    case Mode::kStart:
    case Mode::kObjectOpen:
    case Mode::kObjectKey:
    case Mode::kColon:
    case Mode::kValue:
    case Mode::kArrayOpen:
    case Mode::kAfterValue: return StepStructural(c);
    case Mode::kDone: return false;
    case Mode::kString: return StepString(c);
    case Mode::kEscape: return StepEscape(c);
    case Mode::kUnicodeHex: return StepUnicodeHex(c);
    case Mode::kLowBackslash:
      mode_ = Mode::kLowU;
      return c == '\\';
    case Mode::kLowU:
      mode_ = Mode::kUnicodeHex;
      count_ = 0;
      code_unit_ = 0;
      want_low_surrogate_ = true;
      return c == 'u';
    case Mode::kUtf8: return StepUtf8(c);
    case Mode::kLiteral: return StepLiteral(c);
    default: return StepNumber(c);
  }
}

// Between tokens: whitespace (capped), then what the mode expects.
bool JsonRecognizer::StepStructural(unsigned char c) {
  if (IsWhitespace(c)) {
    if (whitespace_run_ >= kJsonMaxWhitespaceRun) return false;
    ++whitespace_run_;
    return true;
  }
  whitespace_run_ = 0;
  switch (mode_) {
    case Mode::kStart: return c == '{' && OpenContainer(false);
    case Mode::kObjectOpen:
      if (c == '}') return CloseContainer(c);
      [[fallthrough]];
    case Mode::kObjectKey:
      if (c != '"') return false;
      mode_ = Mode::kString;
      in_key_ = true;
      return true;
    case Mode::kColon:
      mode_ = Mode::kValue;
      return c == ':';
    case Mode::kArrayOpen:
      if (c == ']') return CloseContainer(c);
      return StepValueStart(c);
    case Mode::kValue: return StepValueStart(c);
    case Mode::kAfterValue:
      if (c == ',') {
        mode_ = TopIsArray() ? Mode::kValue : Mode::kObjectKey;
        return true;
      }
      return CloseContainer(c);
    default: return false;
  }
}

bool JsonRecognizer::StepValueStart(unsigned char c) {
  switch (c) {
    case '{': return OpenContainer(false);
    case '[': return OpenContainer(true);
    case '"':
      mode_ = Mode::kString;
      in_key_ = false;
      return true;
    case 't':
    case 'f':
    case 'n':
      mode_ = Mode::kLiteral;
      literal_ = c == 't' ? 0 : c == 'f' ? 1 : 2;
      count_ = 1;
      return true;
    default: break;
  }
  if (c != '-' && !IsDigit(c)) return false;
  int_digits_ = 0;
  exponent_ = 0;
  exponent_negative_ = false;
  if (c == '-') {
    mode_ = Mode::kMinus;
    return true;
  }
  mode_ = Mode::kMinus;  // a leading digit is handled as if after '-'
  return StepNumber(c);
}

bool JsonRecognizer::OpenContainer(bool is_array) {
  if (depth_ >= kJsonMaxDepth) return false;
  const uint64_t bit = uint64_t{1} << depth_;
  array_bits_ = is_array ? array_bits_ | bit : array_bits_ & ~bit;
  ++depth_;
  mode_ = is_array ? Mode::kArrayOpen : Mode::kObjectOpen;
  return true;
}

bool JsonRecognizer::CloseContainer(unsigned char closer) {
  if (depth_ == 0 || closer != (TopIsArray() ? ']' : '}')) return false;
  --depth_;
  mode_ = depth_ == 0 ? Mode::kDone : Mode::kAfterValue;
  return true;
}

bool JsonRecognizer::StepString(unsigned char c) {
  if (c == '"') {
    mode_ = in_key_ ? Mode::kColon : Mode::kAfterValue;
    return true;
  }
  if (c == '\\') {
    mode_ = Mode::kEscape;
    return true;
  }
  if (c < 0x20) return false;
  if (c < 0x80) return true;
  const Utf8Lead lead = Utf8LeadOf(c);
  if (lead.continuations == 0) return false;
  mode_ = Mode::kUtf8;
  count_ = lead.continuations;
  utf8_low_ = lead.low;
  utf8_high_ = lead.high;
  return true;
}

bool JsonRecognizer::StepUtf8(unsigned char c) {
  if (c < utf8_low_ || c > utf8_high_) return false;
  utf8_low_ = 0x80;
  utf8_high_ = 0xBF;
  if (--count_ == 0) mode_ = Mode::kString;
  return true;
}

bool JsonRecognizer::StepEscape(unsigned char c) {
  switch (c) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't': mode_ = Mode::kString; return true;
    case 'u':
      mode_ = Mode::kUnicodeHex;
      count_ = 0;
      code_unit_ = 0;
      want_low_surrogate_ = false;
      return true;
    default: return false;
  }
}

// Surrogates are checked as soon as the digits decide them: a low half needs "DC".."DF" as its first two digits,
// and those digits anywhere else would be a lone low surrogate, which strict parsers reject.
bool JsonRecognizer::StepUnicodeHex(unsigned char c) {
  const int value = HexValue(c);
  if (value < 0) return false;
  code_unit_ = static_cast<uint16_t>(code_unit_ << 4 | value);
  ++count_;
  if (count_ == 1 && want_low_surrogate_ && code_unit_ != 0xD) return false;
  if (count_ == 2) {
    const bool low_half = code_unit_ >= 0xDC && code_unit_ <= 0xDF;
    if (low_half != want_low_surrogate_) return false;
  }
  if (count_ < 4) return true;
  const bool high_half = !want_low_surrogate_ && code_unit_ >= 0xD800 && code_unit_ <= 0xDBFF;
  mode_ = high_half ? Mode::kLowBackslash : Mode::kString;
  return true;
}

bool JsonRecognizer::StepLiteral(unsigned char c) {
  const std::string_view literal = kLiterals[literal_];
  if (c != static_cast<unsigned char>(literal[count_])) return false;
  if (++count_ == literal.size()) EndValue();
  return true;
}

// -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? ending only at a byte that cannot continue it, which then goes to the
// enclosing container (',', a closer or whitespace; anything else fails there).
bool JsonRecognizer::StepNumber(unsigned char c) {
  const bool digit = IsDigit(c);
  switch (mode_) {
    case Mode::kMinus:
      if (!digit) return false;
      mode_ = c == '0' ? Mode::kZero : Mode::kInt;
      int_digits_ = c == '0' ? 0 : 1;
      return true;
    case Mode::kInt:
      if (digit) return ++int_digits_ <= kJsonMaxDecimalExponent;
      [[fallthrough]];
    case Mode::kZero:
    case Mode::kFrac:
      if (digit && mode_ == Mode::kFrac) return true;
      if (c == '.' && mode_ != Mode::kFrac) {
        mode_ = Mode::kDot;
        return true;
      }
      if (c == 'e' || c == 'E') {
        mode_ = Mode::kExp;
        return true;
      }
      break;
    case Mode::kDot:
      mode_ = Mode::kFrac;
      return digit;
    case Mode::kExp:
      if (c == '+' || c == '-') {
        exponent_negative_ = c == '-';
        mode_ = Mode::kExpSign;
        return true;
      }
      [[fallthrough]];
    case Mode::kExpSign:
      mode_ = Mode::kExpInt;
      return digit && StepExponentDigit(c);
    case Mode::kExpInt:
      if (digit) return StepExponentDigit(c);
      break;
    default: return false;
  }
  // The number ends here; `c` belongs to the container.
  const int exponent = exponent_negative_ ? 0 : exponent_;
  if (int_digits_ + exponent > kJsonMaxDecimalExponent) return false;
  EndValue();
  return StepStructural(c);
}

// A negative exponent only shrinks the value (underflow parses as 0), so only a non-negative one is bounded, and
// it is bounded digit by digit: refusing the digit that overflows keeps every accepted prefix completable.
bool JsonRecognizer::StepExponentDigit(unsigned char c) {
  if (exponent_negative_) return true;
  const int exponent = exponent_ * 10 + (c - '0');
  if (int_digits_ + exponent > kJsonMaxDecimalExponent) return false;
  exponent_ = static_cast<uint16_t>(exponent);
  return true;
}

// --- JsonTokenTable ---

std::shared_ptr<const JsonTokenTable> JsonTokenTable::Create(const Tokenizer& tokenizer) {
  std::shared_ptr<JsonTokenTable> table(new JsonTokenTable());
  table->offsets_.push_back(0);
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) table->Add(tokenizer.TokenBytes(id), tokenizer.IsAdded(id));
  table->BuildIndex();
  return table;
}

std::shared_ptr<const JsonTokenTable> JsonTokenTable::Create(std::span<const std::string> token_bytes,
                                                             const std::vector<bool>& barred) {
  CHECK(barred.empty() || barred.size() == token_bytes.size());
  CHECK(token_bytes.size() <= static_cast<size_t>(std::numeric_limits<int32_t>::max()));
  std::shared_ptr<JsonTokenTable> table(new JsonTokenTable());
  table->offsets_.push_back(0);
  for (size_t id = 0; id < token_bytes.size(); ++id) table->Add(token_bytes[id], !barred.empty() && barred[id]);
  table->BuildIndex();
  return table;
}

void JsonTokenTable::Add(std::string_view bytes, bool barred) {
  CHECK(bytes_.size() + bytes.size() <= std::numeric_limits<uint32_t>::max());
  bytes_ += bytes;
  offsets_.push_back(static_cast<uint32_t>(bytes_.size()));
  barred = barred || bytes.empty();
  flags_.push_back(barred ? kBarred : IsPlainStringText(bytes) ? kStringText : 0);
  const size_t n_whitespace = std::min(bytes.find_first_not_of(kWhitespace), bytes.size());
  leading_whitespace_.push_back(static_cast<uint8_t>(std::min<size_t>(n_whitespace, 255)));
}

// A counting sort of the allowed tokens by their first non-whitespace byte.
void JsonTokenTable::BuildIndex() {
  const int32_t n = vocab_size();
  std::vector<int> first_other(n, -1);  // -1: barred or whitespace only
  first_byte_begin_.assign(257, 0);
  for (int32_t id = 0; id < n; ++id) {
    if (IsBarred(id)) continue;
    const std::string_view bytes = TokenBytes(id);
    const size_t at = bytes.find_first_not_of(kWhitespace);
    if (at == std::string_view::npos) {
      whitespace_only_.push_back(id);
      continue;
    }
    first_other[id] = static_cast<unsigned char>(bytes[at]);
    ++first_byte_begin_[first_other[id] + 1];
  }
  for (int b = 0; b < 256; ++b) first_byte_begin_[b + 1] += first_byte_begin_[b];
  by_first_byte_.resize(first_byte_begin_[256]);
  std::vector<uint32_t> next(first_byte_begin_.begin(), first_byte_begin_.end() - 1);
  for (int32_t id = 0; id < n; ++id) {
    if (first_other[id] >= 0) by_first_byte_[next[first_other[id]]++] = id;
  }
  const auto by_bytes = [this](int32_t a, int32_t b) { return TokenBytes(a) < TokenBytes(b); };
  for (int b = 0; b < 256; ++b) {
    std::sort(by_first_byte_.begin() + first_byte_begin_[b], by_first_byte_.begin() + first_byte_begin_[b + 1],
              by_bytes);
  }
}

// --- JsonConstraint ---

JsonConstraint::JsonConstraint(std::shared_ptr<const JsonTokenTable> table, std::span<const int32_t> end_ids)
    : table_(std::move(table)), end_ids_(end_ids.begin(), end_ids.end()) {
  CHECK(table_ != nullptr);
}

bool JsonConstraint::IsEndId(int32_t token) const {
  return std::find(end_ids_.begin(), end_ids_.end(), token) != end_ids_.end();
}

bool JsonConstraint::Allows(int32_t token) const {
  if (IsEndId(token)) return complete();
  if (token < 0 || token >= table_->vocab_size() || table_->IsBarred(token)) return false;
  return recognizer_.CanPush(table_->TokenBytes(token));
}

void JsonConstraint::MaskLogits(std::span<float> logits) const {
  if (complete()) {
    KeepOnly(logits, end_ids_);
  } else if (recognizer_.at_string_text()) {
    MaskInString(logits);
  } else {
    MaskByFirstByte(logits);
  }
}

// Inside a string nearly every token is plain text, allowed whole, so one pass over the flags decides most ids and
// only the rest (quotes, escapes, newlines, pieces of characters) are checked byte by byte.
void JsonConstraint::MaskInString(std::span<float> logits) const {
  const size_t n_table = std::min(logits.size(), static_cast<size_t>(table_->vocab_size()));
  const uint8_t* flags = table_->flags_.data();
  for (size_t id = 0; id < n_table; ++id) {
    if (flags[id] & JsonTokenTable::kStringText) continue;
    const auto token = static_cast<int32_t>(id);
    if ((flags[id] & JsonTokenTable::kBarred) || !recognizer_.CanPush(table_->TokenBytes(token))) {
      logits[id] = kMinusInf;
    }
  }
  std::fill(logits.begin() + static_cast<std::ptrdiff_t>(n_table), logits.end(), kMinusInf);
  for (const int32_t id : end_ids_) {
    if (id >= 0 && static_cast<size_t>(id) < logits.size()) logits[id] = kMinusInf;
  }
}

// Everywhere else few tokens fit (a 129k vocabulary has a few hundred to a few thousand candidates), so the index by
// first non-whitespace byte finds them and the rest of the logits are filled without being looked at. Leading
// whitespace behaves alike wherever it is accepted outside a string (between tokens, or ending a number), so one
// space stands for all of it: `after_space` is the state after it and `budget` how many whitespace bytes fit.
void JsonConstraint::MaskByFirstByte(std::span<float> logits) const {
  JsonRecognizer after_space = recognizer_;
  const bool space_ok = after_space.Push(' ');
  int budget = 0;
  for (JsonRecognizer probe = recognizer_; budget < kJsonMaxWhitespaceRun && probe.Push(' ');) ++budget;
  std::array<bool, 256> first_ok, after_space_ok;
  for (int b = 0; b < 256; ++b) {
    const char byte = static_cast<char>(b);
    first_ok[b] = recognizer_.CanPush(std::string_view(&byte, 1));
    after_space_ok[b] = space_ok && after_space.CanPush(std::string_view(&byte, 1));
  }
  std::vector<int32_t> allowed;
  for (int b = 0; b < 256; ++b) {
    if (!first_ok[b] && !after_space_ok[b]) continue;
    const std::span<const int32_t> ids = table_->StartingWith(b);
    for (size_t i = 0; i < ids.size(); ++i) {
      const int n_whitespace = table_->leading_whitespace_[ids[i]];
      if (n_whitespace == 0 ? first_ok[b] : n_whitespace <= budget && after_space_ok[b]) {
        i = CheckAndSkipRefused(ids, i, allowed) - 1;
      }
    }
  }
  for (const int32_t id : table_->whitespace_only_) {
    if (table_->leading_whitespace_[id] <= budget && !IsEndId(id) && recognizer_.CanPush(table_->TokenBytes(id))) {
      allowed.push_back(id);
    }
  }
  KeepOnly(logits, allowed);
}

// Checks ids[i]; if it is refused at some byte, every following token with the same prefix up to that byte is
// refused too, and they are adjacent (sorted bytes), so one binary search skips them ("er", "ers", "ery"... after
// a number's 'e'). Returns the next index to look at.
size_t JsonConstraint::CheckAndSkipRefused(std::span<const int32_t> ids, size_t i,
                                           std::vector<int32_t>& allowed) const {
  const std::string_view bytes = table_->TokenBytes(ids[i]);
  const size_t n_accepted = recognizer_.AcceptedLength(bytes);
  if (n_accepted == bytes.size()) {
    if (!IsEndId(ids[i])) allowed.push_back(ids[i]);
    return i + 1;
  }
  const std::string_view refused = bytes.substr(0, n_accepted + 1);
  const auto shares_refused_prefix = [&](int32_t other) {
    return table_->TokenBytes(other).substr(0, refused.size()) == refused;
  };
  return static_cast<size_t>(std::partition_point(ids.begin() + i + 1, ids.end(), shares_refused_prefix) - ids.begin());
}

// Sets every logit to -inf except those of `ids`, which keep their values.
void JsonConstraint::KeepOnly(std::span<float> logits, std::span<const int32_t> ids) const {
  std::vector<std::pair<int32_t, float>> kept;
  kept.reserve(ids.size());
  for (const int32_t id : ids) {
    if (id >= 0 && static_cast<size_t>(id) < logits.size()) kept.emplace_back(id, logits[id]);
  }
  std::fill(logits.begin(), logits.end(), kMinusInf);
  for (const auto& [id, value] : kept) logits[id] = value;
}

void JsonConstraint::Accept(int32_t token) {
  CHECK(Allows(token));
  if (IsEndId(token)) return;
  CHECK(recognizer_.Push(table_->TokenBytes(token)));
}

}  // namespace baleen
