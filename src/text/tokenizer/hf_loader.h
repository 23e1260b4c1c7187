// Loads a Hugging Face tokenizer.json (+ tokenizer_config.json) into a BpeVocab (text layer).
//
// Supported: model BPE (vocab; merges as "a b" strings or [a, b] arrays; ignore_merges; unk_token), added_tokens
// (special, normalized, lstrip, rstrip, single_word), normalizer null / NFC / Sequence of those, pre_tokenizer
// Sequence / Split (Regex or String pattern, every behavior, invert) / ByteLevel (add_prefix_space, use_regex) /
// Digits (individual_digits), decoder ByteLevel, and a TemplateProcessing post-processor (for BOS/EOS). Anything
// else is reported as Unimplemented naming the JSON field, never silently ignored.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "text/tokenizer/bpe_vocab.h"

namespace baleen {

// `tokenizer_config_json` may be empty (no config file).
Result<BpeVocab> ParseHfTokenizer(std::string_view tokenizer_json, std::string_view tokenizer_config_json);

// Reads `<dir>/tokenizer.json` and, when present, `<dir>/tokenizer_config.json`.
Result<BpeVocab> LoadHfTokenizerDir(const std::string& dir);

}  // namespace baleen
