// A summary of the tokenizer stored in GGUF metadata (tokenizer.ggml.*), validated for consistency. Formats layer.
// The tokenizer itself lives in text/; this is what `inspect` reports and what loaders check first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "formats/gguf/gguf_model.h"

namespace baleen {

struct SpecialToken {
  int64_t id = -1;
  std::string text;
};

struct TokenizerInfo {
  bool present = false;  // false when the file has no tokenizer.ggml.model
  std::string model;     // "gpt2" = byte-level BPE
  std::string pre;       // pre-tokenizer id, e.g. "deepseek-v3"
  int64_t vocab_size = 0;
  int64_t n_merges = 0;
  int64_t n_control_tokens = 0;
  int64_t n_user_defined_tokens = 0;
  std::optional<SpecialToken> bos, eos, pad, unk;
  std::optional<bool> add_bos, add_eos;
  bool has_chat_template = false;
  size_t chat_template_bytes = 0;
};

// Checks that token arrays agree in length and special ids are inside the vocabulary.
Result<TokenizerInfo> ReadTokenizerInfo(const GgufModel& model);

}  // namespace baleen
