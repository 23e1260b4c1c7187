// RoPE rotation; angles in double so long positions (128K+) keep full precision before the float cos/sin.
#include "kernels/rope.h"

#include <cmath>

namespace baleen {

Rope::Rope(std::vector<double> inv_freq, RopeStyle style, float magnitude)
    : inv_freq_(std::move(inv_freq)), style_(style), magnitude_(magnitude) {}

void Rope::CosSin(int64_t pos, float* cos, float* sin) const {
  for (size_t i = 0; i < inv_freq_.size(); ++i) {
    const double angle = static_cast<double>(pos) * inv_freq_[i];
    cos[i] = static_cast<float>(std::cos(angle)) * magnitude_;
    sin[i] = static_cast<float>(std::sin(angle)) * magnitude_;
  }
}

void Rope::Apply(float* x, const float* cos, const float* sin) const {
  const int64_t half = static_cast<int64_t>(inv_freq_.size());
  for (int64_t i = 0; i < half; ++i) {
    float* a = style_ == RopeStyle::kNorm ? &x[2 * i] : &x[i];
    float* b = style_ == RopeStyle::kNorm ? &x[2 * i + 1] : &x[i + half];
    const float x0 = *a, x1 = *b;
    *a = x0 * cos[i] - x1 * sin[i];
    *b = x0 * sin[i] + x1 * cos[i];
  }
}

}  // namespace baleen
