// Reference encoders for the K-quant super-blocks (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K). Formats layer.
// Each encoder runs in three steps: search a scale (and min) per sub-block, quantize those sub-block values against
// one fp16 super-block scale, then recompute the element codes against the scales as actually stored. The steps
// follow ggml's quantize_row_*_K_ref (no importance matrix) in the same float order, so the bytes match
// llama-quantize's (unless ggml was built to fuse multiply-adds).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "base/float16.h"
#include "formats/quants/quants_k_blocks.h"
#include "formats/quants/quants_scalar.h"
#include "formats/quants/strict_fp.h"  // no FMA contraction: exact reference numerics

namespace baleen::quants {
namespace {

constexpr float kGroupMaxEps = 1e-15f;  // a sub-block whose largest magnitude is below this is all zeros
constexpr int kMaxSubBlockElems = 32;

// ---- Asymmetric sub-blocks (Q2_K, Q4_K, Q5_K): x ~ scale * code + min, codes 0..max_code, min <= 0 -----------

struct AffineFit {
  float scale;
  float min;  // <= 0; the block stores -min
};

// Candidate grids for SearchScaleAndMin: inverse scales (max_code + first_step + step_size * i) / (max - min) for
// i = 0..n_steps, i.e. grids slightly coarser and finer than the one spanning [min, max] exactly.
struct ScaleMinSearch {
  float first_step;
  float step_size;
  int n_steps;
  bool absolute_error;  // minimise the weighted absolute error instead of the squared one
};

void AffineCodes(const float* x, int n, float inverse, float min, int max_code, uint8_t* codes) {
  for (int i = 0; i < n; ++i) {
    codes[i] = static_cast<uint8_t>(std::clamp(NearestInt(inverse * (x[i] - min)), 0, max_code));
  }
}

float AffineError(const float* x, const float* weights, int n, const uint8_t* codes, AffineFit fit, bool absolute) {
  float error = 0.0f;
  for (int i = 0; i < n; ++i) {
    const float diff = fit.scale * codes[i] + fit.min - x[i];
    error += weights[i] * (absolute ? std::fabs(diff) : diff * diff);
  }
  return error;
}

// Fits x ~ scale * code + min minimising the weighted error. Each candidate grid fixes the codes; for those codes
// the 2x2 weighted least-squares problem gives (scale, min) in closed form (min forced to 0 if it came out positive,
// since the format cannot store a positive offset). The best candidate's codes are left in `codes`.
AffineFit SearchScaleAndMin(const float* x, const float* weights, int n, int max_code, const ScaleMinSearch& search,
                            uint8_t* codes) {  // x, weights, codes: [n], n <= 32
  float min = x[0];
  float max = x[0];
  float sum_w = 0.0f;
  float sum_x = 0.0f;
  for (int i = 0; i < n; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
    sum_w += weights[i];
    sum_x += weights[i] * x[i];
  }
  min = std::min(min, 0.0f);
  if (max == min) {
    std::fill(codes, codes + n, 0);
    return {0.0f, min};
  }
  float inverse = max_code / (max - min);
  AffineFit best{1 / inverse, min};
  AffineCodes(x, n, inverse, min, max_code, codes);
  float best_error = AffineError(x, weights, n, codes, best, search.absolute_error);
  uint8_t trial[kMaxSubBlockElems];
  for (int step = 0; step <= search.n_steps; ++step) {
    // ggml measures later grids from the best min so far, not the data's; kept for identical output.
    inverse = (search.first_step + search.step_size * step + max_code) / (max - best.min);
    AffineCodes(x, n, inverse, best.min, max_code, trial);
    float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
    for (int i = 0; i < n; ++i) {
      const float l = trial[i];
      sum_l += weights[i] * l;
      sum_l2 += weights[i] * l * l;
      sum_xl += weights[i] * l * x[i];
    }
    const float determinant = sum_w * sum_l2 - sum_l * sum_l;
    if (!(determinant > 0)) continue;  // every code equal: no (scale, min) to solve for
    AffineFit fit{(sum_w * sum_xl - sum_x * sum_l) / determinant, (sum_l2 * sum_x - sum_l * sum_xl) / determinant};
    if (fit.min > 0) fit = {sum_xl / sum_l2, 0.0f};
    const float error = AffineError(x, weights, n, trial, fit, search.absolute_error);
    if (error < best_error) {
      std::copy(trial, trial + n, codes);
      best_error = error;
      best = fit;
    }
  }
  return best;
}

// ---- Symmetric sub-blocks (Q3_K, Q6_K): x ~ scale * level, levels -half_range..half_range-1 -----------------
// Errors are weighted by x^2, so the large elements that dominate dot products are fitted best. For fixed levels
// the best scale is sum_lx / sum_l2 and the error drops by sum_lx^2 / sum_l2; candidates compare by that gain.

struct LevelSums {
  float sum_lx = 0.0f;  // sum x^2 * x * l
  float sum_l2 = 0.0f;  // sum x^2 * l * l
};

LevelSums SymmetricLevels(const float* x, int n, float inverse, int half_range, int8_t* levels) {
  LevelSums sums;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(NearestInt(inverse * x[i]), -half_range, half_range - 1);
    levels[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sums.sum_lx += w * x[i] * l;
    sums.sum_l2 += w * l * l;
  }
  return sums;
}

void StoreLevels(const int8_t* levels, int n, int half_range, uint8_t* codes) {
  for (int i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>(levels[i] + half_range);
}

// Q6_K's search (ggml's make_qx_quants): grids that map the extreme element to -(half_range + t / 10), t = -9..9.
float SearchSymmetricScale(const float* x, int n, int half_range, uint8_t* codes) {  // x, codes: [n], n <= 32
  const float max = SignedAbsMax(x, n);
  if (std::fabs(max) < kGroupMaxEps) {
    std::fill(codes, codes + n, 0);
    return 0.0f;
  }
  int8_t levels[kMaxSubBlockElems];
  int8_t trial[kMaxSubBlockElems];
  LevelSums sums = SymmetricLevels(x, n, -half_range / max, half_range, levels);
  float scale = sums.sum_l2 != 0 ? sums.sum_lx / sums.sum_l2 : 0.0f;
  float best_gain = scale * sums.sum_lx;
  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    sums = SymmetricLevels(x, n, -(half_range + 0.1f * step) / max, half_range, trial);
    if (sums.sum_l2 > 0 && sums.sum_lx * sums.sum_lx > best_gain * sums.sum_l2) {
      std::copy(trial, trial + n, levels);
      scale = sums.sum_lx / sums.sum_l2;
      best_gain = scale * sums.sum_lx;
    }
  }
  StoreLevels(levels, n, half_range, codes);
  return scale;
}

// Q3_K's search (ggml's make_q3_quants): with only 8 levels a grid search is coarse, so start from the grid that
// maps the extreme element to -4 and move single levels (up to five passes) to the one that is optimal with the
// others fixed, keeping each move that increases the gain.
float SearchQ3Scale(const float* x, uint8_t* codes) {  // x, codes: [16]
  constexpr int kHalfRange = 4;
  const float max = SignedAbsMax(x, 16);
  if (std::fabs(max) < kGroupMaxEps) {
    std::fill(codes, codes + 16, 0);
    return 0.0f;
  }
  int8_t levels[16];
  LevelSums sums = SymmetricLevels(x, 16, -kHalfRange / max, kHalfRange, levels);
  for (int pass = 0; pass < 5; ++pass) {
    int n_changed = 0;
    for (int i = 0; i < 16; ++i) {
      const float w = x[i] * x[i];
      float sum_lx = sums.sum_lx - w * x[i] * levels[i];
      if (!(sum_lx > 0)) continue;
      float sum_l2 = sums.sum_l2 - w * levels[i] * levels[i];
      const int level = std::clamp(NearestInt(x[i] * sum_l2 / sum_lx), -kHalfRange, kHalfRange - 1);
      if (level == levels[i]) continue;
      sum_lx += w * x[i] * level;
      sum_l2 += w * level * level;
      if (sum_l2 > 0 && sum_lx * sum_lx * sums.sum_l2 > sums.sum_lx * sums.sum_lx * sum_l2) {
        levels[i] = static_cast<int8_t>(level);
        sums = {sum_lx, sum_l2};
        ++n_changed;
      }
    }
    if (n_changed == 0) break;
  }
  StoreLevels(levels, 16, kHalfRange, codes);
  return sums.sum_l2 > 0 ? sums.sum_lx / sums.sum_l2 : 0.0f;
}

// ---- Super-block scales and the final codes -------------------------------------------------------------------

// Codes 0..max_code for non-negative sub-block scales (or mins), proportional to the largest; returns the step
// (largest / max_code) that the block stores as fp16.
float QuantizeSubBlockValues(const float* values, int n, int max_code, uint8_t* codes) {
  float largest = 0.0f;
  for (int j = 0; j < n; ++j) largest = std::max(largest, values[j]);
  const float inverse = largest > 0 ? max_code / largest : 0.0f;
  for (int j = 0; j < n; ++j) codes[j] = static_cast<uint8_t>(std::clamp(NearestInt(inverse * values[j]), 0, max_code));
  return largest / max_code;
}

// Final codes against the stored sub-block factors (x ~ scale * code - min_term). A zero scale keeps the search's
// codes: they all decode to -min_term anyway.
void RequantizeAffine(const float* x, int n, float scale, float min_term, int max_code, uint8_t* codes) {
  if (scale == 0) return;
  for (int i = 0; i < n; ++i) {
    codes[i] = static_cast<uint8_t>(std::clamp(NearestInt((x[i] + min_term) / scale), 0, max_code));
  }
}

void RequantizeSymmetric(const float* x, int n, float scale, int half_range, uint8_t* codes) {
  if (scale == 0) return;
  for (int i = 0; i < n; ++i) {
    codes[i] = static_cast<uint8_t>(std::clamp(NearestInt(x[i] / scale), -half_range, half_range - 1) + half_range);
  }
}

// Q4_K and Q5_K share everything but the code width and the search grid.
struct AffineSuperBlock {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t codes[256];  // 0..max_code per element
};

AffineSuperBlock EncodeAffineSuperBlock(const float* x, int max_code, const ScaleMinSearch& search) {
  AffineSuperBlock block{};
  float scales[8];
  float mins[8];
  for (int sub = 0; sub < 8; ++sub) {
    const float* xs = x + 32 * sub;
    // Weights |x| + rms: large elements matter more, but small ones are not ignored.
    float sum_x2 = 0.0f;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float rms = std::sqrt(sum_x2 / 32);
    float weights[32];
    for (int l = 0; l < 32; ++l) weights[l] = rms + std::fabs(xs[l]);
    const AffineFit fit = SearchScaleAndMin(xs, weights, 32, max_code, search, block.codes + 32 * sub);
    scales[sub] = fit.scale;
    mins[sub] = -fit.min;
  }
  uint8_t scale_codes[8];
  uint8_t min_codes[8];
  block.d = FloatToFp16(QuantizeSubBlockValues(scales, 8, 63, scale_codes));
  block.dmin = FloatToFp16(QuantizeSubBlockValues(mins, 8, 63, min_codes));
  PackScaleMins(scale_codes, min_codes, block.scales);
  const float d = Fp16ToFloat(block.d);
  const float dmin = Fp16ToFloat(block.dmin);
  for (int sub = 0; sub < 8; ++sub) {
    RequantizeAffine(x + 32 * sub, 32, d * scale_codes[sub], dmin * min_codes[sub], max_code, block.codes + 32 * sub);
  }
  return block;
}

}  // namespace

BlockQ2_K EncodeQ2_K(const float* x) {
  constexpr ScaleMinSearch kSearch{-0.5f, 0.1f, 15, true};
  uint8_t codes[256];
  float scales[16];
  float mins[16];
  for (int sub = 0; sub < 16; ++sub) {
    float weights[16];  // |x|, with absolute error: at two bits the large elements are all that can be kept
    for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * sub + l]);
    const AffineFit fit = SearchScaleAndMin(x + 16 * sub, weights, 16, 3, kSearch, codes + 16 * sub);
    scales[sub] = fit.scale;
    mins[sub] = -fit.min;
  }
  BlockQ2_K block{};
  uint8_t scale_codes[16];
  uint8_t min_codes[16];
  block.d = FloatToFp16(QuantizeSubBlockValues(scales, 16, 15, scale_codes));
  block.dmin = FloatToFp16(QuantizeSubBlockValues(mins, 16, 15, min_codes));
  const float d = Fp16ToFloat(block.d);
  const float dmin = Fp16ToFloat(block.dmin);
  for (int sub = 0; sub < 16; ++sub) {
    block.scales[sub] = static_cast<uint8_t>(scale_codes[sub] | (min_codes[sub] << 4));
    RequantizeAffine(x + 16 * sub, 16, d * scale_codes[sub], dmin * min_codes[sub], 3, codes + 16 * sub);
  }
  for (int e = 0; e < 256; ++e) OrBits(block.qs, TwoBitPosition(e), codes[e]);
  return block;
}

BlockQ3_K EncodeQ3_K(const float* x) {
  uint8_t codes[256];
  float scales[16];
  for (int sub = 0; sub < 16; ++sub) scales[sub] = SearchQ3Scale(x + 16 * sub, codes + 16 * sub);
  // Signed scales: the extreme one maps to code -32, the side with one more step.
  const float max_scale = SignedAbsMax(scales, 16);
  BlockQ3_K block{};
  uint8_t scale_codes[16] = {};
  if (max_scale != 0) {
    const float inverse = -32 / max_scale;
    for (int sub = 0; sub < 16; ++sub) {
      scale_codes[sub] = static_cast<uint8_t>(std::clamp(NearestInt(inverse * scales[sub]), -32, 31) + 32);
    }
    block.d = FloatToFp16(1 / inverse);
  }
  PackQ3ScaleCodes(scale_codes, block.scales);
  const float d = Fp16ToFloat(block.d);
  for (int sub = 0; sub < 16; ++sub) {
    RequantizeSymmetric(x + 16 * sub, 16, d * (scale_codes[sub] - 32), 4, codes + 16 * sub);
  }
  for (int e = 0; e < 256; ++e) {
    OrBits(block.qs, TwoBitPosition(e), codes[e] & 3);
    OrBits(block.hmask, HighBitPosition(e), codes[e] >> 2);
  }
  return block;
}

BlockQ4_K EncodeQ4_K(const float* x) {
  const AffineSuperBlock fitted = EncodeAffineSuperBlock(x, 15, {-1.0f, 0.1f, 20, false});
  BlockQ4_K block{};
  block.d = fitted.d;
  block.dmin = fitted.dmin;
  std::memcpy(block.scales, fitted.scales, sizeof(block.scales));
  for (int e = 0; e < 256; ++e) OrBits(block.qs, NibblePosition(e), fitted.codes[e]);
  return block;
}

BlockQ5_K EncodeQ5_K(const float* x) {
  const AffineSuperBlock fitted = EncodeAffineSuperBlock(x, 31, {-0.5f, 0.1f, 15, false});
  BlockQ5_K block{};
  block.d = fitted.d;
  block.dmin = fitted.dmin;
  std::memcpy(block.scales, fitted.scales, sizeof(block.scales));
  for (int e = 0; e < 256; ++e) {
    OrBits(block.qs, NibblePosition(e), fitted.codes[e] & 0xF);
    OrBits(block.qh, HighBitPosition(e), fitted.codes[e] >> 4);
  }
  return block;
}

BlockQ6_K EncodeQ6_K(const float* x) {
  uint8_t codes[256];
  float scales[16];
  for (int sub = 0; sub < 16; ++sub) scales[sub] = SearchSymmetricScale(x + 16 * sub, 16, 32, codes + 16 * sub);
  const float max_scale = SignedAbsMax(scales, 16);
  if (std::fabs(max_scale) < kGroupMaxEps) return BlockQ6_K{};
  const float inverse = -128 / max_scale;  // int8 scales: the extreme one maps to -128
  BlockQ6_K block{};
  block.d = FloatToFp16(1 / inverse);
  const float d = Fp16ToFloat(block.d);
  for (int sub = 0; sub < 16; ++sub) {
    block.scales[sub] = static_cast<int8_t>(std::clamp(NearestInt(inverse * scales[sub]), -128, 127));
    RequantizeSymmetric(x + 16 * sub, 16, d * block.scales[sub], 32, codes + 16 * sub);
  }
  for (int e = 0; e < 256; ++e) {
    OrBits(block.ql, Q6LowPosition(e), codes[e] & 0xF);
    OrBits(block.qh, TwoBitPosition(e), codes[e] >> 4);
  }
  return block;
}

// Codes stay within -127..127 (not -128) so that IQ dot-product kernels may negate them; d is a full float.
BlockQ8_K EncodeQ8_K(const float* x) {
  BlockQ8_K block{};
  const float max = SignedAbsMax(x, 256);
  if (max == 0) return block;
  const float inverse = -127 / max;
  for (int e = 0; e < 256; ++e) block.qs[e] = static_cast<int8_t>(std::min(127, NearestInt(inverse * x[e])));
  for (int sub = 0; sub < 16; ++sub) {
    int sum = 0;
    for (int l = 0; l < 16; ++l) sum += block.qs[16 * sub + l];
    block.bsums[sub] = static_cast<int16_t>(sum);
  }
  block.d = 1 / inverse;
  return block;
}

}  // namespace baleen::quants
