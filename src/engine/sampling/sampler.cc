// Token sampler: the pipeline documented in sampler.h, plus the seeded PRNG. Engine layer.
#include "engine/sampling/sampler.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "base/check.h"

namespace baleen {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr double kNegInfD = -std::numeric_limits<double>::infinity();
// Top-p without top-k skips the exp of log-weights at or below this: together they weigh under 150k * e^-50 < 3e-17
// of the maximum token's weight, below the rounding of the total.
constexpr double kNegligibleLogWeight = -50;
// ... and buckets the rest by log-weight in steps of 1, to know which tokens it must sort before sorting any.
constexpr size_t kLogWeightBuckets = 50;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

Status CheckRange(const char* field, double v, double lo, double hi) {
  if (std::isfinite(v) && v >= lo && v <= hi) return Status::Ok();
  return InvalidArgument(std::string(field) + " must be in [" + Num(lo) + ", " + Num(hi) + "], got " + Num(v));
}

// Strict total order: higher value first, then lower id. Makes every sort and selection deterministic.
bool Higher(const TokenProb& a, const TokenProb& b) { return a.p > b.p || (a.p == b.p && a.id < b.id); }

// +inf is treated as the largest finite float so that inf - inf never appears in the softmax.
float Clamp(float logit) { return std::min(logit, FLT_MAX); }

// Step 5: softmax weights relative to the maximum logit, exp((l - max) / T): exactly 1 for the maximum.
struct Tempered {
  double max_logit;
  double inv_temperature;
  double LogWeight(float logit) const { return (Clamp(logit) - max_logit) * inv_temperature; }
  double Weight(float logit) const { return std::exp(LogWeight(logit)); }
};

// Maximum clamped logit; -inf when every logit is -inf or NaN (NaN never compares greater).
float MaxLogit(std::span<const float> logits) {
  float max_logit = kNegInf;
  for (float l : logits) {
    if (l > max_logit) max_logit = l;
  }
  return Clamp(max_logit);
}

// Step 4: the k best tokens by (logit desc, id asc), best first, with the logit in .p. One pass with a heap whose
// top is the worst kept token, so most tokens cost a single comparison; cheaper than nth_element over the vocabulary.
void SelectTopK(std::span<const float> logits, size_t k, std::vector<TokenProb>& c) {
  for (size_t i = 0; i < logits.size(); ++i) {
    if (!(logits[i] > kNegInf)) continue;
    const TokenProb t{static_cast<int32_t>(i), Clamp(logits[i])};
    if (c.size() < k) {
      c.push_back(t);
      std::push_heap(c.begin(), c.end(), Higher);
    } else if (Higher(t, c.front())) {
      std::pop_heap(c.begin(), c.end(), Higher);
      c.back() = t;
      std::push_heap(c.begin(), c.end(), Higher);
    }
  }
  std::sort_heap(c.begin(), c.end(), Higher);
}

// Step 6 on candidates sorted best first: keeps the smallest prefix whose weight reaches `target`. Returns false (and
// keeps everything) when the candidates do not reach it.
bool KeepPrefixReaching(std::vector<TokenProb>& c, double target) {
  double cumulative = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    cumulative += c[i].p;
    if (cumulative >= target) {
      c.resize(i + 1);
      return true;
    }
  }
  return false;
}

// Collects (id, weight) for the tokens with log-weight above `floor`, in id order.
void CollectAbove(std::span<const float> logits, const Tempered& tempered, double floor, std::vector<TokenProb>& c) {
  c.clear();
  for (size_t i = 0; i < logits.size(); ++i) {
    const double log_weight = tempered.LogWeight(logits[i]);  // -inf or NaN for -inf or NaN logits: never kept
    if (log_weight > floor) c.push_back({static_cast<int32_t>(i), std::exp(log_weight)});
  }
}

// Steps 5-6 without top-k: one pass for the total weight and the weight per log-weight bucket, which tells how far
// down the sorted order top_p reaches; then only the tokens in those buckets (plus one more, for sums taken in a
// different order) are collected and sorted. For the peaked distributions of real models that is a few tokens.
void CollectTopP(std::span<const float> logits, const Tempered& tempered, float top_p, std::vector<TokenProb>& c) {
  std::array<double, kLogWeightBuckets> bucket_weight{};  // bucket b: log-weights in (-(b + 1), -b]
  double total = 0;
  for (float l : logits) {
    const double log_weight = tempered.LogWeight(l);
    if (!(log_weight > kNegligibleLogWeight)) continue;
    const double weight = std::exp(log_weight);
    total += weight;
    bucket_weight[static_cast<size_t>(-log_weight)] += weight;
  }
  const double target = top_p * total;
  double cumulative = 0;
  size_t last_bucket = 0;  // the bucket in which the cumulative weight reaches the target
  while (last_bucket < kLogWeightBuckets && (cumulative += bucket_weight[last_bucket]) < target) ++last_bucket;
  const double floor = last_bucket + 1 < kLogWeightBuckets ? -static_cast<double>(last_bucket + 2) : kNegInfD;
  CollectAbove(logits, tempered, floor, c);
  std::sort(c.begin(), c.end(), Higher);
  if (KeepPrefixReaching(c, target) || floor == kNegInfD) return;
  CollectAbove(logits, tempered, kNegInfD, c);
  std::sort(c.begin(), c.end(), Higher);
  KeepPrefixReaching(c, target);  // if rounding leaves the full sum just short of the target, every token stays
}

// Step 7. The maximum weight is 1 (Tempered), so the threshold is min_p itself; the maximum is always kept.
void KeepMinP(std::vector<TokenProb>& c, float min_p) {
  std::erase_if(c, [min_p](const TokenProb& t) { return t.p < min_p; });
}

}  // namespace

Status ValidateSamplingParams(const SamplingParams& p, int64_t vocab_size) {
  if (vocab_size <= 0) return InvalidArgument("vocab_size must be positive, got " + std::to_string(vocab_size));
  RETURN_IF_ERROR(CheckRange("temperature", p.temperature, 0, 100));
  if (p.top_k < 0) return InvalidArgument("top_k must be >= 0 (0 = off), got " + std::to_string(p.top_k));
  if (!(p.top_p > 0 && p.top_p <= 1)) return InvalidArgument("top_p must be in (0, 1], got " + Num(p.top_p));
  RETURN_IF_ERROR(CheckRange("min_p", p.min_p, 0, 1));
  if (!(std::isfinite(p.repetition_penalty) && p.repetition_penalty > 0)) {
    return InvalidArgument("repetition_penalty must be finite and > 0 (1 = off), got " + Num(p.repetition_penalty));
  }
  RETURN_IF_ERROR(CheckRange("presence_penalty", p.presence_penalty, -2, 2));
  RETURN_IF_ERROR(CheckRange("frequency_penalty", p.frequency_penalty, -2, 2));
  if (p.penalty_last_n < -1) {
    return InvalidArgument("penalty_last_n must be >= -1 (-1 = all), got " + std::to_string(p.penalty_last_n));
  }
  for (const auto& [id, bias] : p.logit_bias) {
    const std::string field = "logit_bias." + std::to_string(id);  // the API's name for the entry
    if (id < 0 || id >= vocab_size) {
      return InvalidArgument(field + ": token id outside the vocabulary [0, " + std::to_string(vocab_size) + ")")
          .WithField(field);
    }
    RETURN_IF_ERROR(CheckRange(field.c_str(), bias, -100, 100).WithField(field));
  }
  return Status::Ok();
}

void ApplyLogitBias(std::span<float> logits, std::span<const std::pair<int32_t, float>> logit_bias) {
  for (const auto& [id, bias] : logit_bias) {
    if (id >= 0 && static_cast<size_t>(id) < logits.size()) logits[id] += bias;
  }
}

void ApplyPenalties(std::span<float> logits, std::span<const int32_t> history, const SamplingParams& p) {
  const bool any = p.repetition_penalty != 1.0f || p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f;
  if (!any || p.penalty_last_n == 0 || history.empty()) return;
  const size_t n = p.penalty_last_n < 0 ? history.size()
                                        : std::min(history.size(), static_cast<size_t>(p.penalty_last_n));
  // Sorting a copy of the window counts occurrences without a vocab-sized table.
  std::vector<int32_t> window(history.end() - n, history.end());
  std::sort(window.begin(), window.end());
  for (size_t i = 0; i < window.size();) {
    size_t j = i;
    while (j < window.size() && window[j] == window[i]) ++j;
    const int32_t id = window[i];
    const auto count = static_cast<float>(j - i);
    i = j;
    if (id < 0 || static_cast<size_t>(id) >= logits.size()) continue;
    float& logit = logits[id];
    if (p.repetition_penalty != 1.0f) {
      logit = logit > 0 ? logit / p.repetition_penalty : logit * p.repetition_penalty;
    }
    logit -= p.presence_penalty + p.frequency_penalty * count;
  }
}

int32_t ArgmaxLowestId(std::span<const float> logits) {
  int32_t best = 0;
  float best_logit = kNegInf;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] > best_logit) {  // strict: ties keep the lower id; NaN never compares greater
      best_logit = logits[i];
      best = static_cast<int32_t>(i);
    }
  }
  return best;
}

void TruncatedDistribution(std::span<const float> logits, const SamplingParams& p, std::vector<TokenProb>* out) {
  DCHECK(p.temperature > 0);
  std::vector<TokenProb>& c = *out;
  c.clear();
  const float max_logit = MaxLogit(logits);
  if (max_logit == kNegInf) return;
  const Tempered tempered{max_logit, 1.0 / p.temperature};
  if (p.top_k > 0 && static_cast<size_t>(p.top_k) < logits.size()) {
    SelectTopK(logits, static_cast<size_t>(p.top_k), c);
    for (TokenProb& t : c) t.p = tempered.Weight(static_cast<float>(t.p));
    if (p.top_p < 1.0f) {
      double total = 0;
      for (const TokenProb& t : c) total += t.p;
      KeepPrefixReaching(c, p.top_p * total);
    }
  } else if (p.top_p < 1.0f) {
    CollectTopP(logits, tempered, p.top_p, c);
  } else {
    CollectAbove(logits, tempered, kNegInfD, c);
  }
  if (p.min_p > 0.0f) KeepMinP(c, p.min_p);
  double total = 0;
  for (const TokenProb& t : c) total += t.p;
  for (TokenProb& t : c) t.p /= total;
}

void LogSoftmax(std::span<const float> logits, std::span<float> out) {
  CHECK(out.size() == logits.size());
  float max_logit = kNegInf;
  for (float x : logits) max_logit = std::max(max_logit, x);  // std::max(a, NaN) keeps a
  if (max_logit == kNegInf) {
    std::fill(out.begin(), out.end(), kNegInf);
    return;
  }
  if (std::isinf(max_logit)) {  // +inf entries share all the probability
    const auto n_inf = std::count(logits.begin(), logits.end(), max_logit);
    const auto share = static_cast<float>(-std::log(static_cast<double>(n_inf)));
    for (size_t i = 0; i < logits.size(); ++i) out[i] = logits[i] == max_logit ? share : kNegInf;
    return;
  }
  double sum = 0;
  for (float x : logits) {
    if (x > kNegInf) sum += std::exp(static_cast<double>(x) - max_logit);
  }
  const double log_sum = max_logit + std::log(sum);
  for (size_t i = 0; i < logits.size(); ++i) {
    out[i] = logits[i] > kNegInf ? static_cast<float>(logits[i] - log_sum) : kNegInf;
  }
}

uint64_t Xoshiro256::SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Xoshiro256::Xoshiro256(uint64_t seed) {
  for (uint64_t& word : s_) word = SplitMix64(seed);  // never all zero: splitmix64 is a bijection of its counter
}

uint64_t Xoshiro256::Next() {
  const auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Xoshiro256::NextUniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

Sampler::Sampler(SamplingParams params, int64_t vocab_size)
    : params_(std::move(params)), vocab_size_(vocab_size), rng_(params_.seed) {
  CHECK(ValidateSamplingParams(params_, vocab_size_).ok());
}

int32_t Sampler::Sample(std::span<float> logits, std::span<const int32_t> history) {
  CHECK(static_cast<int64_t>(logits.size()) == vocab_size_);
  ApplyLogitBias(logits, params_.logit_bias);
  ApplyPenalties(logits, history, params_);
  if (params_.temperature <= 0 || params_.top_k == 1) return ArgmaxLowestId(logits);
  TruncatedDistribution(logits, params_, &candidates_);
  if (candidates_.empty()) return 0;  // every logit -inf or NaN
  // Inverse CDF over the candidates in their (deterministic) order; zero-probability entries can never be hit.
  const double u = rng_.NextUniform();
  double cumulative = 0;
  for (const TokenProb& t : candidates_) {
    cumulative += t.p;
    if (u < cumulative) return t.id;
  }
  // Rounding left u above the last cumulative sum: take the last candidate with nonzero probability.
  for (auto it = candidates_.rbegin(); it != candidates_.rend(); ++it) {
    if (it->p > 0) return it->id;
  }
  return candidates_.front().id;
}

}  // namespace baleen
