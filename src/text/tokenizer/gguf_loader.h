// Loads the byte-level BPE vocabulary stored in GGUF metadata (tokenizer.ggml.*) into a BpeVocab (text layer).
// The pre-tokenizer is chosen by `tokenizer.ggml.pre`; what GGUF does not record (Llama 3's ignore_merges, the
// Qwen2 family's NFC normalizer) comes from the named preset, as in the reference tokenizer.json.
#pragma once

#include "base/status.h"
#include "formats/gguf/gguf_model.h"
#include "formats/gguf/gguf_writer.h"
#include "text/tokenizer/bpe_vocab.h"

namespace baleen {

// Errors name the key at fault: a missing or mistyped array, lengths that disagree, a merge that is not "a b",
// special ids outside the vocabulary, an unknown `tokenizer.ggml.model` or `pre`.
Result<BpeVocab> LoadGgufVocab(const GgufModel& model);

// Writes `vocab` as tokenizer.ggml.* keys the way the ecosystem's converter does: tokens in id order, added tokens
// typed control (special) or user-defined (not special), merges as "a b", `pre` naming the pre-tokenizer.
void AddVocabToGguf(const BpeVocab& vocab, const std::string& pre, GgufWriter& writer);

}  // namespace baleen
