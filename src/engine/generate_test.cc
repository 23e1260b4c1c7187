// The generation loop on a tiny model: determinism, limits, stop strings, EOS, cancellation, prefix reuse and the
// end of the context.
#include "engine/generate.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "formats/gguf/gguf_test_util.h"
#include "formats/testing/tiny_models.h"
#include "text/text_assets.h"

namespace baleen {
namespace {

class GenerateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = testing::TempPath("generate.gguf");
    ASSERT_TRUE(testing::WriteTinyModel({.arch = Architecture::kDeepseek2}, path).ok());
    gguf_ = GgufModel::Open(path).value();
    std::filesystem::remove(path);
    config_ = ResolveModelConfig(*gguf_).value();
    model_ = LoadModel(*gguf_, config_).value();
    text_ = LoadTextAssets(*gguf_).value();
  }

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

  std::unique_ptr<GgufModel> gguf_;
  ModelConfig config_;
  std::unique_ptr<Model> model_;
  TextAssets text_;
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
  EXPECT_EQ(Generate(session, *text_.tokenizer, r, nullptr).status().code(), StatusCode::kResourceExhausted);
  r.prompt.clear();
  EXPECT_FALSE(Generate(session, *text_.tokenizer, r, nullptr).ok());
}

}  // namespace
}  // namespace baleen
