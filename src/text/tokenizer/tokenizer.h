// Tokenizer: exact byte-level BPE encoding and decoding for DeepSeek, Qwen and Llama 3 vocabularies (text layer).
//
// Trusted and untrusted text. Added tokens (`<｜User｜>`, `<｜Assistant｜>`, `<think>`, `<|im_end|>`, ...) are control
// markers. If text typed by a user could become one, a user could close their own turn and write the assistant's
// (prompt injection through the tokenizer). So the API has no "encode this string with markers" entry point that
// takes a plain string:
//   - EncodeUntrusted(std::string_view): user data. Added tokens are never recognized; a user who types
//     `<｜Assistant｜>` gets those characters as ordinary BPE tokens (stricter than Hugging Face's
//     split_special_tokens=True, which still matches the non-special added tokens such as DeepSeek's role markers).
//   - Encode(const TrustedText&): markers are recognized, exactly as the reference tokenizer does. TrustedText has
//     an explicit constructor, so trusting a string is a visible, greppable act (the chat template's own output,
//     the CLI's `tokenize` without --no-special).
//   - Encode(const PromptText&): the server's path. The chat template appends its own output (literal template
//     text, bos_token, role markers) as trusted and every message content, tool result or user-supplied name as
//     untrusted; markers are recognized only where they lie wholly inside trusted segments, while normalization,
//     pre-tokenization and BPE run over the concatenation. A prompt whose contents hold no marker strings therefore
//     tokenizes exactly as the reference tokenizer does on the whole rendered prompt (so prompt caching and logits
//     match), and one whose contents do gets those strings as plain text.
// Neither path adds BOS/EOS unless EncodeOptions::add_special_tokens asks (chat templates write BOS themselves).
//
// Encoding follows Hugging Face tokenizers: added tokens not flagged `normalized` are matched in the raw text
// (leftmost-longest), the rest is normalized (NFC where configured), tokens flagged `normalized` are matched in the
// normalized text, each remaining section is pre-tokenized (Split regexes on PCRE2) and each piece is merged by BPE.
// Decoding concatenates token bytes and replaces ill-formed UTF-8 with U+FFFD per maximal subpart, like HF's
// `decode` (Rust String::from_utf8_lossy) and transformers.js (TextDecoder). See detokenizer.h for streaming.
//
// A Tokenizer is immutable after Create and safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "base/status.h"
#include "text/tokenizer/added_tokens.h"
#include "text/tokenizer/bpe_vocab.h"

namespace baleen {

class BpeModel;
class PreTokenizer;

// Text whose marker strings are meant as markers. Constructing one is a statement that no user wrote it.
class TrustedText {
 public:
  explicit TrustedText(std::string text) : text_(std::move(text)) {}
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// A prompt assembled from trusted template segments and untrusted contents.
class PromptText {
 public:
  PromptText& AppendTrusted(const TrustedText& segment);
  PromptText& AppendUntrusted(std::string_view content);

  const std::string& text() const { return text_; }
  // Byte ranges of text() that came from trusted segments, sorted and non-adjacent.
  struct Range {
    uint32_t begin, end;
  };
  const std::vector<Range>& trusted_ranges() const { return trusted_; }

 private:
  std::string text_;
  std::vector<Range> trusted_;
};

struct EncodeOptions {
  bool add_special_tokens = false;  // prepend BOS / append EOS where the vocabulary's add_bos / add_eos say so
};

struct DecodeOptions {
  bool skip_special_tokens = false;  // drop added tokens flagged special (GGUF: control tokens)
  // Hugging Face's clean_up_tokenization_spaces (" ." -> ".", " n't" -> "n't", ...); unset: the vocabulary's default.
  std::optional<bool> clean_up_tokenization_spaces;
};

class Tokenizer {
 public:
  // Validates `vocab` and builds the runtime tables. When vocab.added_tokens is empty, the added tokens are taken
  // from token_types (GGUF): control tokens as special, user-defined tokens as non-special.
  static Result<std::unique_ptr<Tokenizer>> Create(BpeVocab vocab);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // All three fail only on input that is not valid UTF-8, or (InvalidArgument / ResourceExhausted) on input so
  // large or pathological that the regex engine gives up.
  Result<std::vector<int32_t>> EncodeUntrusted(std::string_view text, const EncodeOptions& options = {}) const;
  Result<std::vector<int32_t>> Encode(const TrustedText& text, const EncodeOptions& options = {}) const;
  Result<std::vector<int32_t>> Encode(const PromptText& prompt, const EncodeOptions& options = {}) const;

  // Ids outside the vocabulary are skipped, as Hugging Face does.
  std::string Decode(std::span<const int32_t> ids, const DecodeOptions& options = {}) const;

  int32_t vocab_size() const { return static_cast<int32_t>(token_bytes_.size()); }
  bool IsValidId(int32_t id) const { return id >= 0 && id < vocab_size(); }
  // The raw bytes a token stands for (possibly a fragment of a UTF-8 character). `id` must be valid.
  std::string_view TokenBytes(int32_t id) const { return token_bytes_[CheckedId(id)]; }
  // The token as the vocabulary spells it ("Ġthe", "<｜User｜>").
  const std::string& TokenPiece(int32_t id) const { return vocab_.tokens[CheckedId(id)]; }
  bool IsAdded(int32_t id) const { return is_added_[CheckedId(id)]; }
  bool IsSpecial(int32_t id) const { return is_special_[CheckedId(id)]; }
  // The id of an added token by its literal text (e.g. "<｜end▁of▁sentence｜>"), if there is one.
  std::optional<int32_t> AddedTokenId(std::string_view content) const;
  const BpeVocab& vocab() const { return vocab_; }

 private:
  Tokenizer();
  size_t CheckedId(int32_t id) const {
    CHECK(IsValidId(id));
    return static_cast<size_t>(id);
  }
  Result<std::vector<int32_t>> EncodeRanges(std::string_view text, const std::vector<PromptText::Range>& trusted,
                                            const EncodeOptions& options) const;
  Status EncodeSection(std::string_view text, const std::vector<PromptText::Range>& trusted,
                       std::vector<int32_t>& out) const;
  Status EncodePlain(std::string_view text, std::vector<int32_t>& out) const;

  BpeVocab vocab_;
  std::vector<std::string> token_bytes_;  // [n_vocab]
  std::vector<bool> is_added_, is_special_;
  AddedTokenMatcher raw_matcher_;         // added tokens matched before normalization
  AddedTokenMatcher normalized_matcher_;  // added tokens matched after normalization
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
};

}  // namespace baleen
