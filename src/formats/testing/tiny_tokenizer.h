// A tiny byte-level BPE vocabulary (256 byte tokens, a few merges, DeepSeek's special tokens) in GGUF form.
// Formats layer (test support).
#pragma once

#include <string>

#include "formats/gguf/gguf_writer.h"

namespace baleen::testing {

// Writes tokenizer.ggml.* keys and a small R1-style chat template; returns the vocabulary size.
int64_t AddTinyTokenizer(GgufWriter& writer, const std::string& pre);

}  // namespace baleen::testing
