#include "ingest/span_limits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tracery::ingest {
namespace {

using model::AnyValue;

std::vector<std::string> TruncatedKeys(const model::Attributes& attrs) {
  std::vector<std::string> out;
  const AnyValue* v = model::FindAttribute(attrs, model::keys::kTruncatedKeys);
  if (v == nullptr) return out;
  for (const AnyValue& e : v->array) out.push_back(e.str);
  return out;
}

TEST(TruncateUtf8Test, CutsAtCharacterBoundary) {
  std::string s = "ab\xE2\x9C\x93" "cd";  // "ab✓cd": ✓ is 3 bytes
  EXPECT_TRUE(TruncateUtf8(&s, 4));
  EXPECT_EQ(s, "ab");
  s = "ab\xE2\x9C\x93" "cd";
  EXPECT_TRUE(TruncateUtf8(&s, 5));
  EXPECT_EQ(s, "ab\xE2\x9C\x93");
  EXPECT_FALSE(TruncateUtf8(&s, 5));
  EXPECT_FALSE(TruncateUtf8(&s, 100));
}

TEST(ApplySpanLimitsTest, UnderLimitsSpanIsUnchanged) {
  model::Span span;
  span.name = "ok";
  span.attributes = {{"a", AnyValue::String("short")}};
  model::Span copy = span;
  ApplySpanLimits(IngestLimits{}, &span);
  EXPECT_EQ(span, copy);
}

TEST(ApplySpanLimitsTest, DropsExcessAttributesEventsLinksAndCountsThem) {
  IngestLimits limits;
  limits.max_attributes_per_span = 2;
  limits.max_events_per_span = 1;
  limits.max_links_per_span = 1;
  model::Span span;
  span.attributes = {{"a", AnyValue::Int(1)}, {"b", AnyValue::Int(2)}, {"c", AnyValue::Int(3)}};
  span.dropped_attributes_count = 1;
  span.events.resize(3);
  span.events[0].attributes = {{"x", AnyValue::Int(1)}, {"y", AnyValue::Int(1)}, {"z", AnyValue::Int(1)}};
  span.links.resize(2);
  ApplySpanLimits(limits, &span);
  EXPECT_EQ(span.attributes.size(), 2u);
  EXPECT_EQ(span.dropped_attributes_count, 2u);
  EXPECT_EQ(span.events.size(), 1u);
  EXPECT_EQ(span.dropped_events_count, 2u);
  EXPECT_EQ(span.events[0].attributes.size(), 2u);
  EXPECT_EQ(span.events[0].dropped_attributes_count, 1u);
  EXPECT_EQ(span.links.size(), 1u);
  EXPECT_EQ(span.dropped_links_count, 1u);
  EXPECT_EQ(model::FindAttribute(span.attributes, model::keys::kTruncated), nullptr);
}

TEST(ApplySpanLimitsTest, TruncatesLongValuesAndMarksTheSpan) {
  IngestLimits limits;
  limits.max_attribute_value_bytes = 4;
  limits.max_array_values = 2;
  model::Span span;
  span.name = "abcdefgh";
  span.attributes = {{"s", AnyValue::String("123456")},
                     {"b", AnyValue::Bytes("\x01\x02\x03\x04\x05")},
                     {"fine", AnyValue::String("1234")}};
  AnyValue arr;
  arr.type = AnyValue::Type::kArray;
  arr.array = {AnyValue::Int(1), AnyValue::Int(2), AnyValue::Int(3)};
  span.attributes.push_back({"arr", arr});
  model::Event ev;
  ev.attributes = {{"msg", AnyValue::String("way too long")}};
  span.events.push_back(ev);

  ApplySpanLimits(limits, &span);
  EXPECT_EQ(span.name, "abcd");
  EXPECT_EQ(model::FindAttribute(span.attributes, "s")->str, "1234");
  EXPECT_EQ(model::FindAttribute(span.attributes, "b")->str, "\x01\x02\x03\x04");
  EXPECT_EQ(model::FindAttribute(span.attributes, "fine")->str, "1234");
  EXPECT_EQ(model::FindAttribute(span.attributes, "arr")->array.size(), 2u);
  EXPECT_EQ(span.events[0].attributes[0].value.str, "way ");
  const AnyValue* flag = model::FindAttribute(span.attributes, model::keys::kTruncated);
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(*flag, AnyValue::Bool(true));
  EXPECT_THAT(TruncatedKeys(span.attributes),
              ::testing::UnorderedElementsAre("s", "b", "arr", "name", "events.msg"));
}

TEST(ApplySpanLimitsTest, MergesWithExistingMarkers) {
  IngestLimits limits;
  limits.max_attribute_value_bytes = 2;
  model::Span span;
  AnyValue keys;
  keys.type = AnyValue::Type::kArray;
  keys.array = {AnyValue::String("upstream")};
  span.attributes = {{"tracery.truncated", AnyValue::Bool(true)}, {"tracery.truncated_keys", keys},
                     {"long", AnyValue::String("xyz")}};
  ApplySpanLimits(limits, &span);
  EXPECT_EQ(span.attributes.size(), 3u);
  EXPECT_THAT(TruncatedKeys(span.attributes), ::testing::ElementsAre("upstream", "long"));
}

TEST(ApplyResourceLimitsTest, BoundsResourceAttributes) {
  IngestLimits limits;
  limits.max_attributes_per_span = 1;
  limits.max_attribute_value_bytes = 3;
  model::Resource r;
  r.attributes = {{"service.name", AnyValue::String("checkout")}, {"x", AnyValue::Int(1)}};
  ApplyResourceLimits(limits, &r);
  EXPECT_EQ(r.dropped_attributes_count, 1u);
  EXPECT_EQ(r.attributes[0].value.str, "che");
  EXPECT_THAT(TruncatedKeys(r.attributes), ::testing::ElementsAre("service.name"));
}

}  // namespace
}  // namespace tracery::ingest
