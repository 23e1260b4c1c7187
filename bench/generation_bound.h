// The memory traffic of generating one token, and the speed limit it sets at a given read bandwidth. Bench layer.
// A decode step is a matrix-vector product per weight, so it reads every weight it uses once; at a measured
// bandwidth B, no kernel can generate faster than B / (bytes read per token).
#pragma once

#include <cstdint>

#include "formats/gguf/gguf_model.h"
#include "formats/model_config.h"

namespace baleen {

// Bytes of weights one generated token reads: every tensor of the main model except token_embd (a row lookup,
// unless there is no output.weight and it doubles as the output head), with each routed-expert stack (*_exps)
// counted at n_activated_experts / n_routed_experts of its size. MTP blocks (blk.i, i >= n_layers) are not run
// when generating without speculation, so they are left out.
uint64_t WeightBytesPerToken(const GgufModel& gguf, const ModelConfig& config);

// Tokens per second that `bytes_per_token` allows at `bytes_per_s`.
inline double BandwidthBoundTokensPerSecond(double bytes_per_s, double bytes_per_token) {
  return bytes_per_token > 0 ? bytes_per_s / bytes_per_token : 0.0;
}

}  // namespace baleen
