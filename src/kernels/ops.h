// Element-wise and row-wise operations of the transformer: RMSNorm, SiLU-gated products, softmax. Kernels layer.
#pragma once

#include <cstdint>

namespace baleen {

// out[i] = w[i] · x[i] / sqrt(mean(x²) + eps), statistics in double. out may alias x.
void RmsNorm(const float* x, const float* w, int64_t n, float eps, float* out);

// RmsNorm of each of n rows of `width` values (x and out row-major; out may alias x).
void RmsNormRows(const float* x, const float* w, int64_t n, int64_t width, float eps, float* out);

// gate[i] = silu(gate[i]) · up[i].
void SiluMul(float* gate, const float* up, int64_t n);

// In-place softmax over n values (max-subtracted, accumulated in double). -inf entries become 0.
void Softmax(float* x, int64_t n);

}  // namespace baleen
