#include "storage/span_codec.h"

#include <gtest/gtest.h>

#include "storage/storage_test_util.h"

namespace tracery::storage {
namespace {

TEST(SpanCodec, RoundTripsEveryField) {
  model::SpanBatch in = test::FullFeaturedBatch();
  std::string buf;
  EncodeSpanBatch(in, &buf);
  auto out = DecodeSpanBatch(buf);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->resources, in.resources);
  EXPECT_EQ(out->scopes, in.scopes);
  EXPECT_EQ(out->spans, in.spans);
}

TEST(SpanCodec, EveryTruncationIsCorruptionNotACrash) {
  std::string buf;
  EncodeSpanBatch(test::FullFeaturedBatch(), &buf);
  for (size_t n = 0; n < buf.size(); ++n) {
    auto r = DecodeSpanBatch(std::string_view(buf.data(), n));
    ASSERT_FALSE(r.ok()) << "prefix " << n;
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  }
}

TEST(SpanCodec, RejectsOutOfRangeResourceIndex) {
  model::SpanBatch b = test::FullFeaturedBatch();
  b.spans[0].resource_index = 7;
  std::string buf;
  EncodeSpanBatch(b, &buf);
  auto r = DecodeSpanBatch(buf);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("resource index"), std::string::npos);
}

TEST(SpanCodec, RejectsDeepNesting) {
  model::AnyValue v = model::AnyValue::Int(1);
  for (int i = 0; i < 100; ++i) {
    model::AnyValue outer;
    outer.type = model::AnyValue::Type::kArray;
    outer.array.push_back(std::move(v));
    v = std::move(outer);
  }
  std::string buf;
  EncodeAnyValue(v, &buf);
  ByteReader in(buf);
  model::AnyValue out;
  EXPECT_FALSE(DecodeAnyValue(in, &out));
}

}  // namespace
}  // namespace tracery::storage
