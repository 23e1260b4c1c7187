// MoE routing and expert evaluation. Tokens are grouped by expert so each expert's weights are read once per
// batch, and experts no token chose are never touched.
#include "models/moe.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "base/scratch.h"
#include "kernels/ops.h"

namespace baleen {
namespace {

// Indices of the k largest values, best first, ties to the lower index.
std::vector<int32_t> TopK(std::span<const float> values, int64_t k) {
  std::vector<int32_t> idx(values.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int32_t a, int32_t b) {
    return values[a] > values[b] || (values[a] == values[b] && a < b);
  });
  idx.resize(static_cast<size_t>(k));
  return idx;
}

// Masks (to -inf) every expert outside the n_limited_groups best groups.
void LimitGroups(std::vector<float>& choice, bool with_bias, const MoeConfig& moe) {
  const int64_t per_group = moe.n_routed_experts / moe.n_expert_groups;
  std::vector<float> group_score(static_cast<size_t>(moe.n_expert_groups));
  for (int64_t g = 0; g < moe.n_expert_groups; ++g) {
    std::span<const float> group(&choice[g * per_group], static_cast<size_t>(per_group));
    if (with_bias && per_group >= 2) {
      const std::vector<int32_t> best = TopK(group, 2);
      group_score[g] = group[best[0]] + group[best[1]];
    } else {
      group_score[g] = *std::max_element(group.begin(), group.end());
    }
  }
  const std::vector<int32_t> kept = TopK(group_score, moe.n_limited_groups);
  for (int64_t g = 0; g < moe.n_expert_groups; ++g) {
    if (std::find(kept.begin(), kept.end(), g) != kept.end()) continue;
    std::fill_n(&choice[g * per_group], per_group, -std::numeric_limits<float>::infinity());
  }
}

}  // namespace

std::vector<RoutedExpert> RouteToken(std::span<const float> logits, std::span<const float> bias,
                                     const MoeConfig& moe) {
  std::vector<float> scores(logits.begin(), logits.end());
  if (moe.score_func == ScoreFunc::kSigmoid) {
    for (float& s : scores) s = 1.0f / (1.0f + std::exp(-s));
  } else {
    Softmax(scores.data(), static_cast<int64_t>(scores.size()));
  }
  std::vector<float> choice = scores;
  for (size_t i = 0; i < bias.size(); ++i) choice[i] += bias[i];
  if (moe.n_expert_groups > 1) LimitGroups(choice, !bias.empty(), moe);

  const std::vector<int32_t> chosen = TopK(choice, moe.n_activated_experts);
  std::vector<RoutedExpert> routed;
  double sum = 0.0;
  for (int32_t e : chosen) {
    routed.push_back({e, scores[e]});
    sum += scores[e];
  }
  const double norm = moe.norm_topk_prob && sum > 0.0 ? 1.0 / sum : 1.0;
  for (RoutedExpert& r : routed) r.weight = static_cast<float>(r.weight * norm * moe.route_scale);
  return routed;
}

Result<MoeWeights> LoadMoe(const WeightLoader& w, int64_t layer, const ModelConfig& config) {
  const MoeConfig& moe = config.moe;
  const int64_t dim = config.dim, n_exp = moe.n_routed_experts, inter = moe.moe_inter_dim;
  auto name = [layer](const char* s) { return BlockTensor(layer, s); };
  MoeWeights m;
  ASSIGN_OR_RETURN(m.router, w.Matrix(name("ffn_gate_inp.weight"), {dim, n_exp}));
  if (w.Has(name("exp_probs_b.bias"))) {
    ASSIGN_OR_RETURN(m.bias, w.Vector(name("exp_probs_b.bias"), n_exp));
  }
  if (w.Has(name("ffn_gate_up_exps.weight"))) {
    return Unimplemented("tensor '" + name("ffn_gate_up_exps.weight") +
                         "': fused gate/up expert stacks are not supported yet");
  }
  ASSIGN_OR_RETURN(m.gate_exps, w.Matrix(name("ffn_gate_exps.weight"), {dim, inter, n_exp}));
  ASSIGN_OR_RETURN(m.up_exps, w.Matrix(name("ffn_up_exps.weight"), {dim, inter, n_exp}));
  ASSIGN_OR_RETURN(m.down_exps, w.Matrix(name("ffn_down_exps.weight"), {inter, dim, n_exp}));
  m.has_shared = moe.n_shared_experts > 0;
  if (m.has_shared) {
    const int64_t shared = inter * moe.n_shared_experts;
    ASSIGN_OR_RETURN(m.shared.gate, w.Matrix(name("ffn_gate_shexp.weight"), {dim, shared}));
    ASSIGN_OR_RETURN(m.shared.up, w.Matrix(name("ffn_up_shexp.weight"), {dim, shared}));
    ASSIGN_OR_RETURN(m.shared.down, w.Matrix(name("ffn_down_shexp.weight"), {shared, dim}));
  }
  return m;
}

void AddMoe(const MoeWeights& m, const MoeConfig& moe, const float* x, int64_t n, int64_t dim, float* out) {
  const int64_t n_exp = moe.n_routed_experts, inter = moe.moe_inter_dim;
  ScratchVector<float> logits(static_cast<size_t>(n * n_exp));
  MatMul(m.router, x, n, logits.data());

  // Which tokens each expert serves, with the token's mixing weight.
  std::vector<std::vector<std::pair<int64_t, float>>> served(static_cast<size_t>(n_exp));
  for (int64_t t = 0; t < n; ++t) {
    const std::span<const float> token_logits(&logits[t * n_exp], static_cast<size_t>(n_exp));
    for (const RoutedExpert& r : RouteToken(token_logits, m.bias, moe)) served[r.expert].push_back({t, r.weight});
  }
  // Every chosen expert on its tokens (gathered into xs) and the shared expert on all of them, as one batch of
  // FFNs; then each token mixes its experts' outputs (ys) with its routing weights, experts in index order.
  std::vector<int64_t> first(static_cast<size_t>(n_exp + 1), 0);  // expert e's rows of xs and ys
  for (int64_t e = 0; e < n_exp; ++e) first[e + 1] = first[e] + static_cast<int64_t>(served[e].size());
  ScratchVector<float> xs(static_cast<size_t>(first[n_exp] * dim)), ys(xs.size(), 0.0f);
  std::vector<FfnJob> jobs;
  if (m.has_shared) jobs.push_back({m.shared, x, n, 1.0f, out});
  for (int64_t e = 0; e < n_exp; ++e) {
    const auto& tokens = served[e];
    if (tokens.empty()) continue;
    for (size_t i = 0; i < tokens.size(); ++i) std::copy_n(x + tokens[i].first * dim, dim, &xs[(first[e] + i) * dim]);
    const FfnWeights expert{m.gate_exps.Rows(e * inter, inter), m.up_exps.Rows(e * inter, inter),
                            m.down_exps.Rows(e * dim, dim)};
    jobs.push_back({expert, &xs[first[e] * dim], static_cast<int64_t>(tokens.size()), 1.0f, &ys[first[e] * dim]});
  }
  AddFfnAll(jobs);
  for (int64_t e = 0; e < n_exp; ++e) {
    for (size_t i = 0; i < served[e].size(); ++i) {
      AxpyF32(served[e][i].second, &ys[(first[e] + i) * dim], out + served[e][i].first * dim, dim);
    }
  }
}

}  // namespace baleen
