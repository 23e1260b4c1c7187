// StreamDecoder: incremental detokenization for streaming responses (text layer).
//
// Tokens carry bytes, and a UTF-8 character may span several tokens (a Chinese character is often two byte tokens;
// an emoji ZWJ sequence many). Push() returns the text that is final: everything except a trailing incomplete but
// still valid UTF-8 sequence (at most 3 bytes), which is held back until the next token completes or breaks it.
// Ill-formed bytes become U+FFFD per maximal subpart, so the concatenation of all Push() results and Finish()
// equals Tokenizer::Decode of the whole sequence (without clean_up_tokenization_spaces, which streaming does not
// apply) — the property the tests check.
#pragma once

#include <cstdint>
#include <string>

#include "text/tokenizer/tokenizer.h"

namespace baleen {

class StreamDecoder {
 public:
  // `tokenizer` must outlive the decoder. Only options.skip_special_tokens is used.
  explicit StreamDecoder(const Tokenizer& tokenizer, const DecodeOptions& options = {});

  // Adds one token; returns the newly final text (possibly empty).
  std::string Push(int32_t id);
  // Ends the stream: returns the held-back bytes, each maximal subpart as U+FFFD. The decoder can then be reused.
  std::string Finish();

  // Bytes currently held back (0 to 3).
  size_t held_bytes() const { return pending_.size(); }

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_tokens_;
  std::string pending_;
};

}  // namespace baleen
