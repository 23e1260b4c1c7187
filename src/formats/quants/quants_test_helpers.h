// Test helpers for the reference (de)quantizers: known-answer comparison, reproducible Gaussian rows, round trips
// and their relative RMSE. Formats layer, tests only.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "formats/ggml_type.h"
#include "formats/quants/quant_test_vectors.h"
#include "formats/quants/quants.h"

namespace baleen::testing {

inline uint32_t FloatBitsOf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

// Equal bits, both NaN (payloads may differ between converters), or finite with the same sign and at most one
// unit in the last place apart.
inline ::testing::AssertionResult FloatsMatch(float expected, float actual) {
  if (FloatBitsOf(expected) == FloatBitsOf(actual)) return ::testing::AssertionSuccess();
  if (std::isnan(expected) && std::isnan(actual)) return ::testing::AssertionSuccess();
  if (std::isfinite(expected) && std::isfinite(actual) && std::signbit(expected) == std::signbit(actual)) {
    const uint32_t a = FloatBitsOf(expected) & 0x7fffffffu;
    const uint32_t b = FloatBitsOf(actual) & 0x7fffffffu;
    if ((a > b ? a - b : b - a) <= 1) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected " << expected << " (bits 0x" << std::hex << FloatBitsOf(expected)
                                       << "), got " << std::dec << actual << " (bits 0x" << std::hex
                                       << FloatBitsOf(actual) << ")";
}

// Dequantizes tests/data/quants/<type>.kat and compares every value with the file's expectation.
inline void ExpectKnownAnswers(GgmlType type) {
  const QuantVectors vectors = LoadQuantVectors(GgmlTypeName(type));
  ASSERT_TRUE(vectors.ok) << vectors.error;
  ASSERT_EQ(vectors.type, type);
  ASSERT_GT(vectors.n_blocks, 0u);
  const int64_t n_elems = static_cast<int64_t>(vectors.expected.size());
  std::vector<float> actual(vectors.expected.size());
  ASSERT_TRUE(DequantizeRow(type, vectors.blocks.data(), actual.data(), n_elems).ok());
  int n_mismatches = 0;
  for (int64_t i = 0; i < n_elems && n_mismatches < 10; ++i) {
    const ::testing::AssertionResult match = FloatsMatch(vectors.expected[i], actual[i]);
    if (!match) {
      ADD_FAILURE() << GgmlTypeName(type) << " element " << i << " (block " << i / GetGgmlTypeInfo(type).block_elems
                    << "): " << match.message();
      ++n_mismatches;
    }
  }
}

// Standard normal samples from a fixed seed. Box-Muller over mt19937's raw output, because
// std::normal_distribution's algorithm differs between standard libraries and the RMSE bounds are tight.
inline std::vector<float> GaussianRow(int64_t n_elems, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  auto uniform = [&rng] { return (static_cast<double>(rng()) + 0.5) / 4294967296.0; };  // (0, 1)
  std::vector<float> row(static_cast<size_t>(n_elems));
  for (int64_t i = 0; i < n_elems; i += 2) {
    const double radius = std::sqrt(-2.0 * std::log(uniform()));
    const double angle = 2.0 * 3.14159265358979323846 * uniform();
    row[i] = static_cast<float>(radius * std::cos(angle)) * sigma;
    if (i + 1 < n_elems) row[i + 1] = static_cast<float>(radius * std::sin(angle)) * sigma;
  }
  return row;
}

// Roughly normal values (a sum of four uniforms, rescaled to unit variance) made from integer random bits with
// exact double arithmetic and no libm calls, so the row is bit-identical on every platform: for tests that compare
// encoded bytes rather than error bounds.
inline std::vector<float> PortableNormalRow(int64_t n_elems, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> row(static_cast<size_t>(n_elems));
  for (float& v : row) {
    const uint64_t sum = uint64_t{rng()} + rng() + rng() + rng();
    v = static_cast<float>((static_cast<double>(sum) * 0x1p-32 - 2.0) * 1.7320508075688772);
  }
  return row;
}

// FNV-1a, 64 bits: a fingerprint of encoded bytes.
inline uint64_t Fingerprint(const std::vector<uint8_t>& bytes) {
  uint64_t hash = 0xcbf29ce484222325u;
  for (uint8_t b : bytes) hash = (hash ^ b) * 0x100000001b3u;
  return hash;
}

inline std::vector<uint8_t> Quantize(GgmlType type, const std::vector<float>& row) {
  const int64_t n_elems = static_cast<int64_t>(row.size());
  std::vector<uint8_t> bytes(RowBytes(type, n_elems).value(), 0xAA);  // poisoned: every byte must be written
  const Status status = QuantizeRow(type, row.data(), bytes.data(), n_elems);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return bytes;
}

inline std::vector<float> Dequantize(GgmlType type, const std::vector<uint8_t>& bytes, int64_t n_elems) {
  std::vector<float> row(static_cast<size_t>(n_elems));
  const Status status = DequantizeRow(type, bytes.data(), row.data(), n_elems);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return row;
}

inline std::vector<float> RoundTrip(GgmlType type, const std::vector<float>& row) {
  return Dequantize(type, Quantize(type, row), static_cast<int64_t>(row.size()));
}

// RMS of (decoded - original) over RMS of original; the absolute RMS error when the original is all zeros.
inline double RelativeRmse(const std::vector<float>& original, const std::vector<float>& decoded) {
  double error = 0.0;
  double energy = 0.0;
  for (size_t i = 0; i < original.size(); ++i) {
    const double diff = static_cast<double>(decoded[i]) - original[i];
    error += diff * diff;
    energy += static_cast<double>(original[i]) * original[i];
  }
  return energy > 0 ? std::sqrt(error / energy) : std::sqrt(error / static_cast<double>(original.size()));
}

// Relative RMSE bounds of one encoder on the standard rows below. Each is the measured value plus a margin of a
// few percent of itself, so a real bug (a lost bit, a misplaced nibble, a scale off by one step) exceeds it.
struct RoundTripBounds {
  GgmlType type;
  double gaussian;       // N(0, 1); also bounds the outlier row
  double negative_only;  // -|N(0, 1)|: formats with a min offset do better
  double tiny;           // N(0, 1e-3): block scales near fp16's subnormal range
  double constant;       // every element 0.37
};

inline void PrintTo(const RoundTripBounds& bounds, std::ostream* os) { *os << GgmlTypeName(bounds.type); }

constexpr int64_t kRoundTripElems = 256 * 32;

inline void ExpectRoundTripsWithin(const RoundTripBounds& bounds) {
  const GgmlType type = bounds.type;
  const std::vector<float> gaussian = GaussianRow(kRoundTripElems, 1);
  std::vector<float> negative = GaussianRow(kRoundTripElems, 2);
  for (float& v : negative) v = -std::fabs(v);
  const std::vector<float> tiny = GaussianRow(kRoundTripElems, 3, 1e-3f);
  const std::vector<float> constant(kRoundTripElems, 0.37f);
  const double gaussian_error = RelativeRmse(gaussian, RoundTrip(type, gaussian));
  const double negative_error = RelativeRmse(negative, RoundTrip(type, negative));
  const double tiny_error = RelativeRmse(tiny, RoundTrip(type, tiny));
  const double constant_error = RelativeRmse(constant, RoundTrip(type, constant));
  EXPECT_LT(gaussian_error, bounds.gaussian) << "gaussian";
  EXPECT_LT(negative_error, bounds.negative_only) << "negative only";
  EXPECT_LT(tiny_error, bounds.tiny) << "tiny";
  EXPECT_LT(constant_error, bounds.constant) << "constant";

  const std::vector<float> zeros(kRoundTripElems, 0.0f);
  for (float v : RoundTrip(type, zeros)) ASSERT_EQ(v, 0.0f) << "zeros must decode to zeros";

  // One element at about 3000 sigma: it must survive, and blocks without it must keep their usual accuracy.
  constexpr int64_t kOutlier = 1000;
  std::vector<float> outlier = GaussianRow(kRoundTripElems, 4);
  outlier[kOutlier] = 3000.0f;
  const std::vector<float> decoded = RoundTrip(type, outlier);
  EXPECT_LT(std::fabs(decoded[kOutlier] - 3000.0f) / 3000.0f, bounds.gaussian) << "the outlier itself";
  std::vector<float> rest_original, rest_decoded;
  for (int64_t i = 0; i < kRoundTripElems; ++i) {
    if (i / 256 == kOutlier / 256) continue;  // the outlier's super-block (and so its 32-element block)
    rest_original.push_back(outlier[i]);
    rest_decoded.push_back(decoded[i]);
  }
  EXPECT_LT(RelativeRmse(rest_original, rest_decoded), bounds.gaussian) << "blocks away from the outlier";

  // Far below fp16's range the block scales round to zero: the result must still be finite and small.
  const std::vector<float> vanishing = GaussianRow(kRoundTripElems, 5, 1e-12f);
  for (float v : RoundTrip(type, vanishing)) ASSERT_TRUE(std::isfinite(v) && std::fabs(v) < 1e-10f) << v;
}

// Quantizing a quantizer's own output must give back the same bytes: the decoded values lie exactly on the grid.
inline void ExpectRequantizationIsStable(GgmlType type) {
  for (uint32_t seed = 10; seed < 14; ++seed) {
    const std::vector<float> row = GaussianRow(kRoundTripElems, seed, seed == 13 ? 1e-3f : 1.0f);
    const std::vector<uint8_t> bytes = Quantize(type, row);
    const std::vector<float> decoded = Dequantize(type, bytes, kRoundTripElems);
    EXPECT_EQ(Quantize(type, decoded), bytes) << "seed " << seed;
  }
}

// A row that is not a whole number of blocks is an InvalidArgument naming the type, in both directions.
inline void ExpectPartialBlocksRejected(GgmlType type) {
  const int64_t block_elems = GetGgmlTypeInfo(type).block_elems;
  std::vector<float> row(static_cast<size_t>(2 * block_elems), 1.0f);
  std::vector<uint8_t> bytes(RowBytes(type, 2 * block_elems).value());
  for (const int64_t n_elems : {block_elems + 1, block_elems - 1, 2 * block_elems - 16, -block_elems}) {
    const Status quantized = QuantizeRow(type, row.data(), bytes.data(), n_elems);
    EXPECT_EQ(quantized.code(), StatusCode::kInvalidArgument) << n_elems;
    EXPECT_NE(quantized.message().find(GgmlTypeName(type)), std::string::npos) << quantized.message();
    const Status dequantized = DequantizeRow(type, bytes.data(), row.data(), n_elems);
    EXPECT_EQ(dequantized.code(), StatusCode::kInvalidArgument) << n_elems;
  }
  EXPECT_TRUE(QuantizeRow(type, row.data(), bytes.data(), 0).ok());
  EXPECT_TRUE(DequantizeRow(type, bytes.data(), row.data(), 0).ok());
}

// Parameterised suites the block formats' test files share: quants_block_test.cc defines their tests once, and each
// family's file instantiates them with its types (INSTANTIATE_TEST_SUITE_P(<Family>, BlockFormatTest, ...)).
// BlockFormatTest: known answers, partial blocks refused, both directions. RoundTripErrorTest: the round-trip error
// within the family's measured bounds.
class BlockFormatTest : public ::testing::TestWithParam<GgmlType> {};
class RoundTripErrorTest : public ::testing::TestWithParam<RoundTripBounds> {};

inline std::string TypeParamName(const ::testing::TestParamInfo<GgmlType>& info) {
  return GgmlTypeName(info.param);
}
inline std::string BoundsParamName(const ::testing::TestParamInfo<RoundTripBounds>& info) {
  return GgmlTypeName(info.param.type);
}

}  // namespace baleen::testing
