// The scheduler against a fake ModelRunner whose output depends only on what its cache holds: every step's token
// budget, decodes never stalled by a prompt, preemption and prefix reuse that leave every result as it is alone,
// and a failing forward pass that ends only the sequences of its step. The fake's "model" reads each position's
// token back from the KV cache, so a wrong block, a stale block or a lost position changes the tokens it gives.
#include <algorithm>
#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include "engine/generation/tiny_model_test_util.h"
#include "engine/scheduling/scheduler.h"
#include "engine/scheduling/scheduler_test_util.h"

namespace baleen {
namespace {

class CacheEchoRunner : public ModelRunner {
 public:
  // The next token after each position is one of `outputs`, chosen by a hash of every token cached so far.
  CacheEchoRunner(int64_t vocab_size, std::vector<int32_t> outputs)
      : vocab_size_(vocab_size), outputs_(std::move(outputs)) {}

  int64_t vocab_size() const override { return vocab_size_; }
  CacheGeometry cache_geometry() const override { return {.n_layers = 1, .k_width = 1, .v_width = 1}; }
  std::unique_ptr<KvCache> NewCache(int64_t n_ctx) const override {
    return std::make_unique<KvCache>(cache_geometry(), n_ctx);
  }

  Status Forward(std::span<const int32_t> tokens, int64_t pos, KvCache& cache, LogitsFor which,
                 std::vector<float>& logits) override {
    const SequenceChunk chunk{tokens, pos, &cache, which};
    return ForwardBatch({&chunk, 1}, logits);
  }

  Status ForwardBatch(std::span<const SequenceChunk> chunks, std::vector<float>& logits) override {
    std::lock_guard lock(mutex_);
    Step step;
    logits.clear();
    for (const SequenceChunk& chunk : chunks) {
      const int64_t end = chunk.pos + static_cast<int64_t>(chunk.tokens.size());
      if (chunk.cache->capacity() < end) return Internal("a chunk's cache has no block for its positions");
      step.tokens += static_cast<int64_t>(chunk.tokens.size());
      step.chunk_sizes.push_back(static_cast<int64_t>(chunk.tokens.size()));
      for (size_t i = 0; i < chunk.tokens.size(); ++i) {
        const float value = static_cast<float>(chunk.tokens[i]);
        chunk.cache->StoreK(0, chunk.pos + static_cast<int64_t>(i), &value);
        chunk.cache->StoreV(0, chunk.pos + static_cast<int64_t>(i), &value);
        const bool wanted = chunk.which == LogitsFor::kAll ||
                            (chunk.which == LogitsFor::kLast && i + 1 == chunk.tokens.size());
        if (wanted) AppendLogits(*chunk.cache, chunk.pos + static_cast<int64_t>(i), logits);
      }
    }
    steps_.push_back(step);
    if (fail_step_ >= 0 && static_cast<int64_t>(steps_.size()) == fail_step_ + 1) {
      return Internal("injected forward failure");
    }
    return Status::Ok();
  }

  struct Step {
    int64_t tokens = 0;
    std::vector<int64_t> chunk_sizes;
  };
  std::vector<Step> steps() {
    std::lock_guard lock(mutex_);
    return steps_;
  }
  void FailStep(int64_t step) { fail_step_ = step; }

 private:
  // One-hot logits for the token after position `last`, from every token the cache holds up to it.
  void AppendLogits(KvCache& cache, int64_t last, std::vector<float>& logits) const {
    uint64_t hash = 1469598103934665603ull;
    for (int64_t p = 0; p <= last; ++p) {
      float token = 0;
      cache.LoadK(0, p, 0, 1, &token);
      hash = (hash ^ static_cast<uint64_t>(token)) * 1099511628211ull;
    }
    const size_t first = logits.size();
    logits.resize(first + static_cast<size_t>(vocab_size_), 0.0f);
    logits[first + static_cast<size_t>(outputs_[hash % outputs_.size()])] = 10.0f;
  }

  const int64_t vocab_size_;
  const std::vector<int32_t> outputs_;
  std::mutex mutex_;
  std::vector<Step> steps_;
  int64_t fail_step_ = -1;
};

class SchedulerRunnerTest : public testing::TinyDeepseekTest {
 protected:
  void SetUp() override {
    TinyDeepseekTest::SetUp();
    // Output tokens that are plain letters, never an end-of-generation id.
    std::vector<int32_t> letters;
    for (char c = 'a'; c <= 'p'; ++c) letters.push_back(text_.tokenizer->EncodeUntrusted(std::string(1, c)).value()[0]);
    runner_ = std::make_unique<CacheEchoRunner>(config_.vocab_size, letters);
  }

  GenerationRequest Request(const std::string& prompt, int64_t max_tokens) const {
    GenerationRequest r;
    r.prompt = text_.tokenizer->EncodeUntrusted(prompt).value();
    r.sampling.temperature = 0.0f;
    r.max_tokens = max_tokens;
    r.output.parse_reasoning = false;
    return r;
  }

  std::vector<int32_t> Alone(const GenerationRequest& r) {
    Session session(*runner_, 256, 512);
    return Generate(session, *text_.tokenizer, r, nullptr).value().tokens;
  }

  // Submits every request at once and waits for all results.
  std::vector<Result<GenerationResult>> RunAll(Scheduler& scheduler, const std::vector<GenerationRequest>& requests) {
    std::vector<Result<GenerationResult>> results;
    for (auto& future : testing::SubmitTogether(scheduler, requests)) results.push_back(future.get());
    return results;
  }

  std::unique_ptr<CacheEchoRunner> runner_;
};

TEST_F(SchedulerRunnerTest, EveryStepKeepsItsTokenBudgetAndNoDecodeWaitsForAPrompt) {
  SchedulerOptions options{.n_slots = 3, .max_queue = 8, .n_ctx = 256, .n_batch = 8};
  options.prefix_cache = false;
  Scheduler scheduler(*runner_, *text_.tokenizer, options);
  const std::vector<GenerationRequest> requests = {Request("short", 12), Request(std::string(90, 'x'), 4),
                                                   Request("another short one", 10)};
  const auto results = RunAll(scheduler, requests);
  const std::vector<CacheEchoRunner::Step> steps = runner_->steps();  // before Alone adds its own
  for (size_t i = 0; i < requests.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status().ToString();
    EXPECT_EQ(results[i]->tokens, Alone(requests[i])) << i;
  }
  bool long_prompt_shared_a_step = false;
  for (const CacheEchoRunner::Step& step : steps) {
    EXPECT_LE(step.tokens, std::max<int64_t>(8, static_cast<int64_t>(step.chunk_sizes.size())));
    // A step with a prompt chunk and a decode: the decode was not held back by the 90-token prompt.
    const bool has_decode = std::count(step.chunk_sizes.begin(), step.chunk_sizes.end(), 1) > 0;
    if (has_decode && *std::max_element(step.chunk_sizes.begin(), step.chunk_sizes.end()) > 1) {
      long_prompt_shared_a_step = true;
    }
  }
  EXPECT_TRUE(long_prompt_shared_a_step);
}

TEST_F(SchedulerRunnerTest, PreemptionLeavesEveryResultAsItIsAlone) {
  // 6 blocks of 16 positions for three sequences that grow to ~40 positions each: someone must be preempted.
  SchedulerOptions options{.n_slots = 3, .max_queue = 8, .n_ctx = 64, .n_batch = 16, .kv_tokens = 96};
  options.prefix_cache = false;
  Scheduler scheduler(*runner_, *text_.tokenizer, options);
  std::vector<GenerationRequest> requests;
  for (int i = 0; i < 3; ++i) requests.push_back(Request("sequence " + std::to_string(i), 30));
  const auto results = RunAll(scheduler, requests);
  for (size_t i = 0; i < requests.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status().ToString();
    EXPECT_EQ(results[i]->tokens, Alone(requests[i])) << i;
  }
  EXPECT_GT(scheduler.Stats().preemptions, 0);
}

TEST_F(SchedulerRunnerTest, APrefixReusedFromTheCacheGivesTheSameTokensAndIsNotEvaluatedAgain) {
  Scheduler scheduler(*runner_, *text_.tokenizer, {.n_slots = 1, .max_queue = 8, .n_ctx = 256, .n_batch = 512});
  const GenerationRequest request = Request(std::string(70, 'y') + " then a question", 5);
  const auto first = RunAll(scheduler, {request});
  const size_t steps_first = runner_->steps().size();
  const auto second = RunAll(scheduler, {request});
  ASSERT_TRUE(first[0].ok() && second[0].ok());
  EXPECT_EQ(second[0]->tokens, first[0]->tokens);
  EXPECT_EQ(second[0]->tokens, Alone(request));
  EXPECT_GE(second[0]->cached_tokens, 64);
  // The second prompt's first step evaluated only what the cache did not hold.
  const CacheEchoRunner::Step second_prefill = runner_->steps()[steps_first];
  EXPECT_EQ(second_prefill.tokens, static_cast<int64_t>(request.prompt.size()) - second[0]->cached_tokens);
}

TEST_F(SchedulerRunnerTest, AFailedForwardPassEndsItsStepsSequencesWithTheErrorAndServingGoesOn) {
  Scheduler scheduler(*runner_, *text_.tokenizer, {.n_slots = 2, .max_queue = 8, .n_ctx = 256, .n_batch = 64});
  runner_->FailStep(0);
  const auto failed = RunAll(scheduler, {Request("first", 4), Request("second", 4)});
  for (const auto& result : failed) {
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.status().message().find("injected forward failure"), std::string::npos);
  }
  const GenerationRequest after = Request("after the failure", 6);
  const auto ok = RunAll(scheduler, {after});
  ASSERT_TRUE(ok[0].ok()) << ok[0].status().ToString();
  EXPECT_EQ(ok[0]->tokens, Alone(after));
}

}  // namespace
}  // namespace baleen
