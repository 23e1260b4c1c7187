// Microbenchmarks of MatMul for every row of the kernel table at this CPU's level (BALEEN_ISA lowers it): the integer
// path on the file's layout where the row has one, on rows packed 16 to a group where it has a packed kernel, and the
// exact F32 one (fused or decoded), on the shapes of a 1.5B model: decode (1 token) on 1536×1536 and 8960×1536 and,
// from memory, the output head 151936×1536; prefill (64 tokens) on 1536×1536 and (256 tokens) on 8960×1536. Items
// per second are weights × tokens multiply-adds.
#include <cstring>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "formats/ggml_type.h"
#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "kernels/packed_rows.h"
#include "kernels/packed_weights.h"
#include "kernels/random_blocks.h"

namespace baleen {
namespace {

// Random codes with sane block scales (random_blocks.h): the kernels' work does not depend on the values, and
// writing random bytes is much quicker than quantizing floats for the 14M-weight shapes.
std::vector<uint8_t> RandomRows(GgmlType type, int64_t rows, int64_t cols) {
  const uint64_t row_bytes = RowBytes(type, cols).value();
  const int64_t block_bytes = GetGgmlTypeInfo(type).block_bytes;
  std::vector<uint8_t> bytes(row_bytes * rows);
  std::mt19937 rng(1);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  for (size_t b = 0; b < bytes.size(); b += static_cast<size_t>(block_bytes)) SetSaneBlockScales(type, &bytes[b], rng);
  return bytes;
}

enum Mode { kInt8, kExact, kPacked };

// Arguments: type, rows, cols, tokens, mode.
void BM_MatMul(benchmark::State& state) {
  const auto type = static_cast<GgmlType>(state.range(0));
  const int64_t rows = state.range(1), cols = state.range(2), n_tokens = state.range(3);
  const auto mode = static_cast<Mode>(state.range(4));
  const bool exact = mode == kExact;
  const std::vector<uint8_t> bytes = RandomRows(type, rows, cols);
  PackedWeights packs;
  WeightMatrix w{type, bytes.data(), cols, rows, RowBytes(type, cols).value()};
  if (mode == kPacked) {
    w = packs.Pack(w, rows);
    if (w.packed == nullptr) {
      state.SkipWithError("no packed kernel for this type or CPU");
      return;
    }
  }
  std::vector<float> x(static_cast<size_t>(n_tokens * cols)), y(static_cast<size_t>(n_tokens * rows));
  std::mt19937 rng(2);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : x) v = normal(rng);
  const bool saved = ExactMatMul();
  SetExactMatMul(exact);
  for (auto _ : state) {
    MatMul(w, x.data(), n_tokens, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  SetExactMatMul(saved);
  state.SetItemsProcessed(state.iterations() * rows * cols * n_tokens);
  state.SetLabel(std::string(GgmlTypeName(type)) + (exact ? " exact" : mode == kPacked ? " packed" : " int8"));
}

void Shapes(benchmark::internal::Benchmark* b) {
  for (const TypeKernels& row : KernelRows(KernelIsa())) {
    for (Mode mode : {kInt8, kPacked, kExact}) {
      if (mode == kInt8 && row.dot.tile == nullptr) continue;
      if (mode == kPacked && !CanPackRows(row.type, 1536, 1536)) continue;
      const auto t = static_cast<int64_t>(row.type);
      b->Args({t, 1536, 1536, 1, mode});
      b->Args({t, 8960, 1536, 1, mode});
      b->Args({t, 1536, 1536, 64, mode});
      if (mode != kExact) b->Args({t, 8960, 1536, 256, mode});
      if (mode != kExact) b->Args({t, 151936, 1536, 1, mode});  // the output head: beyond any cache
    }
  }
  b->ArgNames({"type", "rows", "cols", "tokens", "mode"});
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_MatMul)->Apply(Shapes);

}  // namespace
}  // namespace baleen

BENCHMARK_MAIN();
