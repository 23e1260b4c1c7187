// Tests for the i-quant and ternary reference (de)quantizers and their codebook grids. Formats layer.
// Known answers come from tools/quant_vectors/iq_vectors.py (numpy, written independently from the layouts).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "formats/quants/iq_grids.h"
#include "formats/quants/quant_test_vectors.h"
#include "formats/quants/quants.h"
#include "formats/quants/quants_internal.h"

namespace baleen {
namespace {

using quants::CodebookGrid;

constexpr int64_t kBlockElems = 256;

// ---------------------------------------------------------------------------------------------------------------
// Known answers: every dequantizer reproduces the vectors bit for bit.
class IqKnownAnswerTest : public ::testing::TestWithParam<const char*> {};

TEST_P(IqKnownAnswerTest, MatchesVectorsExactly) {
  const testing::QuantVectors v = testing::LoadQuantVectors(GetParam());
  ASSERT_TRUE(v.ok) << v.error;
  ASSERT_STREQ(GgmlTypeName(v.type), GetParam());
  ASSERT_GT(v.n_blocks, 0u);
  const int64_t n_elems = static_cast<int64_t>(v.n_blocks) * kBlockElems;
  ASSERT_EQ(RowBytes(v.type, n_elems).value(), v.blocks.size());
  std::vector<float> out(v.expected.size(), std::nanf(""));
  ASSERT_TRUE(DequantizeRow(v.type, v.blocks.data(), out.data(), n_elems).ok());
  int mismatches = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t got, want;
    std::memcpy(&got, &out[i], 4);
    std::memcpy(&want, &v.expected[i], 4);
    if (got != want && ++mismatches <= 5) {
      ADD_FAILURE() << GetParam() << " element " << i << " (block " << i / kBlockElems << "): got " << out[i]
                    << ", want " << v.expected[i];
    }
  }
  EXPECT_EQ(mismatches, 0);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, IqKnownAnswerTest,
                         ::testing::Values("IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S",
                                           "IQ4_XS", "TQ1_0", "TQ2_0"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

TEST(IqKernelTableTest, CoversExactlyItsTypes) {
  for (GgmlType type : {GgmlType::kIQ1_S, GgmlType::kIQ1_M, GgmlType::kIQ2_XXS, GgmlType::kIQ2_XS, GgmlType::kIQ2_S,
                        GgmlType::kIQ3_XXS, GgmlType::kIQ3_S, GgmlType::kIQ4_XS, GgmlType::kTQ1_0,
                        GgmlType::kTQ2_0}) {
    const quants::RowKernels* kernels = quants::FindIQuantKernels(type);
    ASSERT_NE(kernels, nullptr) << GgmlTypeName(type);
    EXPECT_NE(kernels->dequantize, nullptr) << GgmlTypeName(type);
    EXPECT_EQ(kernels->quantize != nullptr, type == GgmlType::kIQ4_XS) << GgmlTypeName(type);
  }
  for (GgmlType type : {GgmlType::kF32, GgmlType::kQ4_0, GgmlType::kIQ4_NL, GgmlType::kQ4_K, GgmlType::kMXFP4}) {
    EXPECT_EQ(quants::FindIQuantKernels(type), nullptr) << GgmlTypeName(type);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Grids: sizes, value sets and a checksum of the expanded bytes. The checksums are FNV-1a-64 over ggml's
// iq1s_grid / iq2xxs_grid / iq2xs_grid / iq2s_grid / iq3xxs_grid / iq3s_grid tables (ggml/src/ggml-common.h) read
// as little-endian bytes, so they pin the generated grids to the ecosystem's byte for byte.
uint64_t Fnv1a64(const uint8_t* data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 0x100000001b3ull;
  return hash;
}

struct GridCase {
  const char* name;
  const CodebookGrid& (*grid)();
  uint32_t n_entries;
  uint32_t width;
  std::set<int> values;
  uint64_t checksum;
};

class IqGridTest : public ::testing::TestWithParam<GridCase> {};

TEST_P(IqGridTest, MatchesEcosystemTable) {
  const GridCase& c = GetParam();
  const CodebookGrid& grid = c.grid();
  ASSERT_EQ(grid.n_entries, c.n_entries);
  ASSERT_EQ(grid.width, c.width);
  std::set<int> seen;
  std::set<std::vector<int8_t>> distinct_rows;
  for (uint32_t r = 0; r < grid.n_entries; ++r) {
    const int8_t* row = grid.Row(r);
    distinct_rows.emplace(row, row + grid.width);
    for (uint32_t j = 0; j < grid.width; ++j) seen.insert(row[j]);
  }
  EXPECT_EQ(seen, c.values);
  EXPECT_EQ(distinct_rows.size(), grid.n_entries) << "rows must be distinct";
  const size_t size_bytes = static_cast<size_t>(grid.n_entries) * grid.width;
  EXPECT_EQ(Fnv1a64(reinterpret_cast<const uint8_t*>(grid.values), size_bytes), c.checksum);
}

INSTANTIATE_TEST_SUITE_P(
    AllGrids, IqGridTest,
    ::testing::Values(GridCase{"Iq1", quants::Iq1Grid, 2048, 8, {-1, 0, 1}, 0x6703ed863501ae2eull},
                      GridCase{"Iq2Xxs", quants::Iq2XxsGrid, 256, 8, {8, 25, 43}, 0xbb4ee025b5ac6e8eull},
                      GridCase{"Iq2Xs", quants::Iq2XsGrid, 512, 8, {8, 25, 43}, 0xc9b1ee61e79909bdull},
                      GridCase{"Iq2S", quants::Iq2SGrid, 1024, 8, {8, 25, 43}, 0x123edd38a3b62b90ull},
                      GridCase{"Iq3Xxs", quants::Iq3XxsGrid, 256, 4, {4, 12, 20, 28, 36, 44, 52, 62},
                               0xdfa5dc83d6a155d5ull},
                      GridCase{"Iq3S", quants::Iq3SGrid, 512, 4, {1, 3, 5, 7, 9, 11, 13, 15},
                               0xfa37020c25b44829ull}),
    [](const ::testing::TestParamInfo<GridCase>& info) { return std::string(info.param.name); });

// The 128-entry sign table of ggml (ksigns_iq2xs) is the 7-bit code completed to even parity.
TEST(IqSignsTest, EvenParityTableMatchesEcosystem) {
  uint8_t table[128];
  for (uint32_t code = 0; code < 128; ++code) {
    table[code] = quants::EvenParitySigns(code);
    EXPECT_EQ(__builtin_popcount(table[code]) % 2, 0) << code;
    EXPECT_EQ(table[code] & 0x7f, code);
  }
  EXPECT_EQ(table[1], 129);
  EXPECT_EQ(table[3], 3);
  EXPECT_EQ(Fnv1a64(table, sizeof(table)), 0xf19ba8f8c3292ba5ull);
  EXPECT_EQ(quants::EvenParitySigns(0x1ff), quants::EvenParitySigns(0x7f)) << "only the low 7 bits count";
}

// ---------------------------------------------------------------------------------------------------------------
// IQ4_XS quantizer.
std::vector<float> RoundTripIq4Xs(const std::vector<float>& x) {
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> packed(RowBytes(GgmlType::kIQ4_XS, n).value());
  EXPECT_TRUE(QuantizeRow(GgmlType::kIQ4_XS, x.data(), packed.data(), n).ok());
  std::vector<float> y(x.size());
  EXPECT_TRUE(DequantizeRow(GgmlType::kIQ4_XS, packed.data(), y.data(), n).ok());
  return y;
}

double Rmse(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return std::sqrt(sum / static_cast<double>(a.size()));
}

std::vector<float> Gaussian(size_t n, float sigma, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

TEST(Iq4XsQuantizeTest, GaussianRoundTripRmse) {
  // 256 blocks of N(0, 1): measured RMSE 0.07685; llama.cpp's quantize_row_iq4_xs_ref gives 0.07697 on the same data.
  const std::vector<float> x = Gaussian(256 * kBlockElems, 1.0f, 1234);
  const double rmse = Rmse(x, RoundTripIq4Xs(x));
  EXPECT_LT(rmse, 0.0775);
  EXPECT_GT(rmse, 0.070) << "suspiciously good: is the round trip really quantizing?";
}

TEST(Iq4XsQuantizeTest, ScaleInvariance) {
  // The relative error does not depend on the magnitude of the data (measured 0.0766..0.0770 at each sigma),
  // including small data where the f16 super-scale loses precision.
  for (float sigma : {1e-3f, 0.02f, 50.0f}) {
    const std::vector<float> x = Gaussian(16 * kBlockElems, sigma, 99);
    EXPECT_LT(Rmse(x, RoundTripIq4Xs(x)) / sigma, 0.0785) << "sigma " << sigma;
  }
}

TEST(Iq4XsQuantizeTest, ZeroGroupsDecodeToExactZero) {
  std::vector<float> x(2 * kBlockElems, 0.0f);
  x[kBlockElems + 37] = 0.5f;  // block 1, group 1; every other group of both blocks is all zero
  std::vector<uint8_t> packed(2 * 136);
  ASSERT_TRUE(QuantizeRow(GgmlType::kIQ4_XS, x.data(), packed.data(), 2 * kBlockElems).ok());
  EXPECT_EQ(packed[0], 0);  // all-zero block: super-scale +0
  EXPECT_EQ(packed[1], 0);
  const std::vector<float> y = RoundTripIq4Xs(x);
  for (size_t i = 0; i < y.size(); ++i) {
    const bool in_nonzero_group = i / 32 == (kBlockElems + 37) / 32;
    if (!in_nonzero_group) {
      EXPECT_EQ(y[i], 0.0f) << i;
    }
  }
  EXPECT_NEAR(y[kBlockElems + 37], 0.5f, 0.5f * 0.01f);
  // IQ4_NL has no zero level: zeros beside a non-zero value decode to the smallest level, +-scale.
  for (int j = 0; j < 32; ++j) {
    if (j != 37 - 32) {
      EXPECT_LE(std::fabs(y[kBlockElems + 32 + j]), 0.5f / 100) << j;
    }
  }
}

TEST(Iq4XsQuantizeTest, OutlierKeptAccurately) {
  std::vector<float> x = Gaussian(kBlockElems, 1.0f, 7);
  x[100] = 40.0f;   // one outlier in group 3
  x[200] = -25.0f;  // and a negative one in group 6
  const std::vector<float> y = RoundTripIq4Xs(x);
  EXPECT_NEAR(y[100], 40.0f, 40.0f * 0.02f);
  EXPECT_NEAR(y[200], -25.0f, 25.0f * 0.03f);
  // Groups without an outlier keep their own scale and quality.
  std::vector<float> x0(x.begin(), x.begin() + 64), y0(y.begin(), y.begin() + 64);
  EXPECT_LT(Rmse(x0, y0), 0.11);
}

TEST(Iq4XsQuantizeTest, ExtremesStayFinite) {
  std::vector<float> x = Gaussian(kBlockElems, 1.0f, 3);
  x[0] = 3e9f;  // beyond what an f16 super-scale can express: saturates instead of producing inf
  x[1] = 1e-30f;
  for (float v : RoundTripIq4Xs(x)) EXPECT_TRUE(std::isfinite(v));
}

TEST(Iq4XsQuantizeTest, QuantizedValuesAreFixedPoints) {
  // Re-quantizing decoded IQ4_XS data reproduces it: every value is already on the grid the quantizer can pick.
  const std::vector<float> y = RoundTripIq4Xs(Gaussian(8 * kBlockElems, 1.0f, 5));
  EXPECT_LT(Rmse(y, RoundTripIq4Xs(y)), 1e-6);
}

TEST(Iq4XsQuantizeTest, RejectsPartialBlocks) {
  std::vector<float> x(300, 1.0f);
  std::vector<uint8_t> packed(1024);
  EXPECT_FALSE(QuantizeRow(GgmlType::kIQ4_XS, x.data(), packed.data(), 300).ok());
}

}  // namespace
}  // namespace baleen
