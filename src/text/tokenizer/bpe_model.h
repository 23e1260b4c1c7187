// BpeModel: byte-pair merging of one pre-tokenized piece into token ids, by merge rank (text layer).
//
// Tokens are held as raw bytes; a piece's bytes start as single-byte tokens and the adjacent pair with the lowest
// merge rank (leftmost on ties) is merged until none is left, exactly as Hugging Face's BPE::merge_word. A binary
// heap keeps this O(n log n) in the piece length, so a 1 MB run of letters costs a second, not hours; a fixed-size
// thread-safe cache serves repeated short pieces (common words) without merging again.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "text/tokenizer/bpe_vocab.h"

namespace baleen {

class BpeModel {
 public:
  // Builds the tables from `vocab`; `is_added[id]` marks added tokens, which BPE never produces.
  static Result<std::unique_ptr<BpeModel>> Create(const BpeVocab& vocab, const std::vector<bool>& is_added);
  ~BpeModel();

  // Appends the ids for one piece (raw bytes) to `out`.
  void Encode(std::string_view piece, std::vector<int32_t>& out) const;

  // The id of the model-vocabulary token whose bytes are exactly `bytes`, or -1.
  int32_t Find(std::string_view bytes) const;

 private:
  struct PairTable;
  struct Cache;
  BpeModel();
  void Merge(std::string_view piece, std::vector<int32_t>& out) const;

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> bytes_to_id_;
  int32_t byte_to_id_[256];  // single-byte tokens; -1 when missing (the byte is then dropped, as HF does)
  bool ignore_merges_ = false;
  std::unique_ptr<PairTable> pairs_;
  std::unique_ptr<Cache> cache_;
};

}  // namespace baleen
