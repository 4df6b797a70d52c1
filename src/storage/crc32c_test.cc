#include "storage/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace tracery::storage::crc32c {
namespace {

TEST(Crc32c, MatchesStandardCheckValues) {
  EXPECT_EQ(Value("123456789", 9), 0xE3069283u);  // RFC 3720 check value
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros.data(), zeros.size()), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones.data(), ones.size()), 0x62A8AB43u);
}

TEST(Crc32c, ExtendEqualsWholeValue) {
  std::string s = "hello world, this is a longer buffer to cross the 8-byte stride";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    EXPECT_EQ(Extend(Value(s.data(), cut), s.data() + cut, s.size() - cut), Value(s.data(), s.size()));
  }
}

TEST(Crc32c, MaskRoundTripsAndDiffers) {
  uint32_t c = Value("abc", 3);
  EXPECT_NE(Mask(c), c);
  EXPECT_EQ(Unmask(Mask(c)), c);
}

}  // namespace
}  // namespace tracery::storage::crc32c
