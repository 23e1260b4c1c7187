// Tests for the sampler: PRNG reference vectors, greedy, seeded determinism, distributions, truncation, penalties.
#include "engine/sampling/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

namespace baleen {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

SamplingParams Plain(float temperature = 1.0f) {
  SamplingParams p;
  p.temperature = temperature;
  p.top_p = 1.0f;
  return p;
}

std::vector<double> Softmax(const std::vector<float>& logits, double temperature) {
  double max_logit = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i) sum += p[i] = std::exp((logits[i] - max_logit) / temperature);
  for (double& x : p) x /= sum;
  return p;
}

// Samples n times from the same logits (copied each time) and counts the tokens.
std::vector<int> Histogram(Sampler& s, const std::vector<float>& logits, int n) {
  std::vector<int> counts(logits.size());
  for (int i = 0; i < n; ++i) {
    std::vector<float> l = logits;
    ++counts.at(s.Sample(l, {}));
  }
  return counts;
}

double ChiSquare(const std::vector<int>& counts, const std::vector<double>& p, int n) {
  double chi2 = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const double expected = n * p[i];
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  return chi2;
}

std::set<int32_t> KeptIds(const std::vector<float>& logits, const SamplingParams& p) {
  std::vector<TokenProb> out;
  TruncatedDistribution(logits, p, &out);
  std::set<int32_t> ids;
  double sum = 0;
  for (const TokenProb& t : out) {
    ids.insert(t.id);
    sum += t.p;
  }
  if (!out.empty()) {
    EXPECT_NEAR(sum, 1.0, 1e-12);
  }
  return ids;
}

// log of the given probabilities: logits whose softmax at temperature 1 is exactly that distribution.
std::vector<float> LogitsOf(const std::vector<double>& probs) {
  std::vector<float> l;
  for (double q : probs) l.push_back(static_cast<float>(std::log(q)));
  return l;
}

TEST(Xoshiro256Test, MatchesPublishedReferenceVectors) {
  // rand_xoshiro's test vector from the reference xoshiro256starstar.c, state {1, 2, 3, 4}.
  Xoshiro256 rng(std::array<uint64_t, 4>{1, 2, 3, 4});
  const uint64_t want[] = {11520ULL, 0ULL, 1509978240ULL, 1215971899390074240ULL, 1216172134540287360ULL,
                           607988272756665600ULL, 16172922978634559625ULL, 8476171486693032832ULL,
                           10595114339597558777ULL, 2904607092377533576ULL};
  for (uint64_t w : want) EXPECT_EQ(rng.Next(), w);
  // splitmix64 from state 0 (Vigna's splitmix64.c).
  uint64_t state = 0;
  EXPECT_EQ(Xoshiro256::SplitMix64(state), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(Xoshiro256::SplitMix64(state), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(Xoshiro256::SplitMix64(state), 0x06C45D188009454FULL);
  EXPECT_EQ(Xoshiro256::SplitMix64(state), 0xF88BB8A8724C81ECULL);
}

TEST(Xoshiro256Test, UniformIsInUnitInterval) {
  Xoshiro256 rng(123);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    const double u = rng.NextUniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.005);
}

TEST(SamplerTest, GreedyIsArgmaxWithTiesToLowestId) {
  Sampler s(Plain(0.0f), 5);
  std::vector<float> l = {1, 3, 0, 3, 2};
  EXPECT_EQ(s.Sample(l, {}), 1);
  EXPECT_EQ(ArgmaxLowestId(std::vector<float>{-kInf, -kInf}), 0);
  EXPECT_EQ(ArgmaxLowestId(std::vector<float>{NAN, 1, NAN, 2}), 3);
}

TEST(SamplerTest, TopKOneIsGreedyAtAnyTemperature) {
  for (float t : {0.1f, 1.0f, 5.0f, 100.0f}) {
    SamplingParams p = Plain(t);
    p.top_k = 1;
    for (uint64_t seed = 0; seed < 20; ++seed) {
      p.seed = seed;
      Sampler s(p, 4);
      std::vector<float> l = {0.5f, 2, 2, 1.9f};
      EXPECT_EQ(s.Sample(l, {}), 1) << "temperature " << t;
    }
  }
}

TEST(SamplerTest, NanIsNeverSelectedAndAllMinusInfGivesZero) {
  Sampler s(Plain(1.0f), 4);
  for (int i = 0; i < 1000; ++i) {
    std::vector<float> l = {NAN, 0, NAN, 0};
    const int32_t id = s.Sample(l, {});
    ASSERT_TRUE(id == 1 || id == 3);
  }
  std::vector<float> all_inf = {-kInf, -kInf, NAN, -kInf};
  EXPECT_EQ(s.Sample(all_inf, {}), 0);
  std::vector<float> pos_inf = {0, kInf, 5, 1};
  EXPECT_EQ(s.Sample(pos_inf, {}), 1);
}

std::vector<float> FixedLogits(int n) {
  std::vector<float> l(n);
  for (int i = 0; i < n; ++i) l[i] = 3.0f * std::sin(0.37f * i) + 0.001f * i;
  return l;
}

std::vector<int32_t> Sequence(uint64_t seed, int n_tokens) {
  SamplingParams p;  // DeepSeek defaults: temperature 0.6, top_p 0.95
  p.temperature = 1.5f;
  p.seed = seed;
  Sampler s(p, 1000);
  const std::vector<float> logits = FixedLogits(1000);
  std::vector<int32_t> out;
  for (int i = 0; i < n_tokens; ++i) {
    std::vector<float> l = logits;
    out.push_back(s.Sample(l, {}));
  }
  return out;
}

TEST(SamplerTest, SameSeedSameSequenceDifferentSeedDifferent) {
  const std::vector<int32_t> a = Sequence(42, 200);
  EXPECT_EQ(a, Sequence(42, 200));
  EXPECT_NE(a, Sequence(43, 200));
  EXPECT_GT(std::set<int32_t>(a.begin(), a.end()).size(), 10u);  // actually random, not stuck on one token
}

TEST(SamplerTest, DrawFrequenciesFollowSoftmax) {
  const std::vector<float> logits = {0.0f, 1.0f, 2.0f, 0.5f, -1.0f};
  const int n = 200000;
  for (float t : {1.0f, 0.5f}) {
    SamplingParams p = Plain(t);
    p.seed = 7;
    Sampler s(p, 5);
    const std::vector<int> counts = Histogram(s, logits, n);
    // 4 degrees of freedom: P(chi2 > 25) is about 5e-5. The seed is fixed, so the test is deterministic anyway.
    EXPECT_LT(ChiSquare(counts, Softmax(logits, t), n), 25.0) << "temperature " << t;
    if (t == 0.5f) {
      EXPECT_GT(ChiSquare(counts, Softmax(logits, 1.0), n), 1000.0);  // sharper than temperature 1
    }
  }
}

TEST(SamplerTest, TopKKeepsTheKHighestWithTiesToLowestId) {
  SamplingParams p = Plain();
  p.top_k = 3;
  EXPECT_EQ(KeptIds({0, 5, 1, 4, 3, 2}, p), (std::set<int32_t>{1, 3, 4}));
  p.top_k = 2;
  EXPECT_EQ(KeptIds({1, 5, 5, 5}, p), (std::set<int32_t>{1, 2}));
  p.top_k = 10;  // larger than the vocabulary: off
  EXPECT_EQ(KeptIds({1, 2, 3}, p).size(), 3u);
  p.top_k = 3;
  Sampler s(p, 6);
  const std::vector<int> counts = Histogram(s, {0, 5, 1, 4, 3, 2}, 20000);
  for (int id : {0, 2, 5}) EXPECT_EQ(counts[id], 0) << id;
  for (int id : {1, 3, 4}) EXPECT_GT(counts[id], 0) << id;
}

TEST(SamplerTest, TopPKeepsSmallestSetReachingP) {
  const std::vector<float> logits = LogitsOf({0.1, 0.5, 0.15, 0.25});
  SamplingParams p = Plain();
  p.top_p = 0.7f;  // 0.5 + 0.25 = 0.75 >= 0.7
  EXPECT_EQ(KeptIds(logits, p), (std::set<int32_t>{1, 3}));
  p.top_p = 0.76f;
  EXPECT_EQ(KeptIds(logits, p), (std::set<int32_t>{1, 2, 3}));
  p.top_p = 0.01f;  // always at least one
  EXPECT_EQ(KeptIds(logits, p), (std::set<int32_t>{1}));
  p.top_p = 1.0f;
  EXPECT_EQ(KeptIds(logits, p).size(), 4u);
  p.top_p = 0.7f;
  Sampler s(p, 4);
  const std::vector<int> counts = Histogram(s, logits, 20000);
  EXPECT_EQ(counts[0] + counts[2], 0);
  EXPECT_NEAR(counts[1] / 20000.0, 0.5 / 0.75, 0.02);  // renormalized over the kept set
}

TEST(SamplerTest, TopPAfterTemperature) {
  // At temperature 0.5 the probabilities become 0.5^2 : 0.25^2 : ... so token 1 alone passes 0.7.
  const std::vector<float> logits = LogitsOf({0.1, 0.5, 0.15, 0.25});
  SamplingParams p = Plain(0.5f);
  p.top_p = 0.7f;
  EXPECT_EQ(KeptIds(logits, p), (std::set<int32_t>{1}));
}

// Brute force: full sort by (logit desc, id asc), then the smallest prefix reaching top_p.
std::set<int32_t> TopPByFullSort(const std::vector<float>& logits, double temperature, double top_p) {
  const std::vector<double> p = Softmax(logits, temperature);
  std::vector<int32_t> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  std::set<int32_t> kept;
  double cumulative = 0;
  for (int32_t id : order) {
    kept.insert(id);
    cumulative += p[id];
    if (cumulative >= top_p) break;
  }
  return kept;
}

TEST(SamplerTest, TopPOverALargeVocabularyMatchesFullSort) {
  // A flat vocabulary needs thousands of candidates; a wide one spreads log-weights over every bucket of the top-p
  // pass and past its negligible-weight cut.
  std::vector<float> flat(20000), wide(20000);
  for (size_t i = 0; i < flat.size(); ++i) {
    flat[i] = 0.5f * std::sin(0.013f * i * i) + 0.0001f * (i % 7);
    wide[i] = 40.0f * std::sin(0.029f * i * i) * std::abs(std::sin(0.0007f * i));
  }
  for (const std::vector<float>* logits : {&flat, &wide}) {
    for (float temperature : {1.0f, 0.3f, 8.0f}) {
      for (float top_p : {0.001f, 0.05f, 0.5f, 0.9f, 0.99f, 0.999999f}) {
        SamplingParams p = Plain(temperature);
        p.top_p = top_p;
        const std::set<int32_t> got = KeptIds(*logits, p);
        const std::set<int32_t> want = TopPByFullSort(*logits, temperature, top_p);
        const std::string where = "temperature " + std::to_string(temperature) + " top_p " + std::to_string(top_p);
        // Double sums in a different order may differ at the boundary by one token; anything more is a bug.
        EXPECT_LE(std::max(got.size(), want.size()) - std::min(got.size(), want.size()), 1u) << where;
        EXPECT_TRUE(std::includes(got.begin(), got.end(), want.begin(), want.end()) ||
                    std::includes(want.begin(), want.end(), got.begin(), got.end()))
            << where;
        if (logits == &flat && top_p >= 0.5f && temperature >= 1.0f) {
          EXPECT_GT(got.size(), 1000u);
        }
      }
    }
  }
}

TEST(SamplerTest, MinPKeepsTokensAboveFractionOfMax) {
  const std::vector<float> logits = LogitsOf({0.1, 0.5, 0.15, 0.25});
  SamplingParams p = Plain();
  p.min_p = 0.25f;  // threshold 0.125
  EXPECT_EQ(KeptIds(logits, p), (std::set<int32_t>{1, 2, 3}));
  p.min_p = 0.4f;  // threshold 0.2
  EXPECT_EQ(KeptIds(logits, p), (std::set<int32_t>{1, 3}));
  p.min_p = 1.0f;
  EXPECT_EQ(KeptIds(logits, p), (std::set<int32_t>{1}));
  p.min_p = 0.4f;
  Sampler s(p, 4);
  const std::vector<int> counts = Histogram(s, logits, 20000);
  EXPECT_EQ(counts[0] + counts[2], 0);
}

TEST(SamplerTest, TruncationsCompose) {
  // top-k 3 drops token 0; top-p 0.85 of {0.5, 0.25, 0.15}/0.9 keeps {1, 3} (0.833) plus token 2; min-p 0.35 drops 2.
  const std::vector<float> logits = LogitsOf({0.1, 0.5, 0.15, 0.25});
  SamplingParams p = Plain();
  p.top_k = 3;
  p.top_p = 0.85f;
  EXPECT_EQ(KeptIds(logits, p), (std::set<int32_t>{1, 2, 3}));
  p.min_p = 0.35f;
  EXPECT_EQ(KeptIds(logits, p), (std::set<int32_t>{1, 3}));
}

TEST(SamplerTest, LogitBiasBansAndForces) {
  SamplingParams p = Plain();
  p.logit_bias = {{2, -100.0f}};
  Sampler ban(p, 4);
  const std::vector<int> counts = Histogram(ban, {1, 1, 3, 1}, 20000);
  EXPECT_EQ(counts[2], 0);
  p.logit_bias = {{3, 100.0f}};
  Sampler force(p, 4);
  EXPECT_EQ(Histogram(force, {5, 1, 3, -5}, 20000)[3], 20000);
}

TEST(SamplerTest, PenaltiesFollowTheFormulas) {
  SamplingParams p;
  p.repetition_penalty = 1.5f;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  p.penalty_last_n = -1;
  const std::vector<int32_t> history = {0, 1, 1, 2, 0, 0, 99, -1};  // 99 and -1 are outside the vocabulary
  std::vector<float> l = {2, -2, 1, 0.5f, 3};
  ApplyPenalties(l, history, p);
  EXPECT_FLOAT_EQ(l[0], 2 / 1.5f - 0.5f - 0.25f * 3);
  EXPECT_FLOAT_EQ(l[1], -2 * 1.5f - 0.5f - 0.25f * 2);
  EXPECT_FLOAT_EQ(l[2], 1 / 1.5f - 0.5f - 0.25f * 1);
  EXPECT_FLOAT_EQ(l[3], 0.5f);
  EXPECT_FLOAT_EQ(l[4], 3);
}

TEST(SamplerTest, PenaltyWindowIsTheTailOfHistory) {
  SamplingParams p;
  p.frequency_penalty = 1.0f;
  const std::vector<int32_t> history = {1, 1, 2, 0, 0};
  p.penalty_last_n = 2;
  std::vector<float> l = {0, 0, 0};
  ApplyPenalties(l, history, p);
  EXPECT_EQ(l, (std::vector<float>{-2, 0, 0}));
  p.penalty_last_n = 0;
  l = {0, 0, 0};
  ApplyPenalties(l, history, p);
  EXPECT_EQ(l, (std::vector<float>{0, 0, 0}));
  p.penalty_last_n = 100;  // longer than the history: all of it
  ApplyPenalties(l, history, p);
  EXPECT_EQ(l, (std::vector<float>{-2, -2, -1}));
}

TEST(SamplerTest, RepetitionPenaltySteersGreedyAwayFromRepeats) {
  SamplingParams p = Plain(0.0f);
  p.repetition_penalty = 2.0f;
  p.penalty_last_n = 3;
  Sampler s(p, 3);
  std::vector<float> l = {4, 3, -1};
  EXPECT_EQ(s.Sample(l, std::vector<int32_t>{0}), 1);  // 4/2 = 2 < 3
  l = {4, 3, -1};
  EXPECT_EQ(s.Sample(l, std::vector<int32_t>{0, 5, 5, 5}), 0);  // token 0 left the 3-token window
  l = {-1, -1.5f, -4};
  EXPECT_EQ(s.Sample(l, std::vector<int32_t>{0}), 1);  // negative logits are multiplied: -2 < -1.5
}

TEST(SamplerTest, ValidateRejectsEachBadFieldByName) {
  EXPECT_TRUE(ValidateSamplingParams(SamplingParams{}, 100).ok());
  const auto expect_bad = [](const SamplingParams& p, const std::string& field) {
    const Status st = ValidateSamplingParams(p, 100);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << field;
    EXPECT_NE(st.message().find(field), std::string::npos) << st.message();
  };
  const auto with = [](auto edit) {
    SamplingParams p;
    edit(p);
    return p;
  };
  expect_bad(with([](auto& p) { p.temperature = -0.1f; }), "temperature");
  expect_bad(with([](auto& p) { p.temperature = 101; }), "temperature");
  expect_bad(with([](auto& p) { p.temperature = NAN; }), "temperature");
  expect_bad(with([](auto& p) { p.top_k = -1; }), "top_k");
  expect_bad(with([](auto& p) { p.top_p = 0; }), "top_p");
  expect_bad(with([](auto& p) { p.top_p = 1.01f; }), "top_p");
  expect_bad(with([](auto& p) { p.top_p = NAN; }), "top_p");
  expect_bad(with([](auto& p) { p.min_p = -0.01f; }), "min_p");
  expect_bad(with([](auto& p) { p.min_p = 1.5f; }), "min_p");
  expect_bad(with([](auto& p) { p.repetition_penalty = 0; }), "repetition_penalty");
  expect_bad(with([](auto& p) { p.repetition_penalty = kInf; }), "repetition_penalty");
  expect_bad(with([](auto& p) { p.presence_penalty = 2.5f; }), "presence_penalty");
  expect_bad(with([](auto& p) { p.frequency_penalty = -2.5f; }), "frequency_penalty");
  expect_bad(with([](auto& p) { p.frequency_penalty = NAN; }), "frequency_penalty");
  expect_bad(with([](auto& p) { p.penalty_last_n = -2; }), "penalty_last_n");
  expect_bad(with([](auto& p) { p.logit_bias = {{100, 1.0f}}; }), "logit_bias.100");
  expect_bad(with([](auto& p) { p.logit_bias = {{-1, 1.0f}}; }), "logit_bias.-1");
  expect_bad(with([](auto& p) { p.logit_bias = {{5, 101.0f}}; }), "logit_bias.5");
  expect_bad(with([](auto& p) { p.logit_bias = {{5, NAN}}; }), "logit_bias.5");
  // The entry is named as the API names it, so the server's 400 points at it rather than at the messages.
  EXPECT_EQ(ValidateSamplingParams(with([](auto& p) { p.logit_bias = {{100, 1.0f}}; }), 100).field(), "logit_bias.100");
  EXPECT_FALSE(ValidateSamplingParams(SamplingParams{}, 0).ok());
  // Boundaries are allowed.
  SamplingParams edge;
  edge.temperature = 0;
  edge.top_p = 1;
  edge.min_p = 1;
  edge.presence_penalty = -2;
  edge.frequency_penalty = 2;
  edge.penalty_last_n = -1;
  edge.logit_bias = {{0, -100.0f}, {99, 100.0f}};
  EXPECT_TRUE(ValidateSamplingParams(edge, 100).ok());
}

TEST(LogSoftmaxTest, MatchesDoubleFormula) {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = 20.0f * std::sin(1.7f * i) + 100.0f;
  std::vector<float> out(logits.size());
  LogSoftmax(logits, out);
  double max_logit = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float x : logits) sum += std::exp(x - max_logit);
  for (size_t i = 0; i < logits.size(); ++i) {
    EXPECT_NEAR(out[i], logits[i] - max_logit - std::log(sum), 1e-4) << i;
  }
}

TEST(LogSoftmaxTest, HandlesInfinitiesAndNan) {
  std::vector<float> logits = {-kInf, 0, NAN, 0, -kInf};
  std::vector<float> out(5);
  LogSoftmax(logits, out);
  EXPECT_EQ(out[0], -kInf);
  EXPECT_EQ(out[2], -kInf);
  EXPECT_EQ(out[4], -kInf);
  EXPECT_NEAR(out[1], std::log(0.5), 1e-7);
  EXPECT_NEAR(out[3], std::log(0.5), 1e-7);
  logits = {-kInf, -kInf};
  out.resize(2);
  LogSoftmax(logits, out);
  EXPECT_EQ(out[0], -kInf);
  EXPECT_EQ(out[1], -kInf);
  logits = {kInf, 3};
  LogSoftmax(logits, out);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], -kInf);
}

}  // namespace
}  // namespace baleen
