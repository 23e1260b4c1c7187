// Token sampler: logit bias, repetition penalties, top-k / top-p / min-p truncation and a seeded draw. Engine layer.
// Parameter meanings follow the OpenAI API (serving-api.md) and llama.cpp/HF for the non-OpenAI knobs; the defaults
// are DeepSeek-R1's recommendation (temperature 0.6, top_p 0.95; deepseek-models.md §9).
//
// Order of operations in Sampler::Sample:
//   1. logit_bias, added to the raw logits
//   2. penalties over the last penalty_last_n tokens of `history`: repetition (CTRL/HF), then presence and frequency
//   3. greedy shortcut when temperature == 0 or top_k == 1: argmax, ties to the lowest id
//   4. top-k (by logit, ties to the lowest id)
//   5. temperature and softmax (double precision)
//   6. top-p: the smallest prefix of the sorted candidates whose cumulative probability is >= top_p (at least one)
//   7. min-p: keep candidates with p >= min_p * p_max
//   8. renormalize and draw with a fixed-algorithm PRNG (xoshiro256** seeded by splitmix64 from `seed`), so the same
//      seed and logits give the same tokens on every platform (up to the libm's exp, correctly rounded in practice).
// NaN logits are never selected; +inf counts as the largest finite float. If every logit is -inf (or NaN) Sample
// returns token 0: the lowest id with the maximum value, as greedy would.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "base/status.h"

namespace baleen {

struct SamplingParams {
  float temperature = 0.6f;         // <= 0 (or top_k == 1): greedy argmax
  int32_t top_k = 0;                // 0 = off
  float top_p = 0.95f;              // 1 = off
  float min_p = 0.0f;               // 0 = off; keep tokens with p >= min_p * p_max
  float repetition_penalty = 1.0f;  // CTRL/HF style over the penalty window: logit>0 ? logit/r : logit*r; 1 = off
  float presence_penalty = 0.0f;    // OpenAI: logit -= presence * (count > 0)
  float frequency_penalty = 0.0f;   // OpenAI: logit -= frequency * count
  int32_t penalty_last_n = 64;      // window of recent tokens the penalties look at; -1 = all, 0 = none
  std::vector<std::pair<int32_t, float>> logit_bias;  // added to the raw logits first (OpenAI range -100..100)
  uint64_t seed = 0;
};

// Checks ranges: temperature in [0, 100], top_p in (0, 1], min_p in [0, 1], top_k >= 0, repetition_penalty > 0,
// presence/frequency in [-2, 2], penalty_last_n >= -1, logit_bias ids in [0, vocab_size) and values in [-100, 100],
// all values finite. The message names the field. Call once at the edge; Sampler CHECKs that it passed.
Status ValidateSamplingParams(const SamplingParams& p, int64_t vocab_size);

// A candidate token and its probability after truncation and renormalization.
struct TokenProb {
  int32_t id;
  double p;
};

// Steps of the pipeline, exposed for tests and for callers that report processed logprobs.
// Step 1: logits[id] += bias for each entry (ids outside the vocabulary are skipped).
void ApplyLogitBias(std::span<float> logits, std::span<const std::pair<int32_t, float>> logit_bias);
// Step 2: penalties over the tail of `history` selected by p.penalty_last_n; out-of-vocabulary ids are skipped.
void ApplyPenalties(std::span<float> logits, std::span<const int32_t> history, const SamplingParams& p);
// Step 3: lowest id with the maximum logit; NaN is never chosen. Empty input returns 0.
int32_t ArgmaxLowestId(std::span<const float> logits);
// Steps 4-7 (and the renormalization of 8): writes the kept candidates with renormalized probabilities to `out`, in
// a deterministic order (id order, or best first where truncation sorted). Needs temperature > 0. Leaves `out` empty
// when every logit is -inf or NaN.
void TruncatedDistribution(std::span<const float> logits, const SamplingParams& p, std::vector<TokenProb>* out);

// log_softmax of raw logits into out (for logprobs/perplexity); numerically stable, double accumulation.
// NaN counts as -inf. If every entry is -inf, every output is -inf.
void LogSoftmax(std::span<const float> logits, std::span<float> out);

// xoshiro256** (Blackman & Vigna, public domain reference xoshiro256starstar.c), seeded through splitmix64. Spelled
// out here rather than std::mt19937 + a distribution because the standard distributions are implementation-defined.
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed);
  explicit Xoshiro256(const std::array<uint64_t, 4>& state) : s_(state) {}
  uint64_t Next();
  double NextUniform();  // in [0, 1), from the top 53 bits
  // splitmix64 (Steele, Lea & Flood): advances `state` and returns the next output; used to expand a seed.
  static uint64_t SplitMix64(uint64_t& state);

 private:
  std::array<uint64_t, 4> s_;
};

class Sampler {
 public:
  Sampler(SamplingParams params, int64_t vocab_size);

  // Picks the next token. `logits` (vocab_size floats) may be modified in place. `history` is the token sequence the
  // penalties look at (the caller passes prompt+generated; the sampler applies penalty_last_n to its tail).
  int32_t Sample(std::span<float> logits, std::span<const int32_t> history);

  const SamplingParams& params() const { return params_; }

 private:
  SamplingParams params_;
  int64_t vocab_size_;
  Xoshiro256 rng_;
  std::vector<TokenProb> candidates_;  // scratch, reused between calls
};

}  // namespace baleen
