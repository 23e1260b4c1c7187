// SwiGLU FFN over a batch of rows; scratch sized per call.
#include "models/ffn.h"

#include <vector>

#include "base/scratch.h"
#include "kernels/ops.h"

namespace baleen {

void AddFfn(const FfnWeights& ffn, const float* x, int64_t n, float scale, float* out) {
  const FfnJob job{ffn, x, n, scale, out};
  AddFfnAll({&job, 1});
}

void AddFfnAll(std::span<const FfnJob> jobs) {
  // Per job: gate and up [n, hidden], then the down product [n, dim], at these offsets of two shared buffers.
  std::vector<size_t> hidden_at(jobs.size() + 1, 0), out_at(jobs.size() + 1, 0);
  for (size_t j = 0; j < jobs.size(); ++j) {
    hidden_at[j + 1] = hidden_at[j] + static_cast<size_t>(jobs[j].n * jobs[j].ffn.gate.rows);
    out_at[j + 1] = out_at[j] + static_cast<size_t>(jobs[j].n * jobs[j].ffn.down.rows);
  }
  ScratchVector<float> gate(hidden_at.back()), up(hidden_at.back()), y(out_at.back());
  std::vector<MatMulJob> products;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const FfnJob& job = jobs[j];
    products.push_back({job.ffn.gate, job.x, job.n, &gate[hidden_at[j]], 0});
    products.push_back({job.ffn.up, job.x, job.n, &up[hidden_at[j]], 0});
  }
  MatMulAll(products);
  SiluMul(gate.data(), up.data(), static_cast<int64_t>(gate.size()));
  products.clear();
  for (size_t j = 0; j < jobs.size(); ++j) {
    products.push_back({jobs[j].ffn.down, &gate[hidden_at[j]], jobs[j].n, &y[out_at[j]], 0});
  }
  MatMulAll(products);
  for (size_t j = 0; j < jobs.size(); ++j) {
    AxpyF32(jobs[j].scale, &y[out_at[j]], jobs[j].out, static_cast<int64_t>(out_at[j + 1] - out_at[j]));
  }
}

}  // namespace baleen
