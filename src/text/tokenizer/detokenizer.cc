// StreamDecoder: hold back only an incomplete UTF-8 suffix; decode the rest lossily.
#include "text/tokenizer/detokenizer.h"

#include "text/tokenizer/utf8.h"

namespace baleen {

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, const DecodeOptions& options)
    : tokenizer_(tokenizer), skip_special_tokens_(options.skip_special_tokens) {}

std::string StreamDecoder::Push(int32_t id) {
  if (id < 0 || id >= tokenizer_.vocab_size()) return {};
  if (skip_special_tokens_ && tokenizer_.IsSpecial(id)) return {};
  pending_ += tokenizer_.TokenBytes(id);
  // Bytes before the incomplete suffix decode the same whatever follows: the suffix starts with a lead byte,
  // which ends any maximal subpart before it.
  const size_t hold = utf8::IncompleteSuffixLength(pending_);
  const size_t ready = pending_.size() - hold;
  if (ready == 0) return {};
  std::string text = utf8::ToValidLossy(std::string_view(pending_).substr(0, ready));
  pending_.erase(0, ready);
  return text;
}

std::string StreamDecoder::Finish() {
  std::string text = utf8::ToValidLossy(pending_);
  pending_.clear();
  return text;
}

}  // namespace baleen
