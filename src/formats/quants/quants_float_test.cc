// Tests for the plain element types: F32, F16, BF16, F64 and I8..I64. Formats layer.
// Decoders against numpy known answers (tools/quant_vectors/make_vectors.py); the F16/BF16 encoders against the
// base/float16.h conversions they must equal, exhaustively over every 16-bit pattern.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "base/float16.h"
#include "formats/quants/quants.h"
#include "formats/quants/quants_test_helpers.h"

namespace baleen {
namespace {

using namespace testing;  // the shared helpers (quants_test_helpers.h)

constexpr GgmlType kPlainTypes[] = {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kF64,
                                    GgmlType::kI8,  GgmlType::kI16, GgmlType::kI32,  GgmlType::kI64};

class PlainTypeTest : public ::testing::TestWithParam<GgmlType> {};

TEST_P(PlainTypeTest, DecodesKnownAnswers) { testing::ExpectKnownAnswers(GetParam()); }

TEST_P(PlainTypeTest, Decodes) { EXPECT_TRUE(CanDequantize(GetParam())); }

INSTANTIATE_TEST_SUITE_P(Plain, PlainTypeTest, ::testing::ValuesIn(kPlainTypes),
                         [](const auto& info) { return std::string(GgmlTypeName(info.param)); });

TEST(PlainTypes, OnlyFloatTypesEncode) {
  EXPECT_TRUE(CanQuantize(GgmlType::kF32));
  EXPECT_TRUE(CanQuantize(GgmlType::kF16));
  EXPECT_TRUE(CanQuantize(GgmlType::kBF16));
  const float row[4] = {1, 2, 3, 4};
  uint8_t bytes[32];
  for (GgmlType type : {GgmlType::kF64, GgmlType::kI8, GgmlType::kI16, GgmlType::kI32, GgmlType::kI64}) {
    EXPECT_FALSE(CanQuantize(type)) << GgmlTypeName(type);
    EXPECT_EQ(QuantizeRow(type, row, bytes, 4).code(), StatusCode::kUnimplemented) << GgmlTypeName(type);
  }
}

TEST(F32, RoundTripKeepsEveryBit) {
  const std::vector<float> row = {0.0f, -0.0f, 1.5f, std::numeric_limits<float>::denorm_min(),
                                  std::numeric_limits<float>::max(), std::numeric_limits<float>::infinity(),
                                  -std::numeric_limits<float>::infinity(), BitsToFloat(0x7fc01234u)};
  const std::vector<uint8_t> bytes = Quantize(GgmlType::kF32, row);
  ASSERT_EQ(bytes.size(), 4 * row.size());
  EXPECT_EQ(std::memcmp(bytes.data(), row.data(), bytes.size()), 0);
  const std::vector<float> decoded = Dequantize(GgmlType::kF32, bytes, static_cast<int64_t>(row.size()));
  EXPECT_EQ(std::memcmp(decoded.data(), row.data(), bytes.size()), 0);
}

// Every 16-bit pattern decodes to the base conversion's float and encodes back to itself (NaNs to a NaN).
void ExpectEverySixteenBitPatternRoundTrips(GgmlType type, float (*to_float)(uint16_t)) {
  std::vector<uint16_t> patterns(1 << 16);
  for (uint32_t h = 0; h < patterns.size(); ++h) patterns[h] = static_cast<uint16_t>(h);
  std::vector<uint8_t> bytes(2 * patterns.size());
  std::memcpy(bytes.data(), patterns.data(), bytes.size());
  const std::vector<float> decoded = Dequantize(type, bytes, static_cast<int64_t>(patterns.size()));
  const std::vector<uint8_t> encoded = Quantize(type, decoded);
  for (uint32_t h = 0; h < patterns.size(); ++h) {
    const float expected = to_float(static_cast<uint16_t>(h));
    uint16_t again;
    std::memcpy(&again, encoded.data() + 2 * h, 2);
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(decoded[h])) << h;
      ASSERT_TRUE(std::isnan(to_float(again))) << h;
      continue;
    }
    ASSERT_EQ(FloatBits(decoded[h]), FloatBits(expected)) << h;
    ASSERT_EQ(again, h);
  }
}

TEST(F16, EveryPatternRoundTrips) { ExpectEverySixteenBitPatternRoundTrips(GgmlType::kF16, Fp16ToFloat); }

TEST(BF16, EveryPatternRoundTrips) { ExpectEverySixteenBitPatternRoundTrips(GgmlType::kBF16, Bf16ToFloat); }

// Round to nearest leaves at most half an ulp of relative error; on Gaussian data the relative RMSE measures
// 0.000210 (F16, 11-bit significand) and 0.00166 (BF16, 8-bit). Bounds a few percent above.
TEST(F16, GaussianRoundTripError) {
  const std::vector<float> row = GaussianRow(testing::kRoundTripElems, 40);
  EXPECT_LT(RelativeRmse(row, RoundTrip(GgmlType::kF16, row)), 0.00022);
  for (float v : RoundTrip(GgmlType::kF16, row)) ASSERT_TRUE(std::isfinite(v));
}

TEST(BF16, GaussianRoundTripError) {
  const std::vector<float> row = GaussianRow(testing::kRoundTripElems, 41);
  EXPECT_LT(RelativeRmse(row, RoundTrip(GgmlType::kBF16, row)), 0.0017);
}

TEST(F16, EncoderMatchesBaseConversionOnFloats) {
  // Floats spread over every exponent, including values that overflow fp16 or fall below its subnormals.
  std::vector<float> row;
  for (uint32_t bits = 0; bits < 0xFFFFFFFFu - 0x01000193u; bits += 0x01000193u) row.push_back(BitsToFloat(bits));
  const std::vector<uint8_t> bytes = Quantize(GgmlType::kF16, row);
  for (size_t i = 0; i < row.size(); ++i) {
    uint16_t half;
    std::memcpy(&half, bytes.data() + 2 * i, 2);
    ASSERT_EQ(half, FloatToFp16(row[i])) << row[i];
  }
}

TEST(PlainTypes, RejectNegativeCounts) {
  float row[2] = {};
  uint8_t bytes[8] = {};
  EXPECT_EQ(QuantizeRow(GgmlType::kF16, row, bytes, -1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DequantizeRow(GgmlType::kI32, bytes, row, -2).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(DequantizeRow(GgmlType::kI32, bytes, row, 0).ok());
}

}  // namespace
}  // namespace baleen
