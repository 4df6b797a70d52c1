#include "model/span.h"

#include <gtest/gtest.h>

namespace tracery::model {
namespace {

TEST(AnyValueTest, ToStringRendersEachType) {
  EXPECT_EQ(AnyValue::String("x").ToString(), "x");
  EXPECT_EQ(AnyValue::Bool(true).ToString(), "true");
  EXPECT_EQ(AnyValue::Int(-42).ToString(), "-42");
  EXPECT_EQ(AnyValue::Double(2.5).ToString(), "2.5");
  EXPECT_EQ(AnyValue::Double(3).ToString(), "3");
  EXPECT_EQ(AnyValue::Bytes("hi").ToString(), "aGk=");
  AnyValue arr;
  arr.type = AnyValue::Type::kArray;
  arr.array = {AnyValue::Int(1), AnyValue::String("a\"b")};
  EXPECT_EQ(arr.ToString(), "[1,\"a\\\"b\"]");
  AnyValue map;
  map.type = AnyValue::Type::kMap;
  map.map = {{"k", AnyValue::Bool(false)}};
  EXPECT_EQ(map.ToString(), "{\"k\":false}");
}

TEST(ResourceTest, ServiceNameDefaultsToUnknown) {
  Resource r;
  EXPECT_EQ(r.ServiceName(), "unknown_service");
  r.attributes.push_back({"service.name", AnyValue::String("cart")});
  EXPECT_EQ(r.ServiceName(), "cart");
}

TEST(SpanBatchTest, AppendFromSharesResources) {
  SpanBatch a;
  a.resources.push_back({{{"service.name", AnyValue::String("cart")}}});
  a.scopes.push_back({"lib", "1.0"});
  Span s1;
  s1.span_id.value = 1;
  Span s2;
  s2.span_id.value = 2;
  a.spans = {s1, s2};
  SpanBatch b;
  b.AppendFrom(a, a.spans[0]);
  b.AppendFrom(a, a.spans[1]);
  EXPECT_EQ(b.resources.size(), 1u);
  EXPECT_EQ(b.scopes.size(), 1u);
  EXPECT_EQ(b.ServiceOf(b.spans[1]), "cart");
}

}  // namespace
}  // namespace tracery::model
