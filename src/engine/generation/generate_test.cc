// The generation loop on a tiny model: determinism, limits, stop strings, EOS, cancellation, prefix reuse and the
// end of the context.
#include "engine/generation/generate.h"


#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/generation/tiny_model_test_util.h"

namespace baleen {
namespace {

class GenerateTest : public testing::TinyDeepseekTest {
 protected:
  GenerationRequest Request(int64_t max_tokens) const {
    GenerationRequest r;
    r.prompt = text_.tokenizer->EncodeUntrusted("The engine generates").value();
    r.sampling.temperature = 0.0f;
    r.max_tokens = max_tokens;
    r.output.parse_reasoning = false;  // raw continuation: everything is answer text
    return r;
  }

  GenerationResult Run(const GenerationRequest& r, int64_t n_ctx = 128, const DeltaCallback& cb = nullptr,
                       const std::atomic<bool>* cancel = nullptr) {
    Session session(*model_, n_ctx, 512);
    auto result = Generate(session, *text_.tokenizer, r, cb, cancel);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : GenerationResult{};
  }

};

TEST_F(GenerateTest, GreedyIsTheArgmaxChainAndRespectsMaxTokens) {
  const GenerationResult result = Run(Request(6));
  ASSERT_EQ(result.tokens.size(), 6u);
  EXPECT_EQ(result.finish, FinishReason::kLength);
  // Recompute the chain by hand: each token is the argmax after the previous ones.
  Session session(*model_, 128, 512);
  std::vector<float> logits;
  std::vector<int32_t> sequence = Request(6).prompt;
  ASSERT_TRUE(session.Append(sequence, LogitsFor::kLast, &logits).ok());
  for (int32_t expected : result.tokens) {
    const int32_t argmax = ArgmaxLowestId(logits);
    EXPECT_EQ(argmax, expected);
    ASSERT_TRUE(session.Append(std::span(&argmax, 1), LogitsFor::kLast, &logits).ok());
  }
  DecodeOptions skip;
  skip.skip_special_tokens = true;
  EXPECT_EQ(result.content, text_.tokenizer->Decode(result.tokens, skip));
}

TEST_F(GenerateTest, SameSeedSameTokens) {
  GenerationRequest r = Request(20);
  r.sampling.temperature = 1.0f;
  r.sampling.top_p = 1.0f;
  r.sampling.seed = 42;
  const auto a = Run(r), b = Run(r);
  EXPECT_EQ(a.tokens, b.tokens);
  r.sampling.seed = 43;
  EXPECT_NE(Run(r).tokens, a.tokens);
}

TEST_F(GenerateTest, StopStringEndsTheOutputBeforeIt) {
  const GenerationResult full = Run(Request(12));
  ASSERT_GE(full.content.size(), 4u);
  // A stop string from the middle of the greedy output (whole UTF-8 characters: the output is plain bytes here).
  size_t at = 2;
  while (at < full.content.size() && (static_cast<unsigned char>(full.content[at]) & 0xC0) == 0x80) ++at;
  const std::string stop = full.content.substr(at, 1);
  GenerationRequest r = Request(12);
  r.stop = {stop};
  const GenerationResult stopped = Run(r);
  EXPECT_EQ(stopped.finish, FinishReason::kStop);
  EXPECT_EQ(stopped.content, full.content.substr(0, full.content.find(stop)));
}

TEST_F(GenerateTest, EndOfSentenceStopsUnlessIgnored) {
  GenerationRequest r = Request(5);
  const int32_t eos = *text_.tokenizer->vocab().eos_id;
  r.sampling.logit_bias = {{eos, 100.0f}};
  const GenerationResult stopped = Run(r);
  EXPECT_EQ(stopped.finish, FinishReason::kStop);
  EXPECT_TRUE(stopped.tokens.empty());
  r.ignore_eos = true;
  const GenerationResult ignored = Run(r);
  EXPECT_EQ(ignored.finish, FinishReason::kLength);
  EXPECT_EQ(ignored.tokens, std::vector<int32_t>(5, eos));
}

TEST_F(GenerateTest, CancellationAndAGoneClientStopAtOnce) {
  std::atomic<bool> cancel{true};
  const GenerationResult cancelled = Run(Request(10), 128, nullptr, &cancel);
  EXPECT_EQ(cancelled.finish, FinishReason::kCancelled);
  EXPECT_TRUE(cancelled.tokens.empty());
  int calls = 0;
  const GenerationResult gone = Run(Request(50), 128, [&](const OutputDelta&) { return ++calls < 2; });
  EXPECT_EQ(gone.finish, FinishReason::kCancelled);
  EXPECT_LT(gone.tokens.size(), 50u);
}

TEST_F(GenerateTest, ReusesTheCachedPrefixAndStopsAtTheEndOfTheContext) {
  Session session(*model_, 40, 512);
  GenerationRequest first = Request(4);
  ASSERT_TRUE(Generate(session, *text_.tokenizer, first, nullptr).ok());
  GenerationRequest second = Request(4);
  second.prompt.push_back(5);
  auto reused = Generate(session, *text_.tokenizer, second, nullptr);
  ASSERT_TRUE(reused.ok());
  EXPECT_EQ(reused->cached_tokens, static_cast<int64_t>(first.prompt.size()));
  // The cached run gives what a fresh session gives.
  EXPECT_EQ(reused->tokens, Run(second).tokens);

  const GenerationResult capped = Run(Request(-1), 20);
  EXPECT_EQ(capped.finish, FinishReason::kLength);
  // The context holds 20 positions; the last token is sampled from the 20th position's logits and never evaluated.
  EXPECT_EQ(static_cast<int64_t>(Request(1).prompt.size() + capped.tokens.size()), 21);
}

TEST_F(GenerateTest, BadRequestsAreErrors) {
  Session session(*model_, 16, 512);
  GenerationRequest r = Request(4);
  r.sampling.top_p = 0.0f;
  EXPECT_EQ(Generate(session, *text_.tokenizer, r, nullptr).status().code(), StatusCode::kInvalidArgument);
  r = Request(4);
  r.prompt.assign(20, 65);
  EXPECT_EQ(Generate(session, *text_.tokenizer, r, nullptr).status().code(), StatusCode::kOutOfRange);
  r.prompt.clear();
  EXPECT_FALSE(Generate(session, *text_.tokenizer, r, nullptr).ok());
}

TEST_F(GenerateTest, LogprobsAreTheRawLogSoftmaxWithTheBestAlternatives) {
  GenerationRequest r = Request(5);
  r.top_logprobs = 3;
  r.sampling.logit_bias = {{7, 5.0f}};  // moves sampling, not the reported (raw) distribution
  const GenerationResult result = Run(r);
  ASSERT_EQ(result.logprobs.size(), result.tokens.size());
  Session session(*model_, 128, 512);
  std::vector<float> logits, row(static_cast<size_t>(model_->vocab_size()));
  ASSERT_TRUE(session.Append(r.prompt, LogitsFor::kLast, &logits).ok());
  for (size_t i = 0; i < result.tokens.size(); ++i) {
    LogSoftmax(logits, row);
    const TokenLogprob& lp = result.logprobs[i];
    EXPECT_EQ(lp.token, result.tokens[i]);
    EXPECT_FLOAT_EQ(lp.logprob, row[static_cast<size_t>(lp.token)]);
    ASSERT_EQ(lp.top.size(), 3u);
    std::vector<float> sorted = row;
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_FLOAT_EQ(lp.top[k].second, sorted[k]);
      EXPECT_FLOAT_EQ(row[static_cast<size_t>(lp.top[k].first)], sorted[k]);
    }
    ASSERT_TRUE(session.Append(std::span(&lp.token, 1), LogitsFor::kLast, &logits).ok());
  }
}

TEST_F(GenerateTest, PromptLogprobsScoreEachPromptTokenGivenTheOnesBefore) {
  GenerationRequest r = Request(0);
  r.prompt = text_.tokenizer->EncodeUntrusted(std::string(80, 'a') + " and then some more words to score").value();
  r.prompt_logprobs = true;
  r.top_logprobs = 0;
  Session session(*model_, 256, 512);
  ASSERT_TRUE(Generate(session, *text_.tokenizer, Request(2), nullptr).ok());  // a cached prefix must not be used
  const auto result = Generate(session, *text_.tokenizer, r, nullptr);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->tokens.empty());
  ASSERT_EQ(result->prompt_logprobs.size(), r.prompt.size() - 1);
  Session fresh(*model_, 256, 512);
  std::vector<float> logits, row(static_cast<size_t>(model_->vocab_size()));
  ASSERT_TRUE(fresh.Append(r.prompt, LogitsFor::kAll, &logits).ok());
  for (size_t i = 0; i + 1 < r.prompt.size(); ++i) {
    LogSoftmax(std::span(logits).subspan(i * row.size(), row.size()), row);
    EXPECT_EQ(result->prompt_logprobs[i].token, r.prompt[i + 1]);
    EXPECT_NEAR(result->prompt_logprobs[i].logprob, row[static_cast<size_t>(r.prompt[i + 1])], 1e-5) << i;
  }
}

TEST_F(GenerateTest, InterleavedGenerationsMatchSeparateRuns) {
  GenerationRequest a = Request(8), b = Request(8);
  b.prompt = text_.tokenizer->EncodeUntrusted("Another prompt, a little longer than the first one").value();
  b.sampling.temperature = 1.0f;
  b.sampling.seed = 9;
  Session sa(*model_, 128, 4), sb(*model_, 128, 4);  // n_batch 4: several prefill steps each
  auto ga = Generation::Start(sa, *text_.tokenizer, a).value();
  auto gb = Generation::Start(sb, *text_.tokenizer, b).value();
  int prefill_steps = 0;
  for (bool more_a = true, more_b = true; more_a || more_b;) {
    if (more_a) more_a = ga->Step(nullptr).value();
    prefill_steps += gb->prefilling();
    if (more_b) more_b = gb->Step(nullptr).value();
  }
  EXPECT_GT(prefill_steps, 2);
  EXPECT_EQ(ga->result().tokens, Run(a).tokens);
  EXPECT_EQ(gb->result().tokens, Run(b).tokens);
}

TEST_F(GenerateTest, JsonObjectOutputIsAlwaysAValidDocumentOrPrefix) {
  const auto table = JsonTokenTable::Create(*text_.tokenizer);
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    GenerationRequest r = Request(300);
    r.sampling.temperature = 1.0f;
    r.sampling.seed = seed;
    r.json_object = table;
    const GenerationResult result = Run(r, 512);
    JsonRecognizer recognizer;
    EXPECT_TRUE(recognizer.Push(result.content)) << result.content;
    if (result.finish == FinishReason::kStop) {
      EXPECT_TRUE(recognizer.complete()) << result.content;
      EXPECT_TRUE(nlohmann::json::accept(result.content)) << result.content;
    }
  }
}

TEST_F(GenerateTest, CancelDuringThePromptEndsWithoutTokens) {
  Session session(*model_, 128, 2);
  auto g = Generation::Start(session, *text_.tokenizer, Request(4)).value();
  ASSERT_TRUE(g->Step(nullptr).value());
  ASSERT_TRUE(g->prefilling());
  g->Cancel();
  EXPECT_FALSE(g->Step(nullptr).value());
  EXPECT_EQ(g->result().finish, FinishReason::kCancelled);
  EXPECT_TRUE(g->result().tokens.empty());
}

}  // namespace
}  // namespace baleen
