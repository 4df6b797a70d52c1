#include "model/ids.h"

#include <gtest/gtest.h>

namespace tracery::model {
namespace {

TEST(TraceIdTest, HexRoundTrip) {
  auto id = TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->ToHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(id->High(), 0x4bf92f3577b34da6ULL);
  EXPECT_EQ(id->Low(), 0xa3ce929d0e0e4736ULL);
}

TEST(TraceIdTest, ShortIdsAreLeftPadded) {
  auto id = TraceId::FromHex("a3ce929d0e0e4736");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->High(), 0u);
  EXPECT_EQ(id->ToHex(), "0000000000000000a3ce929d0e0e4736");
  EXPECT_EQ(TraceId::FromHex("1")->Low(), 1u);
}

TEST(TraceIdTest, RejectsBadHex) {
  EXPECT_FALSE(TraceId::FromHex(""));
  EXPECT_FALSE(TraceId::FromHex("xyz"));
  EXPECT_FALSE(TraceId::FromHex(std::string(33, 'a')));
  EXPECT_FALSE(TraceId::FromBytes("short"));
}

TEST(SpanIdTest, HexAndBytes) {
  auto id = SpanId::FromHex("00f067aa0ba902b7");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->value, 0x00f067aa0ba902b7ULL);
  EXPECT_EQ(id->ToHex(), "00f067aa0ba902b7");
  uint8_t raw[8];
  id->ToBytes(raw);
  auto back = SpanId::FromBytes(std::string_view(reinterpret_cast<char*>(raw), 8));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, *id);
  EXPECT_FALSE(SpanId::FromHex("00f067aa0ba902b7a"));
}

TEST(HexTest, EncodeDecode) {
  EXPECT_EQ(HexEncode(std::string("\x01\xab", 2)), "01ab");
  EXPECT_EQ(*HexDecode("01AB"), std::string("\x01\xab", 2));
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_FALSE(HexDecode("zz"));
}

}  // namespace
}  // namespace tracery::model
