#include "ingest/base64.h"

#include <gtest/gtest.h>

namespace tracery::ingest {
namespace {

TEST(Base64DecodeTest, DecodesPaddedAndUnpadded) {
  EXPECT_EQ(Base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(Base64Decode("aGVsbG8"), "hello");
  EXPECT_EQ(Base64Decode("aGk="), "hi");
  EXPECT_EQ(Base64Decode("aGk"), "hi");
  EXPECT_EQ(Base64Decode(""), "");
  EXPECT_EQ(Base64Decode("AAH/"), std::string("\0\x01\xff", 3));
}

TEST(Base64DecodeTest, AcceptsUrlSafeAlphabet) {
  EXPECT_EQ(Base64Decode("AAH_"), std::string("\0\x01\xff", 3));
  EXPECT_EQ(Base64Decode("-_-_"), Base64Decode("+/+/"));
}

TEST(Base64DecodeTest, RejectsMalformedText) {
  EXPECT_FALSE(Base64Decode("a"));         // one leftover character carries < 8 bits
  EXPECT_FALSE(Base64Decode("aGk=="));     // padding does not complete a group
  EXPECT_FALSE(Base64Decode("aG=k"));      // padding in the middle
  EXPECT_FALSE(Base64Decode("aGVs bG8=")); // whitespace
  EXPECT_FALSE(Base64Decode("aGVs\"bG8"));
}

}  // namespace
}  // namespace tracery::ingest
