#include "common/status.h"

#include <gtest/gtest.h>

namespace tracery {
namespace {

Result<int> ParsePositive(int x) {
  if (x <= 0) return Status::InvalidArgument("x must be positive");
  return x;
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s.HttpStatus(), 200);
}

TEST(StatusTest, ErrorCarriesCodeMessageAndHttpMapping) {
  Status s = Status::TooLarge("body is 5 MiB, limit 4 MiB");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kTooLarge);
  EXPECT_EQ(s.ToString(), "TooLarge: body is 5 MiB, limit 4 MiB");
  EXPECT_EQ(s.HttpStatus(), 413);
  EXPECT_EQ(Status::ResourceExhausted("").HttpStatus(), 429);
  EXPECT_EQ(Status::Unavailable("").HttpStatus(), 503);
  EXPECT_EQ(Status::InvalidArgument("").HttpStatus(), 400);
}

TEST(ResultTest, HoldsValueOrStatus) {
  auto good = ParsePositive(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  auto bad = ParsePositive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "x must be positive");
}

}  // namespace
}  // namespace tracery
