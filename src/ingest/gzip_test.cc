#include "ingest/gzip.h"

#include <gtest/gtest.h>

#include <string>

namespace tracery::ingest {
namespace {

TEST(GunzipTest, RoundTripsCompressedBody) {
  std::string raw;
  for (int i = 0; i < 10000; ++i) raw += "span-" + std::to_string(i) + ";";
  std::string gz = GzipCompress(raw);
  ASSERT_LT(gz.size(), raw.size());
  auto out = Gunzip(gz, raw.size());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, raw);
}

TEST(GunzipTest, EmptyPayload) {
  auto out = Gunzip(GzipCompress(""), 10);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "");
}

TEST(GunzipTest, ConcatenatedMembers) {
  auto out = Gunzip(GzipCompress("abc") + GzipCompress("def"), 100);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "abcdef");
}

TEST(GunzipTest, ZipBombIsTooLargeWithoutInflatingEverything) {
  std::string zeros(64 << 20, '\0');  // 64 MiB of zeros compress to ~64 KiB
  std::string gz = GzipCompress(zeros, 9);
  ASSERT_LT(gz.size(), 1u << 20);
  auto out = Gunzip(gz, 1 << 20);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kTooLarge);
  EXPECT_NE(out.status().message().find("1048576"), std::string::npos) << out.status().message();
}

TEST(GunzipTest, ExactlyAtLimitIsAccepted) {
  std::string raw(5000, 'x');
  EXPECT_TRUE(Gunzip(GzipCompress(raw), 5000).ok());
  EXPECT_EQ(Gunzip(GzipCompress(raw), 4999).status().code(), Status::Code::kTooLarge);
}

TEST(GunzipTest, RejectsNonGzip) {
  auto out = Gunzip("{\"resourceSpans\":[]}", 1000);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(out.status().message().find("not gzip"), std::string::npos);
}

TEST(GunzipTest, RejectsTruncatedBody) {
  std::string gz = GzipCompress(std::string(10000, 'y') + "tail");
  auto out = Gunzip(std::string_view(gz).substr(0, gz.size() - 10), 100000);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(out.status().message().find("truncated"), std::string::npos) << out.status().message();
}

TEST(GunzipTest, RejectsCorruptBodyAndTrailingGarbage) {
  std::string gz = GzipCompress("hello hello hello hello");
  std::string corrupt = gz;
  corrupt[12] ^= 0x55;
  corrupt[13] ^= 0x55;
  EXPECT_EQ(Gunzip(corrupt, 1000).status().code(), Status::Code::kInvalidArgument);
  auto trailing = Gunzip(gz + "xyz", 1000);
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.status().message().find("trailing"), std::string::npos) << trailing.status().message();
}

}  // namespace
}  // namespace tracery::ingest
