// Matrix-vector and matrix-matrix products of a weight matrix stored in any GGUF tensor format with F32
// activations. Kernels layer. The weight is read in place (no copy). Fast mode (the default) uses integer dot
// products on activations rounded to 8 bits where the format has them (quant_dot.h); exact mode computes in F32 on
// the exactly dequantized weights, as the PyTorch reference does.
#pragma once

#include <cstdint>
#include <span>

#include "formats/ggml_type.h"

namespace baleen {

// A 2-D view of weights in GGUF order: `rows` rows of `cols` contiguous elements (ne0 = cols), each row
// `row_bytes` long. A torch Linear [out, in] is rows = out, cols = in.
struct WeightMatrix {
  GgmlType type = GgmlType::kF32;
  const uint8_t* data = nullptr;
  int64_t cols = 0;
  int64_t rows = 0;
  uint64_t row_bytes = 0;
  // The same rows interleaved 16 to a group for the packed integer kernels (packed_rows.h), or null. MatMul uses
  // it in fast mode; a sub-matrix keeps it only when it starts and ends on a group boundary.
  const uint8_t* packed = nullptr;

  // The sub-matrix of rows [first, first + count).
  WeightMatrix Rows(int64_t first, int64_t count) const;
};

// y[t * ldy + r] = Σ_c W[r][c] · x[t * cols + c] for t < n_tokens, r < rows. Parallel over rows (ThreadPool).
void MatMul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, int64_t ldy);
inline void MatMul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y) {
  MatMul(w, x, n_tokens, y, w.rows);
}

// One product of a batch for MatMulAll: y[t · ldy + r] = W[r] · x[t].
struct MatMulJob {
  WeightMatrix w;
  const float* x = nullptr;
  int64_t n_tokens = 0;
  float* y = nullptr;
  int64_t ldy = 0;  // 0: w.rows
};

// The same results as MatMul on each job, but where every job has packed weights (the products of one step: a
// block's projections of the same input, a MoE layer's experts) they run as one parallel loop, so the threads meet
// once instead of once per matrix and small matrices share the cores; otherwise one after another.
void MatMulAll(std::span<const MatMulJob> jobs);

// Exact or fast matmuls, process-wide. Fast (the default): weights in Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q4_K,
// Q5_K and Q6_K multiply the activations quantized per token to 8 bits in blocks of 32 or 256 (d = amax / 127), as
// llama.cpp computes them: on Gaussian data the outputs are off by 0.5–0.8% of their rms, and they do not depend on
// the batch size.
// Exact: every format in F32 on the exactly dequantized weights; the tests against the PyTorch reference use it.
// Starts exact when the environment has BALEEN_MATMUL=exact. Not while a MatMul runs.
void SetExactMatMul(bool exact);
bool ExactMatMul();

// Dequantizes row r of w into out (w.cols floats).
void DequantizeWeightRow(const WeightMatrix& w, int64_t r, float* out);

// Σ a[i]·b[i], vectorized for the CPU found at run time.
float DotF32(const float* a, const float* b, int64_t n);
// y[i] += alpha · x[i].
void AxpyF32(float alpha, const float* x, float* y, int64_t n);

}  // namespace baleen
