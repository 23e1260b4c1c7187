// Tests for Status, Result<T> and the propagation macros. Base layer.
#include "base/status.h"

#include <gtest/gtest.h>

namespace baleen {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd value " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int half, Half(x));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(Status, PropagatesFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  const Result<int> bad = Quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "odd value 3");
}

TEST(Status, WithFieldNamesTheFieldAndSurvivesContext) {
  const Status s = InvalidArgument("bad name").WithField("messages[1].name").WithContext("prompt");
  EXPECT_EQ(s.field(), "messages[1].name");
  EXPECT_EQ(s.message(), "prompt: bad name");
  EXPECT_TRUE(Status::Ok().WithField("x").field().empty());  // an OK status names no field
}

TEST(Status, WithContextPrefixesMessage) {
  const Status s = DataLoss("truncated").WithContext("model.gguf");
  EXPECT_EQ(s.ToString(), "DATA_LOSS: model.gguf: truncated");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

}  // namespace
}  // namespace baleen
