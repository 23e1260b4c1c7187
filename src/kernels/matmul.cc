// Generic matmul over every GGUF tensor format: per-thread row dequantization into an L1-sized tile, then
// vectorized F32 dot products. The fast integer kernels of the hot formats will sit beside this one and be tested
// against it.
#include "kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "base/check.h"
#include "base/thread_pool.h"
#include "formats/quants/quants.h"

namespace baleen {
namespace {

// Rows dequantized together: the tile stays in L1/L2 while every token of the batch is multiplied against it.
constexpr int64_t kTileRows = 8;

}  // namespace

WeightMatrix WeightMatrix::Rows(int64_t first, int64_t count) const {
  WeightMatrix sub = *this;
  sub.data = data + static_cast<uint64_t>(first) * row_bytes;
  sub.rows = count;
  return sub;
}

void DequantizeWeightRow(const WeightMatrix& w, int64_t r, float* out) {
  const uint8_t* row = w.data + static_cast<uint64_t>(r) * w.row_bytes;
  // Types and shapes were checked when the model was loaded, so a failure here is a bug.
  CHECK(DequantizeRow(w.type, row, out, w.cols).ok());
}

__attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
float DotF32(const float* a, const float* b, int64_t n) {
  // Sixteen independent partial sums let the compiler keep whole vector registers busy without reassociation.
  float acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int j = 0; j < 16; ++j) acc[j] += a[i + j] * b[i + j];
  }
  float sum = 0.0f;
  for (; i < n; ++i) sum += a[i] * b[i];
  for (int j = 0; j < 16; ++j) sum += acc[j];
  return sum;
}

__attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
void AxpyF32(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void MatMul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, int64_t ldy) {
  const int64_t n_tiles = (w.rows + kTileRows - 1) / kTileRows;
  const bool plain = w.type == GgmlType::kF32;
  // Enough tiles per chunk to amortize claiming it, few enough that both cores stay busy on small matrices.
  const int64_t grain = std::max<int64_t>(1, n_tiles / (8 * ThreadPool::Global().n_threads()));
  ParallelFor(n_tiles, grain, [&](int64_t first_tile, int64_t end_tile, int) {
    thread_local std::vector<float> tile;
    if (!plain && tile.size() < static_cast<size_t>(kTileRows * w.cols)) tile.resize(kTileRows * w.cols);
    for (int64_t t_idx = first_tile; t_idx < end_tile; ++t_idx) {
      const int64_t r0 = t_idx * kTileRows;
      const int64_t nr = std::min(kTileRows, w.rows - r0);
      const float* rows[kTileRows];
      for (int64_t i = 0; i < nr; ++i) {
        if (plain) {
          rows[i] = reinterpret_cast<const float*>(w.data + static_cast<uint64_t>(r0 + i) * w.row_bytes);
        } else {
          DequantizeWeightRow(w, r0 + i, tile.data() + i * w.cols);
          rows[i] = tile.data() + i * w.cols;
        }
      }
      for (int64_t t = 0; t < n_tokens; ++t) {
        const float* xt = x + t * w.cols;
        float* yt = y + t * ldy + r0;
        for (int64_t i = 0; i < nr; ++i) yt[i] = DotF32(rows[i], xt, w.cols);
      }
    }
  });
}

}  // namespace baleen
