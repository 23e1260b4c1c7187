// SwiGLU FFN over a batch of rows; scratch sized per call.
#include "models/ffn.h"

#include <vector>

#include "kernels/ops.h"

namespace baleen {

void AddFfn(const FfnWeights& ffn, const float* x, int64_t n, float scale, float* out) {
  const int64_t hidden = ffn.gate.rows, dim = ffn.down.rows;
  std::vector<float> gate(static_cast<size_t>(n * hidden)), up(gate.size()), y(static_cast<size_t>(n * dim));
  MatMul(ffn.gate, x, n, gate.data());
  MatMul(ffn.up, x, n, up.data());
  SiluMul(gate.data(), up.data(), n * hidden);
  MatMul(ffn.down, gate.data(), n, y.data());
  AxpyF32(scale, y.data(), out, n * dim);
}

}  // namespace baleen
