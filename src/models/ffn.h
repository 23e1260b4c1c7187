// The SwiGLU feed-forward block, W2 · (silu(W1 · x) ⊙ W3 · x), shared by dense layers, shared experts and routed
// experts. Models layer.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/matmul.h"

namespace baleen {

struct FfnWeights {
  WeightMatrix gate, up, down;  // w1, w3, w2 in DeepSeek's naming
};

// out[t] += scale · FFN(x[t]) for n rows of x (width gate.cols).
void AddFfn(const FfnWeights& ffn, const float* x, int64_t n, float scale, float* out);

struct FfnJob {
  FfnWeights ffn;
  const float* x = nullptr;
  int64_t n = 0;
  float scale = 1.0f;
  float* out = nullptr;
};

// AddFfn for every job, with the gate and up products of all jobs in one MatMulAll and the down products in
// another: a MoE layer's experts meet the thread pool twice instead of three times each. Jobs may share `out`.
void AddFfnAll(std::span<const FfnJob> jobs);

}  // namespace baleen
