// AddedTokenMatcher: finds added/special tokens in text before BPE, leftmost-longest and non-overlapping, with
// Hugging Face's lstrip / rstrip / single_word rules (AddedVocabulary::find_matches). Text layer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/tokenizer/bpe_vocab.h"

namespace baleen {

struct AddedTokenMatch {
  uint32_t begin = 0, end = 0;  // byte range taken from the text, including stripped whitespace
  int32_t id = -1;
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  // `contents[i]` is the literal text of `tokens[i]`.
  AddedTokenMatcher(const std::vector<BpeVocab::AddedToken>& tokens, const std::vector<std::string>& contents);

  bool empty() const { return nodes_.size() <= 1; }

  // Appends the matches in text[begin, end) to `out`, in order. Offsets are relative to `text`.
  void FindAll(std::string_view text, uint32_t begin, uint32_t end, std::vector<AddedTokenMatch>& out) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // (byte, node index), sorted by byte
    int32_t token = -1;                                 // index into tokens_ when a token ends here
  };
  int32_t Child(int32_t node, uint8_t byte) const;

  std::vector<Node> nodes_{Node{}};
  std::vector<BpeVocab::AddedToken> tokens_;
  bool can_start_[256] = {};
};

}  // namespace baleen
