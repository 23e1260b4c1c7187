// Tests for the 32-element block (de)quantizers: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, IQ4_NL, MXFP4. Formats layer.
// Decoders against numpy known answers (tools/quant_vectors/make_vectors.py); encoders against ggml's bytes, by
// round-trip error, by stability under requantization, and on hand-worked blocks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "base/float16.h"
#include "formats/quants/quants.h"
#include "formats/quants/quants_test_helpers.h"

namespace baleen {
namespace {

using namespace testing;  // the shared helpers (quants_test_helpers.h)

constexpr GgmlType kLegacyTypes[] = {GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0,   GgmlType::kQ5_1,
                                     GgmlType::kQ8_0, GgmlType::kQ8_1, GgmlType::kIQ4_NL, GgmlType::kMXFP4};

INSTANTIATE_TEST_SUITE_P(Legacy, BlockFormatTest, ::testing::ValuesIn(kLegacyTypes), testing::TypeParamName);

// Measured relative RMSE (gaussian / negative-only / tiny / constant); bounds are about 3% above:
//   Q4_0 .0854 .0840 .0844 .00032   Q4_1 .0774 .0436 .0767 .00032   Q5_0 .0423 .0421 .0423 .00032
//   Q5_1 .0377 .0213 .0372 .00032   Q8_0 .0053 .0053 .0054 .00030   Q8_1 as Q8_0
//   IQ4_NL .0751 .0740 .0757 .00030   MXFP4 .1145 .1137 .1153 .0135
// The constant row's error is fp16's rounding of the scale (0.37 needs more than 11 bits); MXFP4's is its grid.
constexpr RoundTripBounds kLegacyBounds[] = {
    {GgmlType::kQ4_0, 0.088, 0.087, 0.087, 0.00035},      {GgmlType::kQ4_1, 0.080, 0.045, 0.079, 0.00035},
    {GgmlType::kQ5_0, 0.0436, 0.0434, 0.0436, 0.00035},   {GgmlType::kQ5_1, 0.0388, 0.0220, 0.0384, 0.00035},
    {GgmlType::kQ8_0, 0.0055, 0.0055, 0.0056, 0.00033},   {GgmlType::kQ8_1, 0.0055, 0.0055, 0.0056, 0.00033},
    {GgmlType::kIQ4_NL, 0.0775, 0.0765, 0.0780, 0.00033}, {GgmlType::kMXFP4, 0.118, 0.117, 0.119, 0.0140},
};

INSTANTIATE_TEST_SUITE_P(Legacy, RoundTripErrorTest, ::testing::ValuesIn(kLegacyBounds), testing::BoundsParamName);

// Formats whose encoder is a pure function of the block's extremes reproduce their own output exactly: the
// extreme decodes onto the same scale and every other value onto its own code. (Q4_1/Q5_1 hold while the offset is
// less than about 2^20 steps; IQ4_NL's scale search may settle elsewhere on the second pass.)
class StableLegacyTypeTest : public ::testing::TestWithParam<GgmlType> {};

TEST_P(StableLegacyTypeTest, RequantizesToSameBytes) { testing::ExpectRequantizationIsStable(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Legacy, StableLegacyTypeTest,
                         ::testing::Values(GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0, GgmlType::kQ5_1,
                                           GgmlType::kQ8_0, GgmlType::kMXFP4),
                         [](const auto& info) { return std::string(GgmlTypeName(info.param)); });

// Q8_1's s field is computed from the unrounded d, so only the values are stable, not the bytes.
TEST(Q8_1, RequantizesToSameValues) {
  const std::vector<float> row = GaussianRow(testing::kRoundTripElems, 20);
  const std::vector<float> once = Dequantize(GgmlType::kQ8_1, Quantize(GgmlType::kQ8_1, row), testing::kRoundTripElems);
  const std::vector<float> twice =
      Dequantize(GgmlType::kQ8_1, Quantize(GgmlType::kQ8_1, once), testing::kRoundTripElems);
  EXPECT_EQ(once, twice);
}

// The encoders take ggml's reference steps in ggml's float order, so their bytes equal llama-quantize's (without
// an importance matrix). Fingerprints of the bytes that ggml's quantize_row_*_ref / quantize_iq4_nl produced for
// this row, built out of tree from llama.cpp d32676d7 (ggml/src/ggml-quants.c). A change here is a format
// incompatibility unless ggml changed too.
TEST(Legacy, EncodesLikeGgml) {
  constexpr std::pair<GgmlType, uint64_t> kGgmlFingerprints[] = {
      {GgmlType::kQ4_0, 0xee66b88f84a1d2fbu},   {GgmlType::kQ4_1, 0xf7abdb539e0a9c0eu},
      {GgmlType::kQ5_0, 0x0c0835c0b5b3a3b5u},   {GgmlType::kQ5_1, 0x6cc135c4d97cc160u},
      {GgmlType::kQ8_0, 0xe9f12630c6c37050u},   {GgmlType::kQ8_1, 0x1921b58479a7e44eu},
      {GgmlType::kIQ4_NL, 0x01e30f1a51828f1au}, {GgmlType::kMXFP4, 0xf98c4678b473e7aeu},
  };
  const std::vector<float> row = testing::PortableNormalRow(256 * 16, 50);
  for (const auto& [type, fingerprint] : kGgmlFingerprints) {
    EXPECT_EQ(testing::Fingerprint(Quantize(type, row)), fingerprint) << GgmlTypeName(type);
  }
}

// ---- Hand-worked blocks --------------------------------------------------------------------------------------

uint16_t HalfAt(const std::vector<uint8_t>& bytes, size_t offset) {
  uint16_t h;
  std::memcpy(&h, bytes.data() + offset, 2);
  return h;
}

TEST(Q8_0, EncodesHandWorkedBlock) {
  std::vector<float> row(32);
  for (int j = 0; j < 32; ++j) row[j] = static_cast<float>(j - 16) * 0.5f;  // -8 .. 7.5
  const std::vector<uint8_t> bytes = Quantize(GgmlType::kQ8_0, row);
  ASSERT_EQ(bytes.size(), 34u);
  EXPECT_EQ(HalfAt(bytes, 0), FloatToFp16(8.0f / 127));  // d = amax / 127
  EXPECT_EQ(static_cast<int8_t>(bytes[2]), -127);         // -8 -> -127
  EXPECT_EQ(static_cast<int8_t>(bytes[2 + 16]), 0);
  EXPECT_EQ(static_cast<int8_t>(bytes[2 + 17]), 8);       // 0.5 * 127 / 8 = 7.94 -> 8
}

TEST(Q8_0, RoundsHalfAwayFromZero) {
  // With amax = 127 the scale is exactly 1 and x = 2.5 sits on a tie: ggml's roundf gives 3, not 2 (to even).
  std::vector<float> row(32, 0.0f);
  row[0] = 127.0f;
  row[1] = 2.5f;
  row[2] = -2.5f;
  const std::vector<uint8_t> bytes = Quantize(GgmlType::kQ8_0, row);
  EXPECT_EQ(static_cast<int8_t>(bytes[3]), 3);
  EXPECT_EQ(static_cast<int8_t>(bytes[4]), -3);
}

TEST(Q8_1, StoresScaledSum) {
  const std::vector<float> row = GaussianRow(32, 21);
  const std::vector<uint8_t> bytes = Quantize(GgmlType::kQ8_1, row);
  int sum = 0;
  for (int j = 0; j < 32; ++j) sum += static_cast<int8_t>(bytes[4 + j]);
  float amax = 0.0f;
  for (float v : row) amax = std::max(amax, std::fabs(v));
  EXPECT_EQ(HalfAt(bytes, 2), FloatToFp16(static_cast<float>(sum) * (amax / 127)));
}

TEST(Q4_0, MapsLargestMagnitudeToMostNegativeCode) {
  // The largest |x| is positive here (+4), so d = -4/8 = -0.5 and +4 takes code 0; the other side (-3.5 at
  // code 15) keeps a whole step of headroom.
  std::vector<float> row(32, 0.0f);
  row[0] = 4.0f;
  row[17] = -3.5f;
  const std::vector<uint8_t> bytes = Quantize(GgmlType::kQ4_0, row);
  EXPECT_EQ(HalfAt(bytes, 0), FloatToFp16(-0.5f));
  EXPECT_EQ(bytes[2] & 0xF, 0);        // element 0: low nibble of byte 0
  EXPECT_EQ(bytes[2 + 1] >> 4, 15);    // element 17: high nibble of byte 1
  EXPECT_EQ(bytes[2 + 5] & 0xF, 8);    // zeros sit on code 8
  const std::vector<float> decoded = Dequantize(GgmlType::kQ4_0, bytes, 32);
  EXPECT_EQ(decoded[0], 4.0f);
  EXPECT_EQ(decoded[17], -3.5f);
}

TEST(Q5_1, StoresFifthBitPerElement) {
  std::vector<float> row(32);
  for (int j = 0; j < 32; ++j) row[j] = static_cast<float>(j);  // codes 0..31 with d = 1, m = 0
  const std::vector<uint8_t> bytes = Quantize(GgmlType::kQ5_1, row);
  uint32_t fifth_bits;
  std::memcpy(&fifth_bits, bytes.data() + 4, 4);
  EXPECT_EQ(fifth_bits, 0xFFFF0000u);  // elements 16..31 have codes >= 16
  EXPECT_EQ(Dequantize(GgmlType::kQ5_1, bytes, 32), row);
}

TEST(MXFP4, EncodesE2M1Grid) {
  // amax = 6 -> shared exponent floor(log2 6) - 2 = 0, so the block holds the E2M1 values themselves.
  const std::vector<float> row = {0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.5, -1, -1.5, -2, -3, -4, -6, 0,
                                  0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.5, -1, -1.5, -2, -3, -4, -6, 0};
  const std::vector<uint8_t> bytes = Quantize(GgmlType::kMXFP4, row);
  EXPECT_EQ(bytes[0], 127);
  EXPECT_EQ(Dequantize(GgmlType::kMXFP4, bytes, 32), row);
  EXPECT_EQ(bytes[1] & 0xF, 0);  // zero takes +0 (code 0), not -0 (code 8)
}

// IQ4_NL's encoder searches the block scale. Compared with the plain choice (extreme element onto the table's
// end, d = max / -127) it must never be worse in its own weighted error sum x^2 (x - d q)^2 and clearly better on
// average.
double WeightedIQ4NLError(const std::vector<float>& row, const std::vector<float>& decoded, int block) {
  double error = 0.0;
  for (int j = 32 * block; j < 32 * block + 32; ++j) {
    const double diff = static_cast<double>(decoded[j]) - row[j];
    error += static_cast<double>(row[j]) * row[j] * diff * diff;
  }
  return error;
}

TEST(IQ4_NL, SearchedScaleBeatsPlainScale) {
  constexpr int kBlocks = 256;
  constexpr int8_t kValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
  const std::vector<float> row = GaussianRow(32 * kBlocks, 22);
  const std::vector<float> searched = Dequantize(GgmlType::kIQ4_NL, Quantize(GgmlType::kIQ4_NL, row), 32 * kBlocks);
  std::vector<float> plain(row.size());
  for (int block = 0; block < kBlocks; ++block) {
    float max = 0.0f;
    for (int j = 32 * block; j < 32 * block + 32; ++j) max = std::fabs(row[j]) > std::fabs(max) ? row[j] : max;
    const float d = Fp16ToFloat(FloatToFp16(max / -127));
    for (int j = 32 * block; j < 32 * block + 32; ++j) {
      float best = d * kValues[0];
      for (int8_t q : kValues) best = std::fabs(d * q - row[j]) < std::fabs(best - row[j]) ? d * q : best;
      plain[j] = best;
    }
  }
  double searched_total = 0.0, plain_total = 0.0;
  for (int block = 0; block < kBlocks; ++block) {
    const double searched_error = WeightedIQ4NLError(row, searched, block);
    const double plain_error = WeightedIQ4NLError(row, plain, block);
    EXPECT_LE(searched_error, plain_error * 1.01) << "block " << block;  // 1%: fp16 rounding of the searched d
    searched_total += searched_error;
    plain_total += plain_error;
  }
  EXPECT_LT(searched_total, 0.87 * plain_total);  // measured 0.83
  EXPECT_LT(RelativeRmse(row, searched), RelativeRmse(row, plain));
}

}  // namespace
}  // namespace baleen
