// Kernels against straightforward double-precision formulas on the dequantized weights. MatMul runs in exact mode
// here; its integer (fast) path is tested in quant_dot_test.cc, its integer reference here.
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "base/float16.h"
#include "formats/quants/quants.h"
#include "kernels/attention.h"
#include "kernels/cpu_features.h"
#include "kernels/fast_decode.h"
#include "kernels/fused_dot.h"
#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "kernels/quant_dot.h"
#include "kernels/rope.h"

namespace baleen {
namespace {

class ExactMatMulEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { SetExactMatMul(true); }
};

::testing::Environment* const kExactMatMul = ::testing::AddGlobalTestEnvironment(new ExactMatMulEnvironment);

struct Quantized {
  std::vector<uint8_t> bytes;
  std::vector<float> dequantized;  // what the kernel must multiply by
  WeightMatrix matrix;
};

Quantized MakeMatrix(GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(rows * cols));
  for (float& v : values) v = normal(rng);
  Quantized q;
  const uint64_t row_bytes = RowBytes(type, cols).value();
  q.bytes.resize(row_bytes * rows);
  q.dequantized.resize(values.size());
  for (int64_t r = 0; r < rows; ++r) {
    if (!CanQuantize(type)) continue;  // the codebook i-quants: zero bytes, for the caller to fill
    EXPECT_TRUE(QuantizeRow(type, &values[r * cols], &q.bytes[r * row_bytes], cols).ok());
    EXPECT_TRUE(DequantizeRow(type, &q.bytes[r * row_bytes], &q.dequantized[r * cols], cols).ok());
  }
  q.matrix = {type, q.bytes.data(), cols, rows, row_bytes};
  return q;
}

class MatMulTest : public ::testing::TestWithParam<GgmlType> {};

TEST_P(MatMulTest, MatchesDoublePrecisionProductOnDequantizedWeights) {
  constexpr int64_t kRows = 37, kCols = 512;  // rows not a multiple of the tile
  const Quantized q = MakeMatrix(GetParam(), kRows, kCols, 7);
  for (int64_t n_tokens : {1, 3, 9}) {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n_tokens * kCols));
    for (float& v : x) v = normal(rng);
    std::vector<float> y(static_cast<size_t>(n_tokens * kRows));
    MatMul(q.matrix, x.data(), n_tokens, y.data());
    for (int64_t t = 0; t < n_tokens; ++t) {
      for (int64_t r = 0; r < kRows; ++r) {
        double expected = 0.0;
        for (int64_t c = 0; c < kCols; ++c) expected += double(q.dequantized[r * kCols + c]) * x[t * kCols + c];
        ASSERT_NEAR(y[t * kRows + r], expected, 1e-4 * (1.0 + std::fabs(expected)))
            << GgmlTypeName(GetParam()) << " token " << t << " row " << r;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, MatMulTest,
                         ::testing::Values(GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0,
                                           GgmlType::kQ4_0, GgmlType::kQ5_1, GgmlType::kQ4_K, GgmlType::kQ6_K,
                                           GgmlType::kQ2_K, GgmlType::kIQ4_XS),
                         [](const auto& info) { return std::string(GgmlTypeName(info.param)); });

// The kernel table's rows at every ISA level this CPU runs.
std::vector<const TypeKernels*> RowsHere() {
  std::vector<const TypeKernels*> rows;
  for (int l = 0; l <= static_cast<int>(KernelIsa()); ++l) {
    if (!CpuRuns(static_cast<IsaLevel>(l))) continue;
    for (const TypeKernels& row : KernelRows(static_cast<IsaLevel>(l))) rows.push_back(&row);
  }
  return rows;
}

// Every fast decoder of the table must give exactly the reference decoders' values, on random blocks (any bit
// pattern, not only what a quantizer writes).
TEST(FastDecodeTest, BitExactWithTheReferenceDecoders) {
  std::mt19937 rng(5);
  for (const TypeKernels* row : RowsHere()) {
    const GgmlType type = row->type;
    const RowDecoder fast = row->decode;
    if (fast == nullptr) continue;
    constexpr int64_t kElems = 1024;
    std::vector<uint8_t> bytes(RowBytes(type, kElems).value());
    for (int trial = 0; trial < 50; ++trial) {
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
      if (type != GgmlType::kBF16) {  // keep f16 scales finite so NaN != NaN does not hide a mismatch
        for (size_t i = 0; i < bytes.size(); i += 2) bytes[i + 1] &= 0x3B;
      }
      std::vector<float> expected(kElems), got(kElems);
      ASSERT_TRUE(DequantizeRow(type, bytes.data(), expected.data(), kElems).ok());
      fast(bytes.data(), got.data(), kElems);
      for (int64_t i = 0; i < kElems; ++i) {
        ASSERT_EQ(std::memcmp(&got[i], &expected[i], 4), 0)
            << GgmlTypeName(type) << " element " << i << ": " << got[i] << " vs " << expected[i];
      }
    }
  }
}

// The integer dot products' scalar reference (QuantDotReference, whose sums the portable kernels and the SIMD tests
// use) against its definition: the reference decoder's weights times the dequantized 8-bit activations, in double.
// Both are exact up to the float rounding of the decoded weights, so they agree far within 1e-5 of Σ|w·x|. Rows are
// quantized Gaussians (where the type has a quantizer) and random bytes (f16 fields kept finite, as above).
TEST(QuantDotReferenceTest, IsTheDequantizedProduct) {
  constexpr int64_t kRows = 6, kCols = 768;
  std::mt19937 rng(3);
  std::vector<float> x(kCols);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : x) v = normal(rng);
  for (const TypeKernels& row : KernelRows(IsaLevel::kPortable)) {
    if (row.dot.tile == nullptr) continue;
    const int block = row.dot.act_block;
    QuantizedActivations act;
    QuantizeActivations(x.data(), 1, kCols, block, act);
    const Q8Row a = TokenRow(act, 0);
    Quantized q = MakeMatrix(row.type, kRows, kCols, 13);
    for (bool random_bits : {false, true}) {
      if (!random_bits && !CanQuantize(row.type)) continue;  // no quantizer: random bytes only
      if (random_bits) {
        for (uint8_t& b : q.bytes) b = static_cast<uint8_t>(rng());
        for (size_t i = 0; i < q.bytes.size(); i += 2) q.bytes[i + 1] &= 0x3B;
        // MXFP4's E8M0 byte likewise: below 229, so the weights (up to 12 · 2^(e − 128)) stay finite; the
        // subnormal scales of e = 0 and 1 stay in.
        if (row.type == GgmlType::kMXFP4) {
          for (size_t i = 0; i < q.bytes.size(); i += 17) q.bytes[i] = static_cast<uint8_t>(q.bytes[i] % 229);
        }
        ASSERT_TRUE(DequantizeRow(row.type, q.bytes.data(), q.dequantized.data(), kRows * kCols).ok());
      }
      for (int64_t r = 0; r < kRows; ++r) {
        const float* w = &q.dequantized[r * kCols];
        double exact = 0.0, magnitude = 0.0;
        for (int64_t i = 0; i < kCols; ++i) {
          exact += double(w[i]) * (double(a.qs[i]) * a.d[i / block]);
          magnitude += std::fabs(double(w[i]) * a.qs[i] * a.d[i / block]);
        }
        EXPECT_NEAR(QuantDotReference(row.type, q.bytes.data() + r * q.matrix.row_bytes, a, kCols), exact,
                    1e-5 * magnitude)
            << GgmlTypeName(row.type) << " row " << r << (random_bits ? ", random bytes" : "");
      }
    }
  }
}

// Each fused kernel of the table at every level this CPU runs against a double-precision dot on the reference
// decoding.
TEST(FusedDotTest, MatchesTheReferenceDecoding) {
  for (const TypeKernels* row : RowsHere()) {
    const GgmlType type = row->type;
    const FusedDotFn dot = row->fused;
    if (dot == nullptr) continue;
    const Quantized q = MakeMatrix(type, 6, 768, 9);
    std::vector<float> x(768);
    std::mt19937 rng(2);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (float& v : x) v = normal(rng);
    for (int64_t r = 0; r < 6; ++r) {
      double expected = 0.0;
      for (int64_t c = 0; c < 768; ++c) expected += double(q.dequantized[r * 768 + c]) * x[c];
      const float got = dot(q.bytes.data() + r * q.matrix.row_bytes, x.data(), 768);
      EXPECT_NEAR(got, expected, 1e-4 * (1 + std::fabs(expected))) << GgmlTypeName(type) << " row " << r;
    }
  }
}

TEST(MatMulTest, SubMatrixRowsAndLeadingDimension) {
  const Quantized q = MakeMatrix(GgmlType::kQ8_0, 10, 64, 3);
  std::vector<float> x(64, 0.5f);
  std::vector<float> y(2 * 7, -1.0f);  // ldy 7 > 4 rows: the gaps must stay untouched
  std::vector<float> x2(128, 0.5f);
  MatMul(q.matrix.Rows(3, 4), x2.data(), 2, y.data(), 7);
  for (int t = 0; t < 2; ++t) {
    for (int r = 0; r < 4; ++r) {
      double expected = 0.0;
      for (int c = 0; c < 64; ++c) expected += 0.5 * q.dequantized[(3 + r) * 64 + c];
      EXPECT_NEAR(y[t * 7 + r], expected, 1e-4);
    }
    for (int r = 4; r < 7; ++r) EXPECT_EQ(y[t * 7 + r], -1.0f);
  }
}

TEST(OpsTest, RmsNormMatchesFormula) {
  std::vector<float> x = {1.0f, -2.0f, 3.0f, 0.5f}, w = {1.0f, 0.5f, 2.0f, -1.0f}, out(4);
  RmsNorm(x.data(), w.data(), 4, 1e-6f, out.data());
  const double rms = std::sqrt((1 + 4 + 9 + 0.25) / 4.0 + 1e-6);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(out[i], w[i] * x[i] / rms, 1e-6);
}

TEST(OpsTest, SoftmaxSumsToOneAndZeroesMinusInfinity) {
  std::vector<float> x = {1.0f, -INFINITY, 3.0f, 2.0f};
  Softmax(x.data(), 4);
  const double z = std::exp(1.0) + std::exp(3.0) + std::exp(2.0);
  EXPECT_NEAR(x[0], std::exp(1.0) / z, 1e-6);
  EXPECT_EQ(x[1], 0.0f);
  EXPECT_NEAR(x[2], std::exp(3.0) / z, 1e-6);
}

TEST(OpsTest, SiluMul) {
  std::vector<float> g = {0.0f, 1.0f, -2.0f}, u = {3.0f, 2.0f, 1.0f};
  SiluMul(g.data(), u.data(), 3);
  EXPECT_NEAR(g[0], 0.0, 1e-7);
  EXPECT_NEAR(g[1], 2.0 / (1.0 + std::exp(-1.0)), 1e-6);
  EXPECT_NEAR(g[2], -2.0 / (1.0 + std::exp(2.0)), 1e-6);
}

TEST(RopeTest, NormStyleRotatesAdjacentPairsAndNeoxHalves) {
  const std::vector<double> inv_freq = {1.0, 0.25};
  std::vector<float> cos(2), sin(2);
  for (RopeStyle style : {RopeStyle::kNorm, RopeStyle::kNeox}) {
    Rope rope(inv_freq, style, 1.0f);
    rope.CosSin(3, cos.data(), sin.data());
    std::vector<float> x = {1.0f, 2.0f, 3.0f, 4.0f};
    rope.Apply(x.data(), cos.data(), sin.data());
    // Pair i uses angle 3·inv_freq[i]; kNorm pairs (0,1),(2,3); kNeox pairs (0,2),(1,3).
    const int a0 = 0, b0 = style == RopeStyle::kNorm ? 1 : 2, a1 = style == RopeStyle::kNorm ? 2 : 1, b1 = 3;
    const double in[4] = {1, 2, 3, 4};
    const double t0 = 3.0, t1 = 0.75;
    EXPECT_NEAR(x[a0], in[a0] * std::cos(t0) - in[b0] * std::sin(t0), 1e-6);
    EXPECT_NEAR(x[b0], in[a0] * std::sin(t0) + in[b0] * std::cos(t0), 1e-6);
    EXPECT_NEAR(x[a1], in[a1] * std::cos(t1) - in[b1] * std::sin(t1), 1e-6);
    EXPECT_NEAR(x[b1], in[a1] * std::sin(t1) + in[b1] * std::cos(t1), 1e-6);
  }
}

TEST(RopeTest, MagnitudeScalesTheRotation) {
  Rope rope({0.5}, RopeStyle::kNorm, 2.0f);
  float cos, sin;
  rope.CosSin(2, &cos, &sin);
  EXPECT_NEAR(cos, 2.0 * std::cos(1.0), 1e-6);
  EXPECT_NEAR(sin, 2.0 * std::sin(1.0), 1e-6);
}

// Blocked attention against the formula in double, for rows with different causal lengths, dimensions that are not
// multiples of the vector width, more rows than a row block and more keys than a chunk, and a row computed alone
// giving the same bits as inside a block.
void ExpectAttentionMatches(int64_t n_rows, int64_t n_keys_max, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  constexpr int64_t kD = 40, kDv = 36, kLdk = 45, kLdv = 37;
  std::vector<float> k(n_keys_max * kLdk), v(n_keys_max * kLdv), q(n_rows * kD), out(n_rows * kDv, -1.0f);
  for (float& x : k) x = normal(rng);
  for (float& x : v) x = normal(rng);
  for (float& x : q) x = normal(rng);
  std::vector<const float*> q_rows;
  std::vector<float*> out_rows;
  std::vector<int64_t> n_keys;
  for (int64_t i = 0; i < n_rows; ++i) {
    q_rows.push_back(&q[i * kD]), out_rows.push_back(&out[i * kDv]);
    n_keys.push_back(i == 0 ? 1 : 1 + static_cast<int64_t>(rng() % n_keys_max));
  }
  std::vector<float> scratch;
  const float scale = 0.3f;
  AttendRows({q_rows.data(), n_keys.data(), out_rows.data(), n_rows}, k.data(), kLdk, kD, v.data(), kLdv, kDv, scale,
             scratch);
  for (int64_t i = 0; i < n_rows; ++i) {
    std::vector<double> p(n_keys[i]);
    double max = -1e300, sum = 0.0;
    for (int64_t s = 0; s < n_keys[i]; ++s) {
      double dot = 0.0;
      for (int64_t j = 0; j < kD; ++j) dot += double(q[i * kD + j]) * k[s * kLdk + j];
      p[s] = dot * scale;
      max = std::max(max, p[s]);
    }
    for (double& x : p) sum += (x = std::exp(x - max));
    for (int64_t j = 0; j < kDv; ++j) {
      double expected = 0.0;
      for (int64_t s = 0; s < n_keys[i]; ++s) expected += p[s] / sum * v[s * kLdv + j];
      ASSERT_NEAR(out[i * kDv + j], expected, 1e-5) << "row " << i << ", column " << j;
    }
    std::vector<float> alone(kDv);
    float* alone_row = alone.data();
    AttendRows({&q_rows[i], &n_keys[i], &alone_row, 1}, k.data(), kLdk, kD, v.data(), kLdv, kDv, scale, scratch);
    ASSERT_EQ(std::memcmp(alone.data(), &out[i * kDv], kDv * 4), 0) << "row " << i;
  }
  // The same rows copied into blocks of 4 rows in scrambled order (a paged cache): the same bits.
  constexpr int kShift = 2;
  const int64_t n_blocks = (n_keys_max + 3) / 4;
  std::vector<int64_t> order(n_blocks);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<float> k_paged(n_blocks * 4 * kLdk), v_paged(n_blocks * 4 * kLdv), paged_out(out.size());
  std::vector<const void*> k_bases(n_blocks), v_bases(n_blocks);
  for (int64_t b = 0; b < n_blocks; ++b) {
    float* k_block = &k_paged[order[b] * 4 * kLdk];
    float* v_block = &v_paged[order[b] * 4 * kLdv];
    k_bases[b] = k_block, v_bases[b] = v_block;
    for (int64_t r = 0; r < 4 && b * 4 + r < n_keys_max; ++r) {
      std::copy_n(&k[(b * 4 + r) * kLdk], kLdk, k_block + r * kLdk);
      std::copy_n(&v[(b * 4 + r) * kLdv], kLdv, v_block + r * kLdv);
    }
  }
  for (int64_t i = 0; i < n_rows; ++i) out_rows[i] = &paged_out[i * kDv];
  AttendRows({q_rows.data(), n_keys.data(), out_rows.data(), n_rows}, CacheRows{k_bases.data(), kShift, kLdk, 0}, kD,
             CacheRows{v_bases.data(), kShift, kLdv, 0}, kDv, scale, scratch);
  ASSERT_EQ(std::memcmp(paged_out.data(), out.data(), out.size() * 4), 0);

  // F16 blocks: the formula on the rounded keys and values, within F32 accumulation error.
  std::vector<uint16_t> k16(k_paged.size()), v16(v_paged.size());
  for (size_t i = 0; i < k16.size(); ++i) k16[i] = FloatToFp16(k_paged[i]);
  for (size_t i = 0; i < v16.size(); ++i) v16[i] = FloatToFp16(v_paged[i]);
  for (int64_t b = 0; b < n_blocks; ++b) k_bases[b] = &k16[order[b] * 4 * kLdk], v_bases[b] = &v16[order[b] * 4 * kLdv];
  CacheRows k_rows{k_bases.data(), kShift, kLdk, 0, /*f16=*/true}, v_rows{v_bases.data(), kShift, kLdv, 0, true};
  AttendRows({q_rows.data(), n_keys.data(), out_rows.data(), n_rows}, k_rows, kD, v_rows, kDv, scale, scratch);
  for (int64_t i = 0; i < n_rows; ++i) {
    std::vector<double> p(n_keys[i]);
    double max = -1e300, sum = 0.0;
    for (int64_t s = 0; s < n_keys[i]; ++s) {
      double dot = 0.0;
      for (int64_t j = 0; j < kD; ++j) dot += double(q[i * kD + j]) * Fp16ToFloat(k_rows.Row<uint16_t>(s)[j]);
      p[s] = dot * scale;
      max = std::max(max, p[s]);
    }
    for (double& x : p) sum += (x = std::exp(x - max));
    for (int64_t j = 0; j < kDv; ++j) {
      double expected = 0.0;
      for (int64_t s = 0; s < n_keys[i]; ++s) expected += p[s] / sum * Fp16ToFloat(v_rows.Row<uint16_t>(s)[j]);
      ASSERT_NEAR(paged_out[i * kDv + j], expected, 1e-5) << "f16, row " << i << ", column " << j;
    }
  }
}

TEST(AttentionTest, MatchesTheFormulaAndRowsAreIndependent) {
  ExpectAttentionMatches(7, 23, 8);     // one partial tile block, one partial key chunk
  ExpectAttentionMatches(70, 150, 9);   // two row blocks, three key chunks
}

// F32 weights (routers, MLA projections) give every (row, token) pair the same bits however many tokens share the
// call: 4 × 4 blocks and single dot products do the same operations, tails included.
TEST(MatMulTest, F32IsBatchIndependent) {
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  constexpr int64_t kRows = 11, kCols = 100, kTokens = 7;
  std::vector<float> w(kRows * kCols), x(kTokens * kCols), all(kTokens * kRows), one(kRows);
  for (float& v : w) v = normal(rng);
  for (float& v : x) v = normal(rng);
  const WeightMatrix m{GgmlType::kF32, reinterpret_cast<const uint8_t*>(w.data()), kCols, kRows, kCols * 4};
  MatMul(m, x.data(), kTokens, all.data());
  for (int64_t t = 0; t < kTokens; ++t) {
    MatMul(m, &x[t * kCols], 1, one.data());
    ASSERT_EQ(std::memcmp(one.data(), &all[t * kRows], kRows * 4), 0) << "token " << t;
    for (int64_t r = 0; r < kRows; ++r) ASSERT_EQ(DotF32(&w[r * kCols], &x[t * kCols], kCols), one[r]);
  }
}

// The vectorized exponential behind Softmax and SiluMul against double precision, over the range they meet. Softmax
// rounds x − max to float first, which alone moves e^(x − max) by up to |x − max| · 2^-24 (5e-6 at 80).
TEST(OpsTest, SoftmaxAndSiluMulAccurateOverARange) {
  constexpr int64_t kN = 1001;
  std::vector<float> x(kN), gate(kN), up(kN, 1.5f);
  for (int64_t i = 0; i < kN; ++i) x[i] = gate[i] = -40.0f + 80.0f * static_cast<float>(i) / (kN - 1);
  x[7] = -std::numeric_limits<float>::infinity();
  std::vector<float> p = x;
  Softmax(p.data(), kN);
  double sum = 0.0;
  for (int64_t i = 0; i < kN; ++i) sum += i == 7 ? 0.0 : std::exp(double(x[i]) - 40.0);
  for (int64_t i = 0; i < kN; ++i) {
    const double expected = i == 7 ? 0.0 : std::exp(double(x[i]) - 40.0) / sum;
    ASSERT_NEAR(p[i], expected, 1e-5 * expected + 1e-38) << i;
  }
  const std::vector<float> inputs = gate;
  SiluMul(gate.data(), up.data(), kN);
  for (int64_t i = 0; i < kN; ++i) {
    const double g = inputs[i];
    const double expected = g / (1.0 + std::exp(-g)) * 1.5;
    ASSERT_NEAR(gate[i], expected, 2e-6 * std::fabs(expected) + 1e-30) << i;
  }
}

}  // namespace
}  // namespace baleen
