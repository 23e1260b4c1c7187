// The decode loop, one step at a time. Text passes token → UTF-8 (StreamDecoder) → stop strings → reasoning/answer
// split, so a stop string is never emitted and a marker split across tokens is still recognized.
#include "engine/generation/generate.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "engine/sampling/stop_strings.h"
#include "text/tokenizer/detokenizer.h"

namespace baleen {
namespace {

// Rows of logits kept at once when every prompt position needs them (prompt log-probs): each row is vocab floats.
constexpr int64_t kPromptLogprobChunk = 32;

double Seconds(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

void Accumulate(const OutputDelta& delta, GenerationResult& result) {
  result.reasoning += delta.reasoning;
  result.content += delta.content;
  result.tool_calls.insert(result.tool_calls.end(), delta.tool_calls.begin(), delta.tool_calls.end());
}

// The log-prob of `token` in a log-softmax row, with the k most likely tokens (ties to the lowest id).
TokenLogprob MakeLogprob(std::span<const float> row, int32_t token, int k, std::vector<int32_t>& order) {
  TokenLogprob out;
  out.token = token;
  out.logprob = row[static_cast<size_t>(token)];
  k = std::min<int>(k, static_cast<int>(row.size()));
  if (k <= 0) return out;
  order.resize(row.size());
  std::iota(order.begin(), order.end(), 0);
  auto better = [&](int32_t a, int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); };
  std::partial_sort(order.begin(), order.begin() + k, order.end(), better);
  for (int i = 0; i < k; ++i) out.top.emplace_back(order[i], row[static_cast<size_t>(order[i])]);
  return out;
}

DecodeOptions SkipSpecialTokens() {  // control tokens (EOS, role markers) are never answer text
  DecodeOptions options;
  options.skip_special_tokens = true;
  return options;
}

}  // namespace

struct Generation::TextPipeline {
  TextPipeline(const Tokenizer& tokenizer, const GenerationRequest& request)
      : decoder(tokenizer, SkipSpecialTokens()),
        stops(request.stop),
        parser(request.output) {}
  StreamDecoder decoder;
  StopStringMatcher stops;
  OutputParser parser;
};

const char* FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "stop";
}

std::vector<int32_t> EndOfGenerationIds(const Tokenizer& tokenizer) {
  std::vector<int32_t> ids;
  if (tokenizer.vocab().eos_id) ids.push_back(*tokenizer.vocab().eos_id);
  for (const char* marker : {"<｜end▁of▁sentence｜>", "<|im_end|>", "<|eot_id|>", "<|end_of_text|>", "<|endoftext|>"}) {
    if (auto id = tokenizer.AddedTokenId(marker); id && std::find(ids.begin(), ids.end(), *id) == ids.end()) {
      ids.push_back(*id);
    }
  }
  return ids;
}

Generation::Generation(Session& session, const Tokenizer& tokenizer, GenerationRequest request)
    : session_(session),
      tokenizer_(tokenizer),
      request_(std::move(request)),
      text_(std::make_unique<TextPipeline>(tokenizer, request_)),
      sampler_(request_.sampling, session.model().vocab_size()),
      end_ids_(EndOfGenerationIds(tokenizer)),
      context_(request_.prompt),
      in_reasoning_(request_.output.starts_in_reasoning),
      t_start_(std::chrono::steady_clock::now()) {}

Generation::~Generation() = default;

Result<std::unique_ptr<Generation>> Generation::Start(Session& session, const Tokenizer& tokenizer,
                                                      GenerationRequest request) {
  const int64_t vocab = session.model().vocab_size();
  RETURN_IF_ERROR(ValidateSamplingParams(request.sampling, vocab));
  const auto n = static_cast<int64_t>(request.prompt.size());
  if (n == 0) return InvalidArgument("the prompt is empty");
  for (int32_t id : request.prompt) {
    if (id < 0 || id >= vocab) {
      return InvalidArgument("prompt token " + std::to_string(id) + " is outside the vocabulary of " +
                             std::to_string(vocab));
    }
  }
  if (n > session.n_ctx()) {
    return OutOfRange("the prompt has " + std::to_string(n) + " tokens but the context holds " +
                             std::to_string(session.n_ctx()) + " (raise --ctx or shorten the input)");
  }
  std::unique_ptr<Generation> g(new Generation(session, tokenizer, std::move(request)));
  if (g->request_.json_object) {
    g->json_.emplace(g->request_.json_object, g->end_ids_);
    g->json_active_ = !g->request_.output.starts_in_reasoning;
  }
  // Reuse the cached prefix, but always re-evaluate at least the last prompt token to get its logits (and all of
  // them when their log-probs are wanted).
  const int64_t reuse = g->request_.prompt_logprobs ? 0 : std::min(session.CommonPrefix(g->request_.prompt), n - 1);
  session.Truncate(reuse);
  g->evaluated_ = reuse;
  g->result_.prompt_tokens = n;
  g->result_.cached_tokens = reuse;
  return g;
}

Result<bool> Generation::Step(const DeltaCallback& on_delta) {
  if (done_) return false;
  if (FinishIfCancelled(on_delta)) return false;
  const StepInput input = NextInput(session_.n_batch());
  std::vector<float> logits;
  Status status = session_.Append(input.tokens, input.which, input.which == LogitsFor::kNone ? nullptr : &logits);
  if (!status.ok()) {
    done_ = true;
    return status;
  }
  Accept(logits, static_cast<int64_t>(input.tokens.size()), on_delta);
  return !done_;
}

bool Generation::FinishIfCancelled(const DeltaCallback& on_delta) {
  if (done_ || !cancelled_) return done_;
  Finish(FinishReason::kCancelled, on_delta);
  return true;
}

StepInput Generation::NextInput(int64_t budget) const {
  const auto total = static_cast<int64_t>(context_.size());
  if (done_ || evaluated_ >= total) return {};
  // Prompt log-probs need every prompt row's logits: a few rows at a time, as each is vocab floats.
  const bool all_rows = request_.prompt_logprobs && prefilling();
  const int64_t count = std::min({std::max<int64_t>(1, budget), total - evaluated_, all_rows ? kPromptLogprobChunk : total});
  const LogitsFor which = all_rows ? LogitsFor::kAll : evaluated_ + count == total ? LogitsFor::kLast : LogitsFor::kNone;
  return {std::span(context_).subspan(static_cast<size_t>(evaluated_), static_cast<size_t>(count)), which};
}

void Generation::Accept(std::span<const float> logits, int64_t n_evaluated, const DeltaCallback& on_delta) {
  if (request_.prompt_logprobs && prefilling()) RecordPromptLogprobs(logits, evaluated_, n_evaluated);
  evaluated_ += n_evaluated;
  if (evaluated_ < static_cast<int64_t>(context_.size())) return;  // more of the prompt to come
  const size_t vocab = static_cast<size_t>(session_.model().vocab_size());
  logits_.assign(logits.end() - static_cast<ptrdiff_t>(vocab), logits.end());
  if (!sampled_any_) {
    t_first_token_ = std::chrono::steady_clock::now();
    result_.prompt_seconds = Seconds(t_start_, t_first_token_);
  }
  SampleNext(on_delta);
}

void Generation::Rewind(int64_t kept) {
  evaluated_ = std::clamp<int64_t>(kept, 0, static_cast<int64_t>(context_.size()) - 1);
}

// Row r of `logits` is position first_row_pos + r; it predicts the prompt token after it.
void Generation::RecordPromptLogprobs(std::span<const float> logits, int64_t first_row_pos, int64_t rows) {
  const size_t vocab = static_cast<size_t>(session_.model().vocab_size());
  std::vector<float> row(vocab);
  std::vector<int32_t> order;
  for (int64_t r = 0; r < rows; ++r) {
    const auto next = static_cast<size_t>(first_row_pos + r + 1);
    if (next >= request_.prompt.size()) break;
    if (next <= result_.prompt_logprobs.size()) continue;  // recorded before a preemption
    LogSoftmax(logits.subspan(static_cast<size_t>(r) * vocab, vocab), row);
    result_.prompt_logprobs.push_back(MakeLogprob(row, request_.prompt[next], request_.top_logprobs, order));
  }
}

void Generation::SampleNext(const DeltaCallback& on_delta) {
  if (request_.max_tokens >= 0 && static_cast<int64_t>(result_.tokens.size()) >= request_.max_tokens) {
    Finish(FinishReason::kLength, on_delta);
    return;
  }
  sampled_any_ = true;
  std::optional<std::vector<float>> logprob_row;
  if (request_.top_logprobs >= 0) {  // from the raw logits, before Sample applies bias and penalties in place
    logprob_row.emplace(logits_.size());
    LogSoftmax(logits_, *logprob_row);
  }
  const int32_t token = SampleToken();
  TrackJson(token);
  if (!request_.ignore_eos && std::find(end_ids_.begin(), end_ids_.end(), token) != end_ids_.end()) {
    Finish(FinishReason::kStop, on_delta);
    return;
  }
  result_.tokens.push_back(token);
  if (logprob_row) {
    std::vector<int32_t> order;
    result_.logprobs.push_back(MakeLogprob(*logprob_row, token, request_.top_logprobs, order));
  }
  if (in_reasoning_) ++result_.reasoning_tokens;
  StopStringMatcher::Result text = text_->stops.Push(text_->decoder.Push(token));
  Emit(text_->parser.Push(text.emit), on_delta);
  if (text.stopped) {
    Finish(FinishReason::kStop, on_delta);
  } else if (cancelled_) {
    Finish(FinishReason::kCancelled, on_delta);
  } else if (evaluated_ >= session_.n_ctx()) {
    Finish(FinishReason::kLength, on_delta);  // the context is full
  } else {
    context_.push_back(token);  // evaluated by the next input
  }
}

// With a JSON constraint, sample as usual and only when that token cannot continue the document mask the logits and
// draw again: masking a large vocabulary costs more than a token usually does, and most draws are already valid.
int32_t Generation::SampleToken() {
  if (json_ && !json_active_) {
    // Still reasoning: the answer (the JSON object) has not started, so the generation may not end yet.
    for (int32_t id : end_ids_) {
      if (id >= 0 && static_cast<size_t>(id) < logits_.size()) logits_[static_cast<size_t>(id)] = -INFINITY;
    }
  }
  // The history penalties see: every evaluated token (context_ holds no pending token while sampling).
  if (!json_active_) return sampler_.Sample(logits_, context_);
  std::vector<float> unmasked = logits_;  // Sample modifies its input
  const int32_t token = sampler_.Sample(logits_, context_);
  if (json_->Allows(token)) return token;
  json_->MaskLogits(unmasked);
  return sampler_.Sample(unmasked, context_);
}

// The constraint starts after the reasoning closes: watch the reasoning's bytes for "</think>".
void Generation::TrackJson(int32_t token) {
  if (!json_) return;
  if (json_active_) {
    if (json_->Allows(token)) json_->Accept(token);  // an end id when complete, or a sampled continuation
    return;
  }
  constexpr std::string_view kClose = "</think>";
  reasoning_tail_ += tokenizer_.TokenBytes(token);
  if (reasoning_tail_.find(kClose) != std::string::npos) {
    json_active_ = true;
  } else if (reasoning_tail_.size() > kClose.size()) {
    reasoning_tail_.erase(0, reasoning_tail_.size() - kClose.size());
  }
}

void Generation::Emit(const OutputDelta& delta, const DeltaCallback& on_delta) {
  if (delta.empty()) return;
  if (!delta.content.empty() || !delta.tool_calls.empty()) in_reasoning_ = false;
  if (!delta.reasoning.empty() && delta.content.empty()) in_reasoning_ = true;
  Accumulate(delta, result_);
  if (on_delta && !on_delta(delta)) cancelled_ = true;
}

void Generation::Finish(FinishReason reason, const DeltaCallback& on_delta) {
  if (!text_->stops.stopped()) {
    Emit(text_->parser.Push(text_->stops.Push(text_->decoder.Finish()).emit + text_->stops.Flush()), on_delta);
  }
  Emit(text_->parser.Finish(), on_delta);
  result_.finish = reason;
  if (sampled_any_) result_.generation_seconds = Seconds(t_first_token_, std::chrono::steady_clock::now());
  done_ = true;
}

Result<GenerationResult> Generate(Session& session, const Tokenizer& tokenizer, const GenerationRequest& request,
                                  const DeltaCallback& on_delta, const std::atomic<bool>* cancel) {
  ASSIGN_OR_RETURN(std::unique_ptr<Generation> generation, Generation::Start(session, tokenizer, request));
  for (;;) {
    if (cancel != nullptr && cancel->load()) generation->Cancel();
    ASSIGN_OR_RETURN(bool more, generation->Step(on_delta));
    if (!more) break;
  }
  return generation->TakeResult();
}

}  // namespace baleen
