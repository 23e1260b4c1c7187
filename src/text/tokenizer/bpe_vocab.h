// BpeVocab: the neutral description of a byte-level BPE tokenizer that both loaders fill (GGUF and Hugging Face
// tokenizer.json), and from which Tokenizer::Create builds the runtime tables. Text layer.
//
// From GGUF (tokenizer.ggml.model = "gpt2"): tokens <- tokenizer.ggml.tokens; token_types <- token_type (leave
// added_tokens empty: Create derives them, control = special, user-defined = not); merges <- merges, each "a b"
// split at its single space; pre_tokenizer, ignore_merges and normalizer <- PreTokenizerForGgufPre(pre);
// bos_id / eos_id / pad_id / unk_id <- *_token_id; add_bos / add_eos <- add_bos_token / add_eos_token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace baleen {

// GGUF `tokenizer.ggml.token_type` values.
enum class TokenType : int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,      // special added token: skipped by Decode(skip_special_tokens)
  kUserDefined = 4,  // non-special added token: matched as a whole string, always decoded
  kUnused = 5,
  kByte = 6,
};

// How a Split pre-tokenizer treats the delimiters it finds (Hugging Face SplitDelimiterBehavior).
enum class SplitBehavior { kIsolated, kRemoved, kMergedWithPrevious, kMergedWithNext, kContiguous };

// One pre-tokenization step, applied to every piece the previous step produced.
struct PreTokenizerStep {
  enum class Kind {
    kSplitRegex,   // `pattern` is a regex (Oniguruma syntax as in tokenizer.json; translated for PCRE2)
    kSplitString,  // `pattern` is a literal string
    kByteLevel,    // byte-level step: optional prefix space, optional GPT-2 regex split
  };
  Kind kind = Kind::kSplitRegex;
  std::string pattern;
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;
  bool add_prefix_space = false;  // kByteLevel
  bool use_regex = false;         // kByteLevel: also split with the GPT-2 regex
};

struct PreTokenizerSpec {
  std::string name;  // GGUF pre name, or "tokenizer.json"
  std::vector<PreTokenizerStep> steps;
};

enum class Normalizer { kNone, kNfc };

// The named pre-tokenizers, selectable by GGUF `tokenizer.ggml.pre`: deepseek-v3, deepseek-r1-qwen, qwen2,
// llama-bpe (llama3, llama-v3), deepseek-llm, deepseek-coder. Also says what GGUF does not record but the reference
// tokenizer.json does: `ignore_merges` (Llama 3) and the NFC normalizer (Qwen2 family; llama.cpp skips it).
struct NamedPreTokenizer {
  PreTokenizerSpec spec;
  bool ignore_merges = false;
  Normalizer normalizer = Normalizer::kNone;
};
Result<NamedPreTokenizer> PreTokenizerForGgufPre(std::string_view pre);

struct BpeVocab {
  std::vector<std::string> tokens;    // [n_vocab] byte-level form ("Ġthe"); added tokens as their literal text
  std::vector<int32_t> token_types;   // [n_vocab] TokenType values; empty means all normal
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order, byte-level form
  bool ignore_merges = false;         // a piece that is itself a vocabulary token is emitted without merging

  // Added tokens matched as whole strings before BPE (ids into `tokens`). Loaders from GGUF list the control and
  // user-defined tokens here; tokenizer.json lists its added_tokens.
  struct AddedToken {
    int32_t id = -1;
    bool special = false;     // skipped by Decode(skip_special_tokens)
    bool normalized = false;  // matched in the normalized text (after the normalizer) rather than the raw text
    bool lstrip = false, rstrip = false, single_word = false;
  };
  std::vector<AddedToken> added_tokens;

  PreTokenizerSpec pre_tokenizer;
  Normalizer normalizer = Normalizer::kNone;

  std::optional<int32_t> bos_id, eos_id, pad_id, unk_id;
  bool add_bos = false, add_eos = false;
  bool clean_up_tokenization_spaces = false;  // Decode() default, as Hugging Face's tokenizer_config says
};

}  // namespace baleen
