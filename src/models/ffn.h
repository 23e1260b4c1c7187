// The SwiGLU feed-forward block, W2 · (silu(W1 · x) ⊙ W3 · x), shared by dense layers, shared experts and routed
// experts. Models layer.
#pragma once

#include <cstdint>

#include "kernels/matmul.h"

namespace baleen {

struct FfnWeights {
  WeightMatrix gate, up, down;  // w1, w3, w2 in DeepSeek's naming
};

// out[t] += scale · FFN(x[t]) for n rows of x (width gate.cols).
void AddFfn(const FfnWeights& ffn, const float* x, int64_t n, float scale, float* out);

}  // namespace baleen
