// RoPE frequencies per architecture from the resolved configuration: plain, linear, YaRN (DeepSeek's and
// Hugging Face's ramp) and llama3 (from the file's rope_freqs tensor). Models layer.
#pragma once

#include <vector>

#include "base/status.h"
#include "formats/model_config.h"
#include "kernels/rope.h"

namespace baleen {

// Angular frequency of each rotated pair: θ_i = base^(-2i/n_rot), corrected by the scaling the config names.
// `llama3_factors` (the rope_freqs tensor, n_rot/2 values) divides θ_i when present.
std::vector<double> RopeInvFreq(const ModelConfig& config, const std::vector<float>* llama3_factors);

// YaRN's temperature: 1 + multiplier·ln(factor), where DeepSeek files store multiplier = 0.1·mscale_all_dim and
// other architectures use 0.1. 1 without YaRN.
double YarnMscale(const ModelConfig& config);

// The Rope of an architecture: NORM pairs for deepseek2/llama, NEOX for qwen2/qwen3. DeepSeek puts YaRN's
// temperature into the softmax scale, so its rotation has magnitude 1; Qwen3 (Hugging Face semantics) scales cos/sin.
Rope MakeRope(const ModelConfig& config, const std::vector<float>* llama3_factors);

}  // namespace baleen
