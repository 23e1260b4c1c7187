// The integer dot-product path: the activation quantizer against its formula, every integer and packed kernel of the
// kernel table at every ISA level this CPU runs against the scalar integer reference, and the fast MatMul against
// the exact one.
#include "kernels/quant_dot.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "formats/quants/quants.h"
#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "kernels/packed_rows.h"
#include "kernels/packed_weights.h"
#include "kernels/random_blocks.h"

namespace baleen {
namespace {

std::vector<IsaLevel> LevelsHere() {
  std::vector<IsaLevel> levels;
  for (int l = 0; l <= static_cast<int>(KernelIsa()); ++l) {
    if (CpuRuns(static_cast<IsaLevel>(l))) levels.push_back(static_cast<IsaLevel>(l));
  }
  return levels;
}

// The types whose kernel-table row at `level` has an integer dot product (packed: a packed one).
std::vector<GgmlType> DotTypes(IsaLevel level, bool packed = false) {
  std::vector<GgmlType> types;
  for (const TypeKernels& row : KernelRows(level)) {
    if ((packed ? row.packed.tile : row.dot.tile) != nullptr) types.push_back(row.type);
  }
  return types;
}

std::vector<float> Normal(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

QuantizedActivations Quantize(const std::vector<float>& x, int64_t n_tokens, int64_t cols, int block) {
  QuantizedActivations act;
  QuantizeActivations(x.data(), n_tokens, cols, block, act);
  return act;
}

// ---- Quantizer ------------------------------------------------------------------------------------------------

TEST(QuantizeActivations, FollowsTheFormula) {
  for (int block : {32, 256}) {
    constexpr int64_t kCols = 512, kTokens = 3;
    const std::vector<float> x = Normal(kCols * kTokens, 4, 3.0f);
    const QuantizedActivations act = Quantize(x, kTokens, kCols, block);
    for (int64_t t = 0; t < kTokens; ++t) {
      const Q8Row row = TokenRow(act, t);
      for (int64_t b = 0; b < kCols / block; ++b) {
        float amax = 0.0f;
        for (int i = 0; i < block; ++i) amax = std::max(amax, std::fabs(x[t * kCols + b * block + i]));
        ASSERT_EQ(row.d[b], amax / 127.0f);
        for (int i = 0; i < block; ++i) {
          const int64_t e = b * block + i;
          ASSERT_EQ(row.qs[e], std::nearbyint(x[t * kCols + e] * (127.0f / amax))) << "element " << e;
          ASSERT_LE(std::fabs(row.qs[e] * row.d[b] - x[t * kCols + e]), 0.5001f * row.d[b]);
        }
      }
      for (int64_t g = 0; g < kCols / 16; ++g) {
        int sum = 0;
        for (int i = 0; i < 16; ++i) sum += row.qs[16 * g + i];
        ASSERT_EQ(row.sums[g], sum);
      }
    }
  }
}

void ExpectQuantizedAsTheReference(const std::vector<float>& x, int block) {
  const QuantizedActivations act = Quantize(x, 1, 1024, block);
  std::vector<int8_t> qs(1024);
  std::vector<float> d(1024 / block);
  std::vector<int16_t> sums(64);
  QuantizeActivationRowReference(x.data(), 1024, block, qs.data(), d.data(), sums.data());
  EXPECT_EQ(std::memcmp(qs.data(), act.qs.data(), qs.size()), 0) << "block " << block;
  EXPECT_EQ(std::memcmp(d.data(), act.d.data(), d.size() * 4), 0) << "block " << block;
  EXPECT_EQ(std::memcmp(sums.data(), act.sums.data(), sums.size() * 2), 0) << "block " << block;
}

// Gaussian rows, and rows with a NaN inside a block (after and before larger values: the maximum must skip it as the
// reference's does) and an infinity in another.
TEST(QuantizeActivations, BitIdenticalWithTheReference) {
  for (int block : {32, 256}) {
    for (bool non_finite : {false, true}) {
      std::vector<float> x = Normal(1024, 8, 0.1f);
      if (non_finite) {
        x[5] = NAN;
        x[6] = 3.0f;
        x[300] = NAN;
        x[700] = INFINITY;
      }
      ExpectQuantizedAsTheReference(x, block);
    }
  }
}

TEST(QuantizeActivations, EdgeCases) {
  // One block each: zeros, all equal, ±huge (saturating at ±127), a subnormal maximum (treated as zero).
  std::vector<float> x(4 * 32, 0.0f);
  std::fill(x.begin() + 32, x.begin() + 64, -2.5f);
  for (int i = 0; i < 32; ++i) x[64 + i] = (i % 2 ? 1e30f : -1e30f) * (i < 16 ? 1.0f : 0.5f);
  x[96] = 1e-40f;
  const QuantizedActivations act = Quantize(x, 4, 32, 32);
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(act.qs[i], 0);
    EXPECT_EQ(act.qs[32 + i], -127);
    EXPECT_EQ(act.qs[64 + i], (i % 2 ? 1 : -1) * (i < 16 ? 127 : 64));  // 63.5 rounds to even
    EXPECT_EQ(act.qs[96 + i], 0);
  }
  EXPECT_EQ(act.d[0], 0.0f);
  EXPECT_EQ(act.d[1], 2.5f / 127.0f);
  EXPECT_EQ(act.d[2], 1e30f / 127.0f);
  EXPECT_EQ(act.d[3], 0.0f);
  EXPECT_EQ(act.sums[2], -127 * 16);
}

// ---- Kernels against the scalar reference ---------------------------------------------------------------------

struct Rows {
  std::vector<uint8_t> bytes;
  std::vector<float> dequantized;
  uint64_t row_bytes;
};

// Rows quantized from Gaussian values, or (random_bits, and always for a format without a quantizer) random codes
// with sane block scales: every bit pattern of the codes and packed sub-block scales, Q8_0's -128 included.
Rows MakeRows(GgmlType type, int64_t n_rows, int64_t n, uint32_t seed, bool random_bits) {
  Rows rows;
  rows.row_bytes = RowBytes(type, n).value();
  rows.bytes.resize(rows.row_bytes * n_rows);
  rows.dequantized.resize(n_rows * n);
  std::mt19937 rng(seed);
  const std::vector<float> values = Normal(n_rows * n, seed + 1);
  const int64_t block_bytes = GetGgmlTypeInfo(type).block_bytes;
  for (int64_t r = 0; r < n_rows; ++r) {
    uint8_t* row = &rows.bytes[r * rows.row_bytes];
    if (random_bits || !CanQuantize(type)) {
      for (uint64_t i = 0; i < rows.row_bytes; ++i) row[i] = static_cast<uint8_t>(rng());
      for (uint64_t b = 0; b < rows.row_bytes; b += static_cast<uint64_t>(block_bytes)) {
        SetSaneBlockScales(type, row + b, rng);
      }
    } else {
      EXPECT_TRUE(QuantizeRow(type, &values[r * n], row, n).ok());
    }
    EXPECT_TRUE(DequantizeRow(type, row, &rows.dequantized[r * n], n).ok());
  }
  return rows;
}

// Σ|w·x| over the dequantized operands: what the float rounding of the kernels is relative to.
double Magnitude(const float* w, const Q8Row& x, int block, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; ++i) m += std::fabs(double(w[i]) * x.qs[i] * x.d[i / block]);
  return m;
}

void ExpectKernelMatchesReference(GgmlType type, IsaLevel level, bool random_bits, bool extreme_activations) {
  const QuantDotKernel* kernel = QuantDot(type, level);
  ASSERT_NE(kernel, nullptr) << GgmlTypeName(type) << " at " << IsaLevelName(level);
  constexpr int64_t kRows = 7, kTokens = 6, kCols = 768;  // 7 × 6: whole tiles and both edges
  const Rows w = MakeRows(type, kRows, kCols, 21, random_bits);
  std::vector<float> x = Normal(kTokens * kCols, 22);
  if (extreme_activations) {  // every code ±127
    for (size_t i = 0; i < x.size(); ++i) x[i] = i % 3 ? 1.0f : -1.0f;
  }
  const QuantizedActivations act = Quantize(x, kTokens, kCols, kernel->act_block);
  std::vector<Q8Row> tokens;
  for (int64_t t = 0; t < kTokens; ++t) tokens.push_back(TokenRow(act, t));
  std::vector<float> out(kTokens * kRows);
  kernel->tile(w.bytes.data(), w.row_bytes, kRows, tokens.data(), kTokens, kCols, out.data(), kRows);
  for (int64_t r = 0; r < kRows; ++r) {
    for (int64_t t = 0; t < kTokens; ++t) {
      const uint8_t* row = &w.bytes[r * w.row_bytes];
      const double expected = QuantDotReference(type, row, tokens[t], kCols);
      const double magnitude = Magnitude(&w.dequantized[r * kCols], tokens[t], kernel->act_block, kCols);
      ASSERT_NEAR(out[t * kRows + r], expected, 2e-6 * magnitude)
          << GgmlTypeName(type) << " at " << IsaLevelName(level) << ", row " << r << ", token " << t;
      // Alone, the pair gives the same bits as inside the tile.
      float single;
      kernel->tile(row, w.row_bytes, 1, &tokens[t], 1, kCols, &single, 1);
      ASSERT_EQ(std::memcmp(&single, &out[t * kRows + r], 4), 0) << GgmlTypeName(type) << " row " << r;
    }
  }
}

TEST(QuantDot, KernelsMatchTheScalarReference) {
  for (IsaLevel level : LevelsHere()) {
    for (GgmlType type : DotTypes(level)) {
      ExpectKernelMatchesReference(type, level, /*random_bits=*/false, /*extreme_activations=*/false);
      ExpectKernelMatchesReference(type, level, /*random_bits=*/true, /*extreme_activations=*/false);
      ExpectKernelMatchesReference(type, level, /*random_bits=*/true, /*extreme_activations=*/true);
    }
  }
}

TEST(QuantDot, OneBlockAndZeroActivations) {
  for (IsaLevel level : LevelsHere()) {
    for (GgmlType type : DotTypes(level)) {
      const QuantDotKernel* kernel = QuantDot(type, level);
      const int64_t n = kernel->act_block;  // one weight block
      const Rows w = MakeRows(type, 1, n, 5, false);
      for (bool zero : {false, true}) {
        std::vector<float> x = Normal(n, 6);
        if (zero) std::fill(x.begin(), x.end(), 0.0f);
        const QuantizedActivations act = Quantize(x, 1, n, kernel->act_block);
        const Q8Row token = TokenRow(act, 0);
        float out = -1.0f;
        kernel->tile(w.bytes.data(), w.row_bytes, 1, &token, 1, n, &out, 1);
        const double expected = QuantDotReference(type, w.bytes.data(), token, n);
        if (zero) {
          EXPECT_EQ(out, 0.0f) << GgmlTypeName(type);
        }
        EXPECT_NEAR(out, expected, 2e-6 * Magnitude(w.dequantized.data(), token, kernel->act_block, n))
            << GgmlTypeName(type) << " at " << IsaLevelName(level);
      }
    }
  }
}

TEST(QuantDot, TypesWithoutKernels) {
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_1, GgmlType::kTQ1_0, GgmlType::kTQ2_0}) {
    EXPECT_EQ(QuantDot(type), nullptr) << GgmlTypeName(type);
  }
}

// ---- The fast MatMul against the exact one ---------------------------------------------------------------------

class ExactModeGuard {
 public:
  explicit ExactModeGuard(bool exact) : saved_(ExactMatMul()) { SetExactMatMul(exact); }
  ~ExactModeGuard() { SetExactMatMul(saved_); }

 private:
  bool saved_;
};

// 8-bit activations round each element by at most amax / 254 per block: for Gaussian data about 0.5% (blocks of
// 32) to 0.7% (256) of its rms, so a dot product is off by about that fraction of the typical output size. 2%
// leaves room for unlucky rows, not for a wrong kernel (which is off by order 100%).
TEST(QuantMatMul, CloseToTheExactMatMul) {
  constexpr int64_t kRows = 37, kCols = 512;
  for (GgmlType type : DotTypes(KernelIsa())) {
    const Rows w = MakeRows(type, kRows, kCols, 31, false);
    const WeightMatrix matrix{type, w.bytes.data(), kCols, kRows, w.row_bytes};
    for (int64_t n_tokens : {1, 3, 9, 70}) {
      const std::vector<float> x = Normal(n_tokens * kCols, 77);  // a seed the weights do not use
      std::vector<float> fast(n_tokens * kRows), exact(n_tokens * kRows);
      {
        ExactModeGuard guard(false);
        MatMul(matrix, x.data(), n_tokens, fast.data());
      }
      {
        ExactModeGuard guard(true);
        MatMul(matrix, x.data(), n_tokens, exact.data());
      }
      double error = 0.0, norm = 0.0;
      for (size_t i = 0; i < fast.size(); ++i) {
        error += (double(fast[i]) - exact[i]) * (double(fast[i]) - exact[i]);
        norm += double(exact[i]) * exact[i];
      }
      EXPECT_LT(std::sqrt(error / norm), 0.02) << GgmlTypeName(type) << ", " << n_tokens << " tokens";
    }
  }
}

// Results depend only on the token, not on how many tokens share the call, and sub-matrices and ldy work.
TEST(QuantMatMul, BatchIndependentWithSubMatrixAndLeadingDimension) {
  ExactModeGuard guard(false);
  constexpr int64_t kRows = 40, kCols = 256, kTokens = 67, kLdy = 23;
  for (GgmlType type : DotTypes(KernelIsa())) {
    const Rows w = MakeRows(type, kRows, kCols, 41, false);
    const WeightMatrix sub = WeightMatrix{type, w.bytes.data(), kCols, kRows, w.row_bytes}.Rows(3, 18);
    const std::vector<float> x = Normal(kTokens * kCols, 42);
    std::vector<float> all(kTokens * kLdy, -1.0f), one(18);
    MatMul(sub, x.data(), kTokens, all.data(), kLdy);
    for (int64_t t = 0; t < kTokens; ++t) {
      MatMul(sub, &x[t * kCols], 1, one.data());
      ASSERT_EQ(std::memcmp(one.data(), &all[t * kLdy], 18 * 4), 0) << GgmlTypeName(type) << " token " << t;
      for (int64_t r = 18; r < kLdy; ++r) ASSERT_EQ(all[t * kLdy + r], -1.0f);
    }
  }
}

// ---- Packed rows (16 interleaved rows: AVX2, AVX-VNNI, AVX-512 VNNI) ------------------------------------------------

// Every token of a group against the scalar reference, and alone the same bits as in a batch of 13 (one group of
// eight, one of four, one single).
TEST(PackedRows, KernelsMatchTheScalarReference) {
  constexpr int64_t kRows = 48, kTokens = 13, kCols = 768;  // three groups: a pair and a single
  const std::vector<GgmlType> types = DotTypes(KernelIsa(), /*packed=*/true);
  if (types.empty()) GTEST_SKIP() << "no packed kernels at " << IsaLevelName(KernelIsa());
  for (GgmlType type : types) {
    ASSERT_TRUE(CanPackRows(type, kRows, kCols)) << GgmlTypeName(type);
    const PackedDotKernel* kernel = PackedDot(type);
    for (bool random_bits : {false, true}) {
      const Rows w = MakeRows(type, kRows, kCols, 51, random_bits);
      std::vector<uint8_t> packed(PackedGroupBytes(type, kCols) * (kRows / kPackRows));
      PackRows(type, w.bytes.data(), w.row_bytes, kRows, kCols, packed.data());
      for (bool extreme : {false, true}) {
        std::vector<float> x = Normal(kTokens * kCols, 52);
        if (extreme) {
          for (size_t i = 0; i < x.size(); ++i) x[i] = i % 3 ? 1.0f : -1.0f;
        }
        const QuantizedActivations act = Quantize(x, kTokens, kCols, kernel->act_block);
        std::vector<Q8Row> tokens;
        for (int64_t t = 0; t < kTokens; ++t) tokens.push_back(TokenRow(act, t));
        // All groups and tokens in one call, then each group and token alone.
        const uint64_t group_bytes = PackedGroupBytes(type, kCols);
        std::vector<float> out(kTokens * kRows), single(kPackRows);
        kernel->tile(packed.data(), group_bytes, kRows / kPackRows, tokens.data(), kTokens, kCols, out.data(), kRows);
        for (int64_t g = 0; g < kRows / kPackRows; ++g) {
          for (int64_t t = 0; t < kTokens; ++t) {
            kernel->tile(packed.data() + g * group_bytes, group_bytes, 1, &tokens[t], 1, kCols, single.data(),
                         kPackRows);
            ASSERT_EQ(std::memcmp(single.data(), &out[t * kRows + g * kPackRows], 4 * kPackRows), 0)
                << GgmlTypeName(type) << " group " << g << " token " << t;
            for (int64_t i = 0; i < kPackRows; ++i) {
              const int64_t r = g * kPackRows + i;
              const double expected = QuantDotReference(type, &w.bytes[r * w.row_bytes], tokens[t], kCols);
              const double magnitude = Magnitude(&w.dequantized[r * kCols], tokens[t], kernel->act_block, kCols);
              ASSERT_NEAR(out[t * kRows + r], expected, 2e-6 * magnitude)
                  << GgmlTypeName(type) << ", row " << r << ", token " << t << (random_bits ? ", random bits" : "");
            }
          }
        }
      }
    }
  }
}

// MatMul on a packed matrix: close to the unpacked integer path, batch-independent, and sub-matrices on a group
// boundary keep the packed rows while others fall back to the file's layout with the same results up to rounding.
TEST(PackedRows, MatMulUsesThemBatchIndependently) {
  ExactModeGuard guard(false);
  constexpr int64_t kRows = 64, kCols = 512, kTokens = 21;
  const std::vector<GgmlType> types = DotTypes(KernelIsa(), /*packed=*/true);
  if (types.empty()) GTEST_SKIP() << "no packed kernels at " << IsaLevelName(KernelIsa());
  for (GgmlType type : types) {
    const Rows w = MakeRows(type, kRows, kCols, 61, false);
    const WeightMatrix plain{type, w.bytes.data(), kCols, kRows, w.row_bytes};
    PackedWeights packs;
    const WeightMatrix packed = packs.Pack(plain, kRows);
    ASSERT_NE(packed.packed, nullptr);
    EXPECT_TRUE(packs.Packed(w.bytes.data()));
    EXPECT_EQ(packs.Pack(plain, 8).packed, nullptr);  // slices of 8 rows cannot be packed
    const std::vector<float> x = Normal(kTokens * kCols, 62);
    std::vector<float> a(kTokens * kRows), b(kTokens * kRows), one(kRows);
    MatMul(packed, x.data(), kTokens, a.data());
    MatMul(plain, x.data(), kTokens, b.data());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-4f * (1.0f + std::fabs(b[i]))) << i;
    for (int64_t t = 0; t < kTokens; ++t) {
      MatMul(packed, &x[t * kCols], 1, one.data());
      ASSERT_EQ(std::memcmp(one.data(), &a[t * kRows], 4 * kRows), 0) << GgmlTypeName(type) << " token " << t;
    }
    EXPECT_NE(packed.Rows(16, 32).packed, nullptr);
    EXPECT_EQ(packed.Rows(3, 16).packed, nullptr);
    std::vector<float> sub(kTokens * 32);
    MatMul(packed.Rows(16, 32), x.data(), kTokens, sub.data());
    for (int64_t t = 0; t < kTokens; ++t) {
      ASSERT_EQ(std::memcmp(&sub[t * 32], &a[t * kRows + 16], 4 * 32), 0) << GgmlTypeName(type);
    }
  }
}

// MatMulAll on packed matrices (two sharing an input, one on another input, of another type) gives exactly what
// MatMul gives each; with an unpacked matrix among them it falls back to MatMul one by one.
TEST(PackedRows, MatMulAllEqualsMatMulOnEach) {
  ExactModeGuard guard(false);
  constexpr int64_t kCols = 512, kTokens = 9;
  if (!CanPackRows(GgmlType::kQ4_K, 32, kCols)) GTEST_SKIP() << "no packed kernels at " << IsaLevelName(KernelIsa());
  PackedWeights packs;
  const Rows a = MakeRows(GgmlType::kQ4_K, 48, kCols, 71, false), b = MakeRows(GgmlType::kQ4_K, 32, kCols, 72, false);
  const Rows c = MakeRows(GgmlType::kQ8_0, 64, kCols, 73, false), d = MakeRows(GgmlType::kQ8_0, 7, kCols, 74, false);
  const WeightMatrix wa = packs.Pack({GgmlType::kQ4_K, a.bytes.data(), kCols, 48, a.row_bytes}, 48);
  const WeightMatrix wb = packs.Pack({GgmlType::kQ4_K, b.bytes.data(), kCols, 32, b.row_bytes}, 32);
  const WeightMatrix wc = packs.Pack({GgmlType::kQ8_0, c.bytes.data(), kCols, 64, c.row_bytes}, 64);
  const WeightMatrix wd{GgmlType::kQ8_0, d.bytes.data(), kCols, 7, d.row_bytes};  // 7 rows: not packed
  const std::vector<float> x1 = Normal(kTokens * kCols, 75), x2 = Normal(3 * kCols, 76);
  for (bool with_unpacked : {false, true}) {
    std::vector<float> ya(kTokens * 48), yb(kTokens * 32), yc(3 * 64), yd(3 * 7);
    std::vector<MatMulJob> jobs = {{wa, x1.data(), kTokens, ya.data(), 0}, {wb, x1.data(), kTokens, yb.data(), 0},
                                   {wc, x2.data(), 3, yc.data(), 0}};
    if (with_unpacked) jobs.push_back({wd, x2.data(), 3, yd.data(), 0});
    MatMulAll(jobs);
    for (const MatMulJob& job : jobs) {
      std::vector<float> alone(job.n_tokens * job.w.rows);
      MatMul(job.w, job.x, job.n_tokens, alone.data());
      ASSERT_EQ(std::memcmp(alone.data(), job.y, alone.size() * 4), 0) << GgmlTypeName(job.w.type) << " "
                                                                         << job.w.rows << " rows";
    }
  }
}

}  // namespace
}  // namespace baleen
