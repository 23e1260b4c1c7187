// A small byte-level BPE vocabulary built in code, for unit tests and the fuzz target (text layer, test support).
// 256 byte tokens, a few merges ("th", "the", "Ġthe", "in", "ing", "ĠĠ", "中" from its three bytes), a control
// token "<|ctl|>" and a user-defined token "<|usr|>", GPT-2 style pre-tokenization.
#pragma once

#include <string>

#include "text/tokenizer/bpe_vocab.h"
#include "text/tokenizer/byte_level.h"

namespace baleen {

inline BpeVocab MakeTinyVocab() {
  BpeVocab vocab;
  for (int byte = 0; byte < 256; ++byte) {
    vocab.tokens.push_back(ByteLevelEncode(std::string(1, static_cast<char>(byte))));
  }
  const auto merge = [&](const std::string& left, const std::string& right) {
    vocab.merges.emplace_back(ByteLevelEncode(left), ByteLevelEncode(right));
    vocab.tokens.push_back(ByteLevelEncode(left + right));
  };
  merge("t", "h");
  merge("th", "e");
  merge(" ", "the");
  merge("i", "n");
  merge("in", "g");
  merge(" ", " ");
  merge("\xE4", "\xB8");
  merge("\xE4\xB8", "\xAD");
  vocab.token_types.assign(vocab.tokens.size(), static_cast<int32_t>(TokenType::kNormal));
  vocab.tokens.push_back("<|ctl|>");
  vocab.token_types.push_back(static_cast<int32_t>(TokenType::kControl));
  vocab.tokens.push_back("<|usr|>");
  vocab.token_types.push_back(static_cast<int32_t>(TokenType::kUserDefined));
  PreTokenizerStep byte_level;
  byte_level.kind = PreTokenizerStep::Kind::kByteLevel;
  byte_level.use_regex = true;
  vocab.pre_tokenizer.name = "tiny";
  vocab.pre_tokenizer.steps.push_back(byte_level);
  vocab.bos_id = static_cast<int32_t>(vocab.tokens.size()) - 2;
  vocab.add_bos = true;
  return vocab;
}

}  // namespace baleen
