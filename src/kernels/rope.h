// Rotary position embedding on the first n_rot dims of a head vector. Kernels layer. The frequencies (with any
// YaRN or llama3 correction already applied) come from the model; this file only rotates.
#pragma once

#include <cstdint>
#include <vector>

namespace baleen {

// Which dims form a rotated pair: kNorm = adjacent (2i, 2i+1) as in DeepSeek's checkpoints and llama GGUFs;
// kNeox = (i, i + n_rot/2) as in Qwen's.
enum class RopeStyle { kNorm, kNeox };

class Rope {
 public:
  Rope() = default;
  // inv_freq: one angular frequency per pair (n_rot / 2 values); magnitude: multiplies cos and sin (YaRN's
  // attention factor for models that put it there, 1 otherwise).
  Rope(std::vector<double> inv_freq, RopeStyle style, float magnitude);

  int64_t n_rot() const { return static_cast<int64_t>(inv_freq_.size()) * 2; }
  // cos/sin of every pair at position pos (n_rot / 2 values each), computed once and shared by all heads.
  void CosSin(int64_t pos, float* cos, float* sin) const;
  // Rotates x[0 .. n_rot) in place.
  void Apply(float* x, const float* cos, const float* sin) const;

 private:
  std::vector<double> inv_freq_;
  RopeStyle style_ = RopeStyle::kNorm;
  float magnitude_ = 1.0f;
};

}  // namespace baleen
