// Chunked evaluation over one cache.
#include "engine/generation/session.h"

#include <algorithm>
#include <string>

namespace baleen {

Session::Session(ModelRunner& model, int64_t n_ctx, int64_t n_batch)
    : model_(model), cache_(model.NewCache(n_ctx)), n_batch_(std::max<int64_t>(1, n_batch)) {}

Session::Session(ModelRunner& model, std::unique_ptr<KvCache> cache, int64_t n_batch)
    : model_(model), cache_(std::move(cache)), n_batch_(std::max<int64_t>(1, n_batch)) {}

Status Session::Append(std::span<const int32_t> tokens, LogitsFor which, std::vector<float>* logits) {
  const int64_t pos = static_cast<int64_t>(tokens_.size()), n = static_cast<int64_t>(tokens.size());
  if (pos + n > n_ctx()) {
    return OutOfRange("context is full: " + std::to_string(pos) + " cached + " + std::to_string(n) +
                             " new tokens exceed the context of " + std::to_string(n_ctx()) +
                             " (raise --ctx or shorten the input)");
  }
  if (logits != nullptr) logits->clear();
  std::vector<float> chunk_logits;
  for (int64_t begin = 0; begin < n; begin += n_batch_) {
    const int64_t count = std::min(n_batch_, n - begin);
    const bool last_chunk = begin + count == n;
    LogitsFor chunk_which = LogitsFor::kNone;
    if (logits != nullptr && (which == LogitsFor::kAll || last_chunk)) chunk_which = which;
    RETURN_IF_ERROR(model_.Forward(tokens.subspan(begin, count), pos + begin, *cache_, chunk_which, chunk_logits));
    if (chunk_which != LogitsFor::kNone) logits->insert(logits->end(), chunk_logits.begin(), chunk_logits.end());
    tokens_.insert(tokens_.end(), tokens.begin() + begin, tokens.begin() + begin + count);
  }
  return Status::Ok();
}

void Session::Truncate(int64_t n) {
  if (n < static_cast<int64_t>(tokens_.size())) tokens_.resize(static_cast<size_t>(std::max<int64_t>(0, n)));
}

int64_t Session::CommonPrefix(std::span<const int32_t> tokens) const {
  const size_t limit = std::min(tokens.size(), tokens_.size());
  size_t i = 0;
  while (i < limit && tokens[i] == tokens_[i]) ++i;
  return static_cast<int64_t>(i);
}

}  // namespace baleen
