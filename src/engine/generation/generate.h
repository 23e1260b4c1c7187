// Generation: evaluate a prompt (reusing the cached common prefix), then sample token by token, streaming text
// split into reasoning and answer, until EOS, a stop string, max_tokens, the end of the context or cancellation.
// Engine layer. `Generation` does it one step at a time (a prompt chunk or one token), so a scheduler can
// interleave many requests; `Generate` runs one to the end.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/sampling/json_constraint.h"
#include "engine/sampling/sampler.h"
#include "engine/generation/session.h"
#include "text/output/output_parser.h"
#include "text/tokenizer/tokenizer.h"

namespace baleen {

struct GenerationRequest {
  std::vector<int32_t> prompt;
  SamplingParams sampling;
  int64_t max_tokens = -1;  // -1: until EOS or the end of the context
  std::vector<std::string> stop;
  bool ignore_eos = false;
  OutputParserOptions output;  // where reasoning starts, whether tool calls are parsed
  // -1: no log-probs; k >= 0: each generated token's log-prob and its k most likely alternatives.
  int top_logprobs = -1;
  // Log-probs of the prompt tokens too (each given the ones before it); the prompt is then evaluated from the start.
  bool prompt_logprobs = false;
  // Set: the answer (after any reasoning) is constrained to one JSON object (response_format json_object).
  std::shared_ptr<const JsonTokenTable> json_object;
};

// A token's log-probability under the model's raw distribution (before sampling's bias, penalties and truncation,
// as OpenAI reports), with the most likely alternatives, best first.
struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0.0f;
  std::vector<std::pair<int32_t, float>> top;
};

enum class FinishReason { kStop, kLength, kCancelled };
const char* FinishReasonName(FinishReason reason);  // "stop", "length", "cancelled"

struct GenerationResult {
  std::string reasoning, content;
  std::vector<ToolCall> tool_calls;
  std::vector<int32_t> tokens;  // generated tokens (the stop token excluded)
  std::vector<TokenLogprob> logprobs;         // one per generated token, when asked
  std::vector<TokenLogprob> prompt_logprobs;  // one per prompt token after the first, when asked
  FinishReason finish = FinishReason::kStop;
  int64_t prompt_tokens = 0, cached_tokens = 0, reasoning_tokens = 0;
  double prompt_seconds = 0.0, generation_seconds = 0.0;
};

// Called with each piece of output as it becomes certain; return false to stop generating (a client went away).
using DeltaCallback = std::function<bool(const OutputDelta& delta)>;

// What a generation needs evaluated next: tokens after those in its cache, and which of their logits it needs.
struct StepInput {
  std::span<const int32_t> tokens;
  LogitsFor which = LogitsFor::kNone;
};

// Token ids that end generation: the vocabulary's EOS plus the end-of-turn tokens of the families Baleen runs.
std::vector<int32_t> EndOfGenerationIds(const Tokenizer& tokenizer);

class Generation {
 public:
  // Checks the request (sampling ranges, a non-empty prompt that fits the context). `session` and `tokenizer` must
  // outlive the generation, and nothing else may use the session meanwhile.
  static Result<std::unique_ptr<Generation>> Start(Session& session, const Tokenizer& tokenizer,
                                                   GenerationRequest request);

  // One unit of work on the session: the next chunk of the prompt (up to the session's n_batch tokens), or the last
  // sampled token; after the prompt's last chunk and after each token, the next token is sampled. Text that became
  // certain goes to `on_delta`; returning false there ends the generation as cancelled. Returns whether more work
  // remains. After an error the generation is over.
  Result<bool> Step(const DeltaCallback& on_delta);
  // Ends the generation as cancelled at the next Step (callable from the thread that runs Step only).
  void Cancel() { cancelled_ = true; }

  // The same work split for a scheduler that evaluates many generations in one batch: NextInput names the tokens
  // (at most `budget`; empty when done), the caller evaluates them in the session's cache and commits them to the
  // session, then Accept takes their logits (the rows `which` asked for).
  StepInput NextInput(int64_t budget) const;
  void Accept(std::span<const float> logits, int64_t n_evaluated, const DeltaCallback& on_delta);
  // Ends a cancelled generation without evaluating anything; returns whether it ended.
  bool FinishIfCancelled(const DeltaCallback& on_delta);
  // The cache now holds only the first `kept` tokens (the scheduler preempted this generation to free memory): the
  // next inputs evaluate the rest again, generated tokens included, and sampling resumes where it stopped.
  void Rewind(int64_t kept);

  bool done() const { return done_; }
  bool prefilling() const { return evaluated_ < static_cast<int64_t>(request_.prompt.size()); }
  int64_t prompt_evaluated() const {  // prompt tokens in the cache so far, reused included
    return std::min<int64_t>(evaluated_, static_cast<int64_t>(request_.prompt.size()));
  }
  // Tokens of the context not in the cache yet: 1 while decoding, more while a prompt (or, after a preemption, the
  // whole context) is evaluated.
  int64_t pending() const { return done_ ? 0 : static_cast<int64_t>(context_.size()) - evaluated_; }
  // The prompt followed by the generated tokens (the last one not evaluated yet while decoding).
  const std::vector<int32_t>& context() const { return context_; }
  const GenerationRequest& request() const { return request_; }
  // The prompt tokens that came from a cache instead of being evaluated (the scheduler's prefix cache).
  void set_cached_tokens(int64_t n) { result_.cached_tokens = n; }
  const GenerationResult& result() const { return result_; }
  GenerationResult TakeResult() { return std::move(result_); }
  ~Generation();

 private:
  Generation(Session& session, const Tokenizer& tokenizer, GenerationRequest request);
  void SampleNext(const DeltaCallback& on_delta);
  void Emit(const OutputDelta& delta, const DeltaCallback& on_delta);
  void Finish(FinishReason reason, const DeltaCallback& on_delta);
  void RecordPromptLogprobs(std::span<const float> logits, int64_t first_row_pos, int64_t rows);
  int32_t SampleToken();
  void TrackJson(int32_t token);

  struct TextPipeline;  // decoder → stop strings → output parser
  Session& session_;
  const Tokenizer& tokenizer_;
  GenerationRequest request_;
  GenerationResult result_;
  std::unique_ptr<TextPipeline> text_;
  Sampler sampler_;
  std::vector<int32_t> end_ids_;
  std::vector<float> logits_;  // of the last evaluated token
  std::vector<int32_t> context_;  // prompt + generated tokens
  std::optional<JsonConstraint> json_;
  bool json_active_ = false;   // past the reasoning: the constraint applies
  std::string reasoning_tail_;  // last bytes generated while reasoning, to see "</think>" arrive
  int64_t evaluated_ = 0;
  bool in_reasoning_ = false, done_ = false, cancelled_ = false, sampled_any_ = false;
  std::chrono::steady_clock::time_point t_start_, t_first_token_;
};

// Runs a generation to the end. `cancel` is polled before each step.
Result<GenerationResult> Generate(Session& session, const Tokenizer& tokenizer, const GenerationRequest& request,
                                  const DeltaCallback& on_delta, const std::atomic<bool>* cancel = nullptr);

}  // namespace baleen
