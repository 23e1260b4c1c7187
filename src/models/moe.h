// DeepSeek's mixture-of-experts FFN: the router (softmax or sigmoid scores, selection-only bias, group-limited
// top-k, optional renormalization, route scale) and the expert computation grouped per expert. Models layer.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "formats/model_config.h"
#include "models/ffn.h"
#include "models/weights.h"

namespace baleen {

struct RoutedExpert {
  int32_t expert = 0;
  float weight = 0.0f;
};

// Picks the experts for one token from its router logits (inference/model.py Gate semantics):
//   s = softmax(logits) or sigmoid(logits); c = s + bias (selection only);
//   with groups: group score = sum of its two best c (with bias) or its best c (without), keep the
//   n_limited_groups best groups; top-k of c; weights = s of the chosen, divided by their sum when
//   norm_topk_prob, times route_scale. Ties pick the lower index.
std::vector<RoutedExpert> RouteToken(std::span<const float> logits, std::span<const float> bias,
                                     const MoeConfig& moe);

struct MoeWeights {
  WeightMatrix router;        // ffn_gate_inp {dim, n_experts}
  std::vector<float> bias;    // exp_probs_b (empty without)
  WeightMatrix gate_exps, up_exps, down_exps;  // 3-D stacks seen as n_experts·rows rows
  bool has_shared = false;
  FfnWeights shared;
};

Result<MoeWeights> LoadMoe(const WeightLoader& w, int64_t layer, const ModelConfig& config);

// out[t] += MoE(x[t]) for n rows of x (width dim).
void AddMoe(const MoeWeights& moe, const MoeConfig& config, const float* x, int64_t n, int64_t dim, float* out);

}  // namespace baleen
