// Frequency corrections from the published formulas (DeepSeek-V3 model.py precompute_freqs_cis; Hugging Face
// _compute_yarn_parameters and _compute_llama3_parameters).
#include "models/rope_freqs.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "formats/architectures.h"

namespace baleen {
namespace {

// Dimension index at which a wavelength makes `rotations` full turns over the original context.
double CorrectionDim(double rotations, double n_rot, double base, double original_len) {
  return n_rot * std::log(original_len / (rotations * 2.0 * std::numbers::pi)) / (2.0 * std::log(base));
}

void ApplyYarn(const RopeConfig& rope, std::vector<double>& inv_freq) {
  const double n_rot = static_cast<double>(inv_freq.size() * 2);
  const double original = static_cast<double>(rope.original_seq_len);
  double low = std::max(std::floor(CorrectionDim(rope.beta_fast, n_rot, rope.rope_theta, original)), 0.0);
  double high = std::min(std::ceil(CorrectionDim(rope.beta_slow, n_rot, rope.rope_theta, original)), n_rot - 1);
  if (high == low) high += 0.001;
  for (size_t i = 0; i < inv_freq.size(); ++i) {
    const double ramp = std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0);
    const double smooth = 1.0 - ramp;  // 1: keep the original frequency; 0: interpolate by the factor
    inv_freq[i] = inv_freq[i] / rope.factor * (1.0 - smooth) + inv_freq[i] * smooth;
  }
}

}  // namespace

std::vector<double> RopeInvFreq(const ModelConfig& config, const std::vector<float>* llama3_factors) {
  const RopeConfig& rope = config.rope;
  const int64_t half = rope.n_rot / 2;
  std::vector<double> inv_freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    inv_freq[i] = std::pow(rope.rope_theta, -2.0 * static_cast<double>(i) / static_cast<double>(rope.n_rot));
  }
  if (llama3_factors != nullptr) {
    for (int64_t i = 0; i < half; ++i) inv_freq[i] /= (*llama3_factors)[i];
  }
  switch (rope.scaling) {
    case RopeScalingType::kLinear:
      for (double& f : inv_freq) f /= rope.factor;
      break;
    case RopeScalingType::kYarn:
      if (rope.factor > 1.0) ApplyYarn(rope, inv_freq);
      break;
    default: break;
  }
  return inv_freq;
}

double YarnMscale(const ModelConfig& config) {
  const RopeConfig& rope = config.rope;
  if (rope.scaling != RopeScalingType::kYarn || rope.factor <= 1.0) return 1.0;
  // DeepSeek files store 0.1·mscale_all_dim (0 when the checkpoint has none: no temperature); other YaRN models
  // use Hugging Face's default attention factor 0.1·ln(factor) + 1.
  const double multiplier = config.has_mla ? rope.yarn_log_multiplier : 0.1;
  return 1.0 + multiplier * std::log(rope.factor);
}

Rope MakeRope(const ModelConfig& config, const std::vector<float>* llama3_factors) {
  const bool neox = ArchitectureInfoFor(config.arch).rope_neox;
  const float magnitude = config.has_mla ? 1.0f : static_cast<float>(YarnMscale(config));
  return Rope(RopeInvFreq(config, llama3_factors), neox ? RopeStyle::kNeox : RopeStyle::kNorm, magnitude);
}

}  // namespace baleen
