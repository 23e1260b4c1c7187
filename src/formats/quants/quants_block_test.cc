// The tests every block format's family instantiates (quants_test_helpers.h: BlockFormatTest, RoundTripErrorTest):
// written once here so that a new format is covered by adding it to its family's list of types and bounds.
#include <gtest/gtest.h>

#include "formats/quants/quants.h"
#include "formats/quants/quants_test_helpers.h"

namespace baleen::testing {
namespace {

TEST_P(BlockFormatTest, DecodesKnownAnswers) { ExpectKnownAnswers(GetParam()); }

TEST_P(BlockFormatTest, RejectsPartialBlocks) { ExpectPartialBlocksRejected(GetParam()); }

TEST_P(BlockFormatTest, HasBothDirections) {
  EXPECT_TRUE(CanDequantize(GetParam()));
  EXPECT_TRUE(CanQuantize(GetParam()));
}

TEST_P(RoundTripErrorTest, ErrorWithinBounds) { ExpectRoundTripsWithin(GetParam()); }

}  // namespace
}  // namespace baleen::testing
