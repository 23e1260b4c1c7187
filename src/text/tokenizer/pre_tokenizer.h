// PreTokenizer: splits normalized text into the pieces BPE runs on, with PCRE2 (JIT) evaluating the Split regexes of
// tokenizer.json or of a named GGUF pre-tokenizer. Text layer.
//
// The regexes are written for Oniguruma (what Hugging Face tokenizers uses); TranslateRegexForPcre2 rewrites the
// constructs whose meaning differs: `\s` (Oniguruma: TAB..CR, NEL, Zs, Zl, Zp; PCRE2 also U+180E), `\h` (hex digit in
// Oniguruma) and the contraction group `(?i:'s|'t|...)` (spelled with explicit case pairs, as llama.cpp and
// transformers.js do, so that `'ſ` and `'K` are not contractions).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "text/tokenizer/bpe_vocab.h"

namespace baleen {

// A piece of the pre-tokenized text: a byte range of PreTokenized::text.
struct PieceRange {
  uint32_t begin = 0;
  uint32_t end = 0;
};

struct PreTokenized {
  std::string text;  // the section text, possibly with prefix spaces inserted by a ByteLevel step
  std::vector<PieceRange> pieces;
};

// The Oniguruma-to-PCRE2 rewrite described above. Exposed for tests.
std::string TranslateRegexForPcre2(std::string_view onig_pattern);

class PreTokenizer {
 public:
  static Result<std::unique_ptr<PreTokenizer>> Create(const PreTokenizerSpec& spec);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Splits `text` (valid UTF-8) into pieces. Safe to call from several threads at once.
  Status Split(std::string_view text, PreTokenized& out) const;

 private:
  struct Step;
  PreTokenizer() = default;
  std::vector<std::unique_ptr<Step>> steps_;
};

}  // namespace baleen
