// Matrix-vector and matrix-matrix products of a weight matrix stored in any GGUF tensor format with F32
// activations. Kernels layer. The weight is read in place (no copy); rows are dequantized into a small per-thread
// buffer and multiplied against every token of the batch, so each weight byte is read once per call.
#pragma once

#include <cstdint>

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

  // The sub-matrix of rows [first, first + count).
  WeightMatrix Rows(int64_t first, int64_t count) const;
};

// y[t * ldy + r] = Σ_c W[r][c] · x[t * cols + c] for t < n_tokens, r < rows. Parallel over rows (ThreadPool).
void MatMul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, int64_t ldy);
inline void MatMul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y) {
  MatMul(w, x, n_tokens, y, w.rows);
}

// Dequantizes row r of w into out (w.cols floats).
void DequantizeWeightRow(const WeightMatrix& w, int64_t r, float* out);

// Σ a[i]·b[i], vectorized for the CPU found at run time.
float DotF32(const float* a, const float* b, int64_t n);
// y[i] += alpha · x[i].
void AxpyF32(float alpha, const float* x, float* y, int64_t n);

}  // namespace baleen
