// Constrained decoding for `response_format: {"type": "json_object"}`: a byte-level JSON recognizer, a per-model
// table of token bytes, and the per-request constraint that masks logits so the output is one JSON object. Engine.
//
// Use from a sampling loop (one JsonConstraint per request, the table built once per tokenizer):
//   JsonConstraint json(table, end_ids);
//   loop: sample a token from the logits; if (!json.Allows(token)) { json.MaskLogits(logits); sample again; }
//         json.Accept(token); stop on an end id (allowed only once json.complete()).
// Sampling first and masking only on a miss skips the mask on most steps (a model mostly writes valid JSON by
// itself). For greedy and for plain temperature sampling it draws exactly from the masked distribution (a miss
// followed by a masked draw is rejection sampling); with top-k/top-p/min-p the first draw is truncated before
// masking, which differs slightly from masking first.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace baleen {

class Tokenizer;

// Nesting deeper than this is rejected: the stack is one 64-bit word, and deeper output is a runaway model rather
// than a document anyone asked for.
inline constexpr int kJsonMaxDepth = 64;
// Consecutive whitespace bytes allowed between tokens. Without a cap a model that prefers whitespace can emit it
// forever and every byte is still "valid JSON" (the failure OpenAI documents for JSON mode). 64 allows a newline
// plus indentation for 15 levels of 4 spaces or 31 of 2, which covers pretty-printed output in practice; beyond
// it the model is only forced to write content, never led into an invalid document.
inline constexpr int kJsonMaxWhitespaceRun = 64;
// Numbers must satisfy int_digits + exponent <= this (value < 1e308), so every accepted number parses to a finite
// double: JSON parsers (nlohmann among them) reject 1e400 as overflow. Finite values in [1e308, DBL_MAX] are
// refused too, a deliberate over-approximation that needs no digit comparison.
inline constexpr int kJsonMaxDecimalExponent = 308;

// Recognizes one JSON text (RFC 8259) whose top-level value is an object, byte by byte. Every accepted prefix can
// still be completed into a document (no dead ends), so a constrained model never paints itself into a corner.
// Beyond RFC 8259 it requires what strict parsers do: well-formed UTF-8 (no overlongs, no encoded surrogates),
// \u surrogates in valid pairs, and the limits above. Leading whitespace is allowed; nothing is accepted after
// the closing brace, not even whitespace (the end-of-generation token must come next).
// The state is a few plain fields (24 bytes), so copying it per candidate token is cheap.
class JsonRecognizer {
 public:
  // Accepts `byte` if some valid document continues with it; otherwise returns false and changes nothing.
  bool Push(unsigned char byte);
  // Accepts all of `bytes` or none of them.
  bool Push(std::string_view bytes);
  // Whether Push(bytes) would succeed, without changing this recognizer.
  bool CanPush(std::string_view bytes) const { return AcceptedLength(bytes) == bytes.size(); }
  // How many leading bytes of `bytes` would be accepted one after another (bytes.size() when all are).
  size_t AcceptedLength(std::string_view bytes) const;

  // The top-level object has been closed.
  bool complete() const { return mode_ == Mode::kDone; }
  // Inside a string, between characters (no escape or UTF-8 sequence pending): any complete UTF-8 text without
  // '"', '\\' or control characters is accepted here. The fast path of JsonConstraint::MaskLogits.
  bool at_string_text() const { return mode_ == Mode::kString; }
  bool operator==(const JsonRecognizer&) const = default;

 private:
  enum class Mode : uint8_t {
    kStart,        // before the top-level '{'
    kObjectOpen,   // after '{': a key or '}'
    kObjectKey,    // after ',' in an object: a key
    kColon,        // after a key
    kValue,        // after ':' or ',' in an array: a value
    kArrayOpen,    // after '[': a value or ']'
    kAfterValue,   // after a value: ',' or the closer of the innermost container
    kDone,         // the top-level object is closed
    kString,       // inside a string
    kEscape,       // after '\' in a string
    kUnicodeHex,   // in the four hex digits of \u
    kLowBackslash, // after a high surrogate \uD800-\uDBFF: the '\' of its low half
    kLowU,         // the 'u' of the low half
    kUtf8,         // inside a multi-byte UTF-8 sequence
    kLiteral,      // inside true / false / null
    kMinus,        // number: after '-'
    kZero,         // number: integer part "0"
    kInt,          // number: in the integer digits
    kDot,          // number: after '.'
    kFrac,         // number: in the fraction digits
    kExp,          // number: after 'e'
    kExpSign,      // number: after the exponent's sign
    kExpInt,       // number: in the exponent digits
  };

  // Applies one byte; on false the state is unspecified (callers work on a copy).
  bool Step(unsigned char c);
  bool StepStructural(unsigned char c);
  bool StepValueStart(unsigned char c);
  bool StepString(unsigned char c);
  bool StepEscape(unsigned char c);
  bool StepUnicodeHex(unsigned char c);
  bool StepUtf8(unsigned char c);
  bool StepLiteral(unsigned char c);
  bool StepNumber(unsigned char c);
  bool StepExponentDigit(unsigned char c);
  bool OpenContainer(bool is_array);
  bool CloseContainer(unsigned char closer);
  void EndValue() { mode_ = Mode::kAfterValue; }
  bool TopIsArray() const { return (array_bits_ >> (depth_ - 1)) & 1; }

  uint64_t array_bits_ = 0;    // bit d: the container at depth d (0 = top level) is an array
  uint16_t int_digits_ = 0;    // number: integer digits, a lone leading "0" not counted
  uint16_t exponent_ = 0;      // number: value of a non-negative exponent so far
  uint16_t code_unit_ = 0;     // \u escape: hex digits read so far
  Mode mode_ = Mode::kStart;
  uint8_t depth_ = 0;          // open containers
  uint8_t whitespace_run_ = 0; // consecutive whitespace bytes outside strings
  uint8_t count_ = 0;          // kUnicodeHex: digits read; kUtf8: continuation bytes left; kLiteral: bytes matched
  uint8_t utf8_low_ = 0, utf8_high_ = 0;  // kUtf8: range of the next continuation byte
  uint8_t literal_ = 0;        // kLiteral: index into the literal table
  bool in_key_ = false;        // the current string is an object key
  bool exponent_negative_ = false;
  bool want_low_surrogate_ = false;  // kUnicodeHex: these digits must spell \uDC00-\uDFFF
};

// The bytes every token id spells and whether it may appear in JSON at all, built once per tokenizer and shared
// between requests. Also indexes the tokens by their first byte after any leading whitespace, so that masking
// outside strings visits only the tokens that can start there. Building is O(vocab log vocab) for the index's sort
// (about 25 ms for DeepSeek-V3's 129k tokens).
class JsonTokenTable {
 public:
  // From a tokenizer: Tokenizer::TokenBytes (byte-level pieces mapped back to bytes; pieces outside the byte-level
  // alphabet are their literal UTF-8 text). Every added token is barred, special or not: they are markers (roles,
  // <think>, tool calls) that the output parser and later prompts read as structure. Ordinary tokens can still
  // spell the same characters.
  static std::shared_ptr<const JsonTokenTable> Create(const Tokenizer& tokenizer);
  // From raw token bytes; barred[id] (empty: none) marks tokens never allowed. Empty tokens are barred.
  static std::shared_ptr<const JsonTokenTable> Create(std::span<const std::string> token_bytes,
                                                      const std::vector<bool>& barred = {});

  int32_t vocab_size() const { return static_cast<int32_t>(flags_.size()); }
  std::string_view TokenBytes(int32_t id) const {
    return std::string_view(bytes_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  bool IsBarred(int32_t id) const { return flags_[id] & kBarred; }

 private:
  friend class JsonConstraint;
  static constexpr uint8_t kBarred = 1;
  static constexpr uint8_t kStringText = 2;  // complete UTF-8 without '"', '\\', controls: valid at_string_text()
  JsonTokenTable() = default;
  void Add(std::string_view bytes, bool barred);
  void BuildIndex();
  std::span<const int32_t> StartingWith(int byte) const {
    return std::span<const int32_t>(by_first_byte_).subspan(first_byte_begin_[byte],
                                                           first_byte_begin_[byte + 1] - first_byte_begin_[byte]);
  }

  std::string bytes_;                      // all tokens' bytes, concatenated
  std::vector<uint32_t> offsets_;          // [n_vocab + 1] start of each token in bytes_
  std::vector<uint8_t> flags_;             // [n_vocab] kBarred | kStringText
  std::vector<uint8_t> leading_whitespace_;  // [n_vocab] whitespace bytes before the first other one, at most 255
  // Allowed tokens with some non-whitespace byte, grouped by that first such byte and sorted by their bytes within
  // a group (so tokens sharing a refused prefix are adjacent); first_byte_begin_: [256 + 1] group starts.
  std::vector<int32_t> by_first_byte_;
  std::vector<uint32_t> first_byte_begin_;
  std::vector<int32_t> whitespace_only_;   // allowed tokens made only of whitespace
};

// The per-request constraint: the recognizer's state plus the shared table. Copyable; construction is O(1) in the
// vocabulary size.
class JsonConstraint {
 public:
  // `end_ids`: the tokens that end generation (EOS, end of turn); each is allowed exactly when complete(). Once
  // complete() nothing else is allowed, so a caller without end ids should stop there.
  JsonConstraint(std::shared_ptr<const JsonTokenTable> table, std::span<const int32_t> end_ids);

  // Whether `token` may come next: an end id only when complete(); otherwise a non-barred token all of whose
  // bytes continue the document. Ids outside the table are never allowed.
  bool Allows(int32_t token) const;
  // Sets every logit whose token is not allowed to -inf. Entries past the table's vocabulary (padded output heads)
  // are disallowed too.
  void MaskLogits(std::span<float> logits) const;
  // Advances past `token`, which must be allowed (CHECKed). An end id leaves the state as it is.
  void Accept(int32_t token);

  bool complete() const { return recognizer_.complete(); }
  const JsonRecognizer& recognizer() const { return recognizer_; }

 private:
  bool IsEndId(int32_t token) const;
  void MaskInString(std::span<float> logits) const;
  void MaskByFirstByte(std::span<float> logits) const;
  size_t CheckAndSkipRefused(std::span<const int32_t> ids, size_t i, std::vector<int32_t>& allowed) const;
  void KeepOnly(std::span<float> logits, std::span<const int32_t> ids) const;

  std::shared_ptr<const JsonTokenTable> table_;
  std::vector<int32_t> end_ids_;
  JsonRecognizer recognizer_;
};

}  // namespace baleen
