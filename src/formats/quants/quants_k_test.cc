// Tests for the K-quant (de)quantizers: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, and their bit and scale packing.
// Formats layer. Decoders against numpy known answers (tools/quant_vectors/make_vectors.py); encoders against
// ggml's bytes, by round-trip error on standard rows, and against the simpler formats of the same width.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "formats/quants/quants.h"
#include "formats/quants/quants_k_blocks.h"
#include "formats/quants/quants_test_helpers.h"

namespace baleen {
namespace {

using namespace testing;  // the shared helpers (quants_test_helpers.h)

constexpr GgmlType kKTypes[] = {GgmlType::kQ2_K, GgmlType::kQ3_K, GgmlType::kQ4_K,
                                GgmlType::kQ5_K, GgmlType::kQ6_K, GgmlType::kQ8_K};

INSTANTIATE_TEST_SUITE_P(KQuants, BlockFormatTest, ::testing::ValuesIn(kKTypes), testing::TypeParamName);

class KTypeTest : public ::testing::TestWithParam<GgmlType> {};

// Sub-blocks that are all zero decode to exact zeros even when their neighbours set large super-block scales.
TEST_P(KTypeTest, ZeroSubBlocksStayZero) {
  std::vector<float> row = GaussianRow(4 * 256, 30);
  for (size_t i = 0; i < row.size(); ++i) {
    if ((i / 32) % 2 == 1) row[i] = 0.0f;
  }
  const std::vector<float> decoded = RoundTrip(GetParam(), row);
  for (size_t i = 0; i < row.size(); ++i) {
    if ((i / 32) % 2 == 1) {
      ASSERT_EQ(decoded[i], 0.0f) << "element " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(KQuants, KTypeTest, ::testing::ValuesIn(kKTypes), testing::TypeParamName);

// Measured relative RMSE (gaussian / negative-only / tiny / constant); bounds are about 3% above:
//   Q2_K .2970 .1905 .2921 .00028   Q3_K .1515 .1436 .1502 .00032   Q4_K .0714 .0405 .0704 .00013
//   Q5_K .0361 .0210 .0366 .00015   Q6_K .0178 .0176 .0204 .00026   Q8_K .0070 .0068 .0069 0
// These are the errors of ggml's reference encoders (the bytes are identical, see EncodesLikeGgml). A 4-bit format
// cannot do much better on Gaussian data: the step is about 4 sigma / 15 per 32 elements, step / sqrt(12) = 0.08.
constexpr RoundTripBounds kKBounds[] = {
    {GgmlType::kQ2_K, 0.306, 0.196, 0.301, 0.0003},      {GgmlType::kQ3_K, 0.156, 0.148, 0.155, 0.00035},
    {GgmlType::kQ4_K, 0.0736, 0.0418, 0.0726, 0.00015},  {GgmlType::kQ5_K, 0.0372, 0.0217, 0.0377, 0.00017},
    {GgmlType::kQ6_K, 0.0184, 0.0181, 0.0210, 0.00029},  {GgmlType::kQ8_K, 0.0072, 0.0070, 0.0071, 0.000001},
};

INSTANTIATE_TEST_SUITE_P(KQuants, RoundTripErrorTest, ::testing::ValuesIn(kKBounds), testing::BoundsParamName);

// Fingerprints of the bytes ggml's quantize_row_*_K_ref produced for this row (llama.cpp d32676d7, built out of
// tree): the encoders are byte-compatible with llama-quantize without an importance matrix. A change here is a
// format incompatibility unless ggml changed too.
TEST(KQuants, EncodesLikeGgml) {
  constexpr std::pair<GgmlType, uint64_t> kGgmlFingerprints[] = {
      {GgmlType::kQ2_K, 0x5dd46b19caf1f88du}, {GgmlType::kQ3_K, 0x17ac7e32c78d2212u},
      {GgmlType::kQ4_K, 0xfd57e96040e2436cu}, {GgmlType::kQ5_K, 0xe0de8ca90a600d10u},
      {GgmlType::kQ6_K, 0xfd73e297651cf297u}, {GgmlType::kQ8_K, 0xc556c1393082e667u},
  };
  const std::vector<float> row = testing::PortableNormalRow(256 * 16, 50);
  for (const auto& [type, fingerprint] : kGgmlFingerprints) {
    EXPECT_EQ(testing::Fingerprint(Quantize(type, row)), fingerprint) << GgmlTypeName(type);
  }
}

// The scale searches must earn their keep: at the same code width the K formats, despite storing their
// sub-block scales in 6 bits, beat the min/max grids of the legacy formats.
TEST(KQuants, SearchedScalesBeatMinMaxGrids) {
  const std::vector<float> row = GaussianRow(testing::kRoundTripElems, 31);
  const auto error = [&row](GgmlType type) { return RelativeRmse(row, RoundTrip(type, row)); };
  EXPECT_LT(error(GgmlType::kQ4_K), 0.95 * error(GgmlType::kQ4_1));  // measured 0.92
  EXPECT_LT(error(GgmlType::kQ5_K), 0.98 * error(GgmlType::kQ5_1));  // measured 0.96
}

TEST(Q8_K, StoresFloatScaleAndSums) {
  const std::vector<float> row = GaussianRow(256, 32);
  const std::vector<uint8_t> bytes = Quantize(GgmlType::kQ8_K, row);
  quants::BlockQ8_K block;
  ASSERT_EQ(bytes.size(), sizeof(block));
  std::memcpy(&block, bytes.data(), sizeof(block));
  float max = 0.0f;
  for (float v : row) max = std::fabs(v) > std::fabs(max) ? v : max;
  EXPECT_EQ(block.d, 1 / (-127 / max));  // the extreme element takes code -127 (not -128)
  for (int sub = 0; sub < 16; ++sub) {
    int sum = 0;
    for (int l = 0; l < 16; ++l) {
      EXPECT_GE(block.qs[16 * sub + l], -127);
      sum += block.qs[16 * sub + l];
    }
    EXPECT_EQ(block.bsums[sub], sum) << "sub-block " << sub;
  }
}

// ---- Packing helpers of quants_k_blocks.h --------------------------------------------------------------------

TEST(KBlockLayout, EveryElementHasItsOwnBits) {
  std::set<std::pair<int, int>> two_bit, high_bit, nibble, q6_low;
  for (int e = 0; e < 256; ++e) {
    const quants::BitPosition positions[] = {quants::TwoBitPosition(e), quants::HighBitPosition(e),
                                             quants::NibblePosition(e), quants::Q6LowPosition(e)};
    EXPECT_TRUE(two_bit.insert({positions[0].byte, positions[0].shift}).second) << e;
    EXPECT_TRUE(high_bit.insert({positions[1].byte, positions[1].shift}).second) << e;
    EXPECT_TRUE(nibble.insert({positions[2].byte, positions[2].shift}).second) << e;
    EXPECT_TRUE(q6_low.insert({positions[3].byte, positions[3].shift}).second) << e;
    EXPECT_LT(positions[0].byte, 64);
    EXPECT_LT(positions[1].byte, 32);
    EXPECT_LT(positions[2].byte, 128);
    EXPECT_LT(positions[3].byte, 128);
  }
}

TEST(KBlockLayout, ScaleMinPackingRoundTrips) {
  // Each (scale, min) pair must come back from every slot, whatever the other slots hold.
  for (int value = 0; value < 64; ++value) {
    for (int slot = 0; slot < 8; ++slot) {
      uint8_t scale_codes[8], min_codes[8], packed[12];
      for (int j = 0; j < 8; ++j) {
        scale_codes[j] = static_cast<uint8_t>(j == slot ? value : 63 - j);
        min_codes[j] = static_cast<uint8_t>(j == slot ? 63 - value : j * 9);
      }
      quants::PackScaleMins(scale_codes, min_codes, packed);
      for (int j = 0; j < 8; ++j) {
        const quants::ScaleMin unpacked = quants::UnpackScaleMin(packed, j);
        ASSERT_EQ(unpacked.scale, scale_codes[j]) << "slot " << j;
        ASSERT_EQ(unpacked.min, min_codes[j]) << "slot " << j;
      }
    }
  }
}

TEST(KBlockLayout, Q3ScalePackingRoundTrips) {
  for (int value = 0; value < 64; ++value) {
    uint8_t codes[16], packed[12];
    for (int j = 0; j < 16; ++j) codes[j] = static_cast<uint8_t>((value + 5 * j) % 64);
    quants::PackQ3ScaleCodes(codes, packed);
    for (int j = 0; j < 16; ++j) ASSERT_EQ(quants::UnpackQ3ScaleCode(packed, j), codes[j]) << j;
  }
}

}  // namespace
}  // namespace baleen
