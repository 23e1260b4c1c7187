// Matmul over every GGUF tensor format with F32 activations, on the path the type's kernel-table row offers
// (ChoosePath). Fast mode: integer kernels on activations quantized once per call (quant_dot.h), on packed rows where
// the matrix has them. Exact mode, and every other format: for a few tokens, fused decode-and-dot kernels where the
// format has one; otherwise rows are decoded into a per-thread tile (the table's decoder, or the reference one) and
// multiplied in 4×4 register blocks.
#include "kernels/matmul.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/check.h"
#include "base/thread_pool.h"
#include "formats/quants/quants.h"
#include "kernels/cpu_features.h"
#include "kernels/fast_decode.h"
#include "kernels/kernel_table.h"
#include "kernels/simd.h"

namespace baleen {
namespace {

// Rows dequantized together: the tile stays in L1/L2 while every token of the batch is multiplied against it.
constexpr int64_t kTileRows = 8;

// Integer path: rows are claimed in groups of 4, the kernels' row tile, and each claimed range of rows meets the
// prompt 64 tokens at a time, so those tokens' codes (64 × cols bytes) stay in L2 while the rows' weights are reused
// from L1/L2 for every one of them.
constexpr int64_t kQuantRowGroup = 4;
constexpr int64_t kQuantTokenBlock = 64;

std::atomic<bool>& ExactFlag() {
  static std::atomic<bool> exact{[] {
    const char* mode = std::getenv("BALEEN_MATMUL");
    return mode != nullptr && std::strcmp(mode, "exact") == 0;
  }()};
  return exact;
}

}  // namespace

void SetExactMatMul(bool exact) { ExactFlag().store(exact, std::memory_order_relaxed); }
bool ExactMatMul() { return ExactFlag().load(std::memory_order_relaxed); }

WeightMatrix WeightMatrix::Rows(int64_t first, int64_t count) const {
  WeightMatrix sub = *this;
  sub.data = data + static_cast<uint64_t>(first) * row_bytes;
  sub.rows = count;
  if (packed != nullptr) {
    const bool aligned = first % kPackRows == 0 && count % kPackRows == 0;
    sub.packed = aligned ? packed + static_cast<uint64_t>(first / kPackRows) * PackedGroupBytes(type, cols) : nullptr;
  }
  return sub;
}

namespace {

// Row r of w into out with `fast` (the type's table decoder), or the reference decoder when it is null.
void DecodeRow(const WeightMatrix& w, RowDecoder fast, int64_t r, float* out) {
  const uint8_t* row = w.data + static_cast<uint64_t>(r) * w.row_bytes;
  if (fast != nullptr) {
    fast(row, out, w.cols);
    return;
  }
  // Types and shapes were checked when the model was loaded, so a failure here is a bug.
  CHECK(DequantizeRow(w.type, row, out, w.cols).ok());
}

}  // namespace

void DequantizeWeightRow(const WeightMatrix& w, int64_t r, float* out) { DecodeRow(w, FastRowDecoder(w.type), r, out); }

// Chosen by the loader from the CPU model, not by KernelIsa(): unlike the table's kernels, AxpyF32 ignores BALEEN_ISA
// (and on AMD CPUs runs the baseline clone). Left so on purpose: a per-level build with FMA would contract
// y + alpha·x into one rounding and change results, which is a separate decision from the kernel table.
#if defined(__x86_64__)
#define BALEEN_KERNEL_CLONES __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define BALEEN_KERNEL_CLONES
#endif

namespace {

#if defined(__x86_64__)
// The elements [from, n) of a · b that no vector covers, in order. Shared by every F32 dot product so that a pair's
// result is the same whichever kernel (single, or 4 × 4 block) computes it.
__attribute__((noinline)) float TailDot(const float* a, const float* b, int64_t from, int64_t n) {
  float tail = 0.0f;
  for (int64_t k = from; k < n; ++k) tail = std::fma(a[k], b[k], tail);
  return tail;
}

// One pair with the same operations as one accumulator of Dot4x4Avx512 / Dot4x4Avx2.
__attribute__((target("avx512f"))) float DotAvx512(const float* a, const float* b, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  int64_t c = 0;
  for (; c + 16 <= n; c += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + c), _mm512_loadu_ps(b + c), acc);
  return simd::HorizontalSum(acc, TailDot(a, b, c, n));
}

__attribute__((target("avx2,fma"))) float DotAvx2(const float* a, const float* b, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + 8 <= n; c += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + c), _mm256_loadu_ps(b + c), acc);
  return simd::HorizontalSum(acc, TailDot(a, b, c, n));
}
#endif  // defined(__x86_64__)

float DotPortable(const float* a, const float* b, int64_t n) {
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

using DotFn = float (*)(const float*, const float*, int64_t);

DotFn PickDot() {
  switch (KernelIsa()) {
#if defined(__x86_64__)
    case IsaLevel::kAvx512Vnni:
    case IsaLevel::kAvx512: return DotAvx512;
    case IsaLevel::kAvx2Vnni:
    case IsaLevel::kAvx2: return DotAvx2;
#endif
    default: return DotPortable;
  }
}

const DotFn kDot = PickDot();

}  // namespace

float DotF32(const float* a, const float* b, int64_t n) { return kDot(a, b, n); }

BALEEN_KERNEL_CLONES
void AxpyF32(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

namespace {

// 4 rows × 4 tokens of dot products at once: each weight and activation vector loaded feeds four products.
// Portable version (the compiler vectorizes what it can); the AVX-512 and AVX2 versions keep all 16 accumulators
// in registers.
void Dot4x4Portable(const float* const* rows, const float* x, int64_t ldx, int64_t n, float out[4][4]) {
  for (int r = 0; r < 4; ++r) {
    for (int t = 0; t < 4; ++t) out[r][t] = DotF32(rows[r], x + t * ldx, n);
  }
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
void Dot4x4Avx512(const float* const* rows, const float* x, int64_t ldx, int64_t n, float out[4][4]) {
  __m512 acc[4][4];
  for (auto& row : acc) {
    for (auto& a : row) a = _mm512_setzero_ps();
  }
  int64_t c = 0;
  for (; c + 16 <= n; c += 16) {
    const __m512 w0 = _mm512_loadu_ps(rows[0] + c), w1 = _mm512_loadu_ps(rows[1] + c);
    const __m512 w2 = _mm512_loadu_ps(rows[2] + c), w3 = _mm512_loadu_ps(rows[3] + c);
    for (int t = 0; t < 4; ++t) {
      const __m512 xt = _mm512_loadu_ps(x + t * ldx + c);
      acc[0][t] = _mm512_fmadd_ps(w0, xt, acc[0][t]);
      acc[1][t] = _mm512_fmadd_ps(w1, xt, acc[1][t]);
      acc[2][t] = _mm512_fmadd_ps(w2, xt, acc[2][t]);
      acc[3][t] = _mm512_fmadd_ps(w3, xt, acc[3][t]);
    }
  }
  for (int r = 0; r < 4; ++r) {
    for (int t = 0; t < 4; ++t) out[r][t] = simd::HorizontalSum(acc[r][t], TailDot(rows[r], x + t * ldx, c, n));
  }
}

__attribute__((target("avx2,fma")))
void Dot4x4Avx2(const float* const* rows, const float* x, int64_t ldx, int64_t n, float out[4][4]) {
  // 4 × 3 accumulators plus the 4th token done with the same weight loads: 16 ymm registers in flight at most.
  __m256 acc[4][4];
  for (auto& row : acc) {
    for (auto& a : row) a = _mm256_setzero_ps();
  }
  int64_t c = 0;
  for (; c + 8 <= n; c += 8) {
    for (int t = 0; t < 4; ++t) {
      const __m256 xt = _mm256_loadu_ps(x + t * ldx + c);
      for (int r = 0; r < 4; ++r) acc[r][t] = _mm256_fmadd_ps(_mm256_loadu_ps(rows[r] + c), xt, acc[r][t]);
    }
  }
  for (int r = 0; r < 4; ++r) {
    for (int t = 0; t < 4; ++t) out[r][t] = simd::HorizontalSum(acc[r][t], TailDot(rows[r], x + t * ldx, c, n));
  }
}
#endif  // defined(__x86_64__)

using Dot4x4Fn = void (*)(const float* const*, const float*, int64_t, int64_t, float[4][4]);

Dot4x4Fn PickDot4x4() {
  switch (KernelIsa()) {
#if defined(__x86_64__)
    case IsaLevel::kAvx512Vnni:
    case IsaLevel::kAvx512: return Dot4x4Avx512;
    case IsaLevel::kAvx2Vnni:
    case IsaLevel::kAvx2: return Dot4x4Avx2;
#endif
    default: return Dot4x4Portable;
  }
}

const Dot4x4Fn Dot4x4 = PickDot4x4();

// y[t·ldy + i] = rows[i] · x[t] for i < nr, t < n_tokens: 4×4 blocks where they fit, single dots elsewhere.
void MultiplyTile(const float* const* rows, int64_t nr, const float* x, int64_t n_tokens, int64_t cols, float* y,
                  int64_t ldy) {
  int64_t t = 0;
  if (nr == kTileRows) {
    float out[4][4];
    for (; t + 4 <= n_tokens; t += 4) {
      for (int64_t r = 0; r < nr; r += 4) {
        Dot4x4(rows + r, x + t * cols, cols, cols, out);
        for (int tt = 0; tt < 4; ++tt) {
          for (int rr = 0; rr < 4; ++rr) y[(t + tt) * ldy + r + rr] = out[rr][tt];
        }
      }
    }
  }
  for (; t < n_tokens; ++t) {
    for (int64_t i = 0; i < nr; ++i) y[t * ldy + i] = DotF32(rows[i], x + t * cols, cols);
  }
}

// The integer path's activations, quantized once per call and reused across calls. The pool's workers must see
// the caller's buffers, not their own thread_local copies, so kernels reach them through plain pointers.
const Q8Row* QuantizedTokens(const float* x, int64_t n_tokens, int64_t cols, int block) {
  thread_local QuantizedActivations act;
  thread_local std::vector<Q8Row> token_rows;
  QuantizeActivations(x, n_tokens, cols, block, act);
  token_rows.resize(static_cast<size_t>(n_tokens));
  for (int64_t t = 0; t < n_tokens; ++t) token_rows[t] = TokenRow(act, t);
  return token_rows.data();
}

// Fast mode on packed weights, for MatMul (one job) and MatMulAll: each distinct input quantized once, then one loop
// over chunks of every job's groups of 16 rows, each chunk meeting the prompt 64 tokens at a time (those tokens'
// codes stay in L2 while the chunk's weights are reused from L1/L2). kernels[j] is job j's packed kernel.
void MatMulPacked(std::span<const MatMulJob> jobs, const PackedDotKernel* const* kernels) {
  struct Input {
    QuantizedActivations act;
    std::vector<Q8Row> rows;
  };
  thread_local std::vector<Input> inputs;
  thread_local std::vector<size_t> input_of;  // job -> its entry in inputs
  inputs.resize(std::max(inputs.size(), jobs.size()));
  input_of.assign(jobs.size(), 0);
  size_t n_inputs = 0;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const MatMulJob& job = jobs[j];
    const int block = kernels[j]->act_block;
    // Jobs on the same input (gate and up, q/k/v) share its quantization.
    const bool same = j > 0 && job.x == jobs[j - 1].x && job.n_tokens == jobs[j - 1].n_tokens &&
                      job.w.cols == jobs[j - 1].w.cols && block == kernels[j - 1]->act_block;
    if (same) {
      input_of[j] = input_of[j - 1];
      continue;
    }
    Input& in = inputs[n_inputs];
    QuantizeActivations(job.x, job.n_tokens, job.w.cols, block, in.act);
    in.rows.resize(static_cast<size_t>(job.n_tokens));
    for (int64_t t = 0; t < job.n_tokens; ++t) in.rows[t] = TokenRow(in.act, t);
    input_of[j] = n_inputs++;
  }
  // Chunks of at most `chunk` groups (even, for the kernels that take two), about 8 per thread overall.
  int64_t total_groups = 0;
  for (const MatMulJob& job : jobs) total_groups += job.w.rows / kPackRows;
  const int64_t chunk = std::max<int64_t>(1, total_groups / (16 * ThreadPool::Global().n_threads())) * 2;
  struct Chunk {
    size_t job;
    int64_t g0, g1;
  };
  thread_local std::vector<Chunk> chunks;
  chunks.clear();
  for (size_t j = 0; j < jobs.size(); ++j) {
    const int64_t n_groups = jobs[j].w.rows / kPackRows;
    for (int64_t g = 0; g < n_groups; g += chunk) chunks.push_back({j, g, std::min(n_groups, g + chunk)});
  }
  const Chunk* all_chunks = chunks.data();
  const std::vector<Input>* all_inputs = &inputs;
  const size_t* job_input = input_of.data();
  ParallelFor(static_cast<int64_t>(chunks.size()), 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t c = begin; c < end; ++c) {
      const Chunk& ch = all_chunks[c];
      const MatMulJob& job = jobs[ch.job];
      const PackedDotKernel* kernel = kernels[ch.job];
      const uint64_t group_bytes = PackedGroupBytes(job.w.type, job.w.cols);
      const Q8Row* tokens = (*all_inputs)[job_input[ch.job]].rows.data();
      for (int64_t t0 = 0; t0 < job.n_tokens; t0 += kQuantTokenBlock) {
        const int64_t nt = std::min(kQuantTokenBlock, job.n_tokens - t0);
        kernel->tile(job.w.packed + static_cast<uint64_t>(ch.g0) * group_bytes, group_bytes, ch.g1 - ch.g0,
                     tokens + t0, nt, job.w.cols, job.y + t0 * job.ldy + ch.g0 * kPackRows, job.ldy);
      }
    }
  });
}

// Fast mode: quantizes every token's activations once, then integer dot products rows × tokens.
void MatMulQuantized(const WeightMatrix& w, const QuantDotKernel& kernel, const float* x, int64_t n_tokens, float* y,
                     int64_t ldy) {
  const Q8Row* tokens = QuantizedTokens(x, n_tokens, w.cols, kernel.act_block);
  const int64_t n_groups = (w.rows + kQuantRowGroup - 1) / kQuantRowGroup;
  const int64_t grain = std::max<int64_t>(1, n_groups / (8 * ThreadPool::Global().n_threads()));
  ParallelFor(n_groups, grain, [&, tokens](int64_t begin, int64_t end, int) {
    const int64_t r0 = begin * kQuantRowGroup, nr = std::min(end * kQuantRowGroup, w.rows) - r0;
    const uint8_t* rows = w.data + static_cast<uint64_t>(r0) * w.row_bytes;
    for (int64_t t0 = 0; t0 < n_tokens; t0 += kQuantTokenBlock) {
      const int64_t nt = std::min(kQuantTokenBlock, n_tokens - t0);
      kernel.tile(rows, w.row_bytes, nr, tokens + t0, nt, w.cols, y + t0 * ldy + r0, ldy);
    }
  });
}

// Few tokens: each row meets too few activations to pay for decoding it into memory first.
void MatMulFused(const WeightMatrix& w, FusedDotFn dot, const float* x, int64_t n_tokens, float* y, int64_t ldy) {
  const int64_t grain = std::max<int64_t>(16, w.rows / (8 * ThreadPool::Global().n_threads()));
  ParallelFor(w.rows, grain, [&](int64_t begin, int64_t end, int) {
    for (int64_t r = begin; r < end; ++r) {
      const uint8_t* row = w.data + static_cast<uint64_t>(r) * w.row_bytes;
      for (int64_t t = 0; t < n_tokens; ++t) y[t * ldy + r] = dot(row, x + t * w.cols, w.cols);
    }
  });
}

// Every other case: rows decoded kTileRows at a time into a per-thread tile (F32 rows read in place), then
// multiplied in 4×4 blocks.
void MatMulTiles(const WeightMatrix& w, RowDecoder decode, const float* x, int64_t n_tokens, float* y, int64_t ldy) {
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
          DecodeRow(w, decode, r0 + i, tile.data() + i * w.cols);
          rows[i] = tile.data() + i * w.cols;
        }
      }
      MultiplyTile(rows, nr, x, n_tokens, w.cols, y + r0, ldy);
    }
  });
}

enum class Path { kPacked, kInteger, kFused, kTiles };

// The path for w and n_tokens from w's row of the kernel table (null: no fast kernel). Fast mode takes the packed
// rows, else the integer dot products; both modes take the fused kernel for a few tokens, else decode into tiles.
Path ChoosePath(const TypeKernels* row, const WeightMatrix& w, int64_t n_tokens) {
  if (row == nullptr) return Path::kTiles;
  const bool fast = !ExactMatMul();
  if (fast && w.packed != nullptr && row->packed.tile != nullptr) return Path::kPacked;
  if (fast && row->dot.tile != nullptr && w.cols % row->dot.act_block == 0) return Path::kInteger;
  if (row->fused != nullptr && n_tokens < 4) return Path::kFused;
  return Path::kTiles;
}

}  // namespace

void MatMulAll(std::span<const MatMulJob> given) {
  // Reused across calls: MatMulAll runs for every block of every step.
  thread_local std::vector<MatMulJob> jobs;
  thread_local std::vector<const PackedDotKernel*> kernels;
  jobs.assign(given.begin(), given.end());
  kernels.clear();
  for (MatMulJob& job : jobs) {
    job.ldy = job.ldy > 0 ? job.ldy : job.w.rows;
    const TypeKernels* row = KernelRow(job.w.type);
    if (ChoosePath(row, job.w, job.n_tokens) == Path::kPacked) kernels.push_back(&row->packed);
  }
  if (kernels.size() == jobs.size()) {
    MatMulPacked(jobs, kernels.data());
    return;
  }
  for (const MatMulJob& job : jobs) MatMul(job.w, job.x, job.n_tokens, job.y, job.ldy);
}

void MatMul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, int64_t ldy) {
  const TypeKernels* row = KernelRow(w.type);
  switch (ChoosePath(row, w, n_tokens)) {
    case Path::kPacked: {
      const MatMulJob job{w, x, n_tokens, y, ldy};
      const PackedDotKernel* kernel = &row->packed;
      MatMulPacked({&job, 1}, &kernel);
      return;
    }
    case Path::kInteger: return MatMulQuantized(w, row->dot, x, n_tokens, y, ldy);
    case Path::kFused: return MatMulFused(w, row->fused, x, n_tokens, y, ldy);
    case Path::kTiles: return MatMulTiles(w, row != nullptr ? row->decode : nullptr, x, n_tokens, y, ldy);
  }
}

}  // namespace baleen
