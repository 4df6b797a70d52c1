#include "sampling/held_span.h"

#include <gtest/gtest.h>

#include <vector>

namespace tracery::sampling {
namespace {

model::Span FullSpan() {
  model::Span s;
  s.trace_id = model::TraceId::FromHighLow(0xabc, 0xdef);
  s.span_id.value = 0x1122334455667788ULL;
  s.parent_span_id.value = 42;
  s.trace_state = "vendor=x";
  s.flags = 0x301;
  s.name = std::string(300, 'n');  // longer than any small-string buffer
  s.kind = model::SpanKind::kClient;
  s.start_time_unix_nano = 1'700'000'000'000'000'000ULL;
  s.end_time_unix_nano = s.start_time_unix_nano + 12345;
  s.attributes.push_back({"str", model::AnyValue::String("value")});
  s.attributes.push_back({"empty-str", model::AnyValue::String("")});
  s.attributes.push_back({"bool", model::AnyValue::Bool(true)});
  s.attributes.push_back({"int", model::AnyValue::Int(-7)});
  s.attributes.push_back({"double", model::AnyValue::Double(2.5)});
  s.attributes.push_back({"bytes", model::AnyValue::Bytes(std::string("\0\1\2", 3))});
  s.attributes.push_back({"none", model::AnyValue()});
  model::AnyValue arr;
  arr.type = model::AnyValue::Type::kArray;
  arr.array = {model::AnyValue::Int(1), model::AnyValue::String("two")};
  s.attributes.push_back({"array", arr});
  model::AnyValue map;
  map.type = model::AnyValue::Type::kMap;
  map.map = {{"inner", model::AnyValue::Double(0.5)}, {"nested", arr}};
  s.attributes.push_back({"map", map});
  s.dropped_attributes_count = 3;
  s.events.push_back({111, "exception", {{"exception.type", model::AnyValue::String("E")}, {"m", map}}, 1});
  s.events.push_back({222, "", {}, 0});
  s.dropped_events_count = 4;
  model::Link link;
  link.trace_id = model::TraceId::FromHighLow(1, 2);
  link.span_id.value = 99;
  link.trace_state = "a=b";
  link.attributes = {{"k", arr}};
  link.dropped_attributes_count = 5;
  link.flags = 1;
  s.links.push_back(link);
  s.dropped_links_count = 6;
  s.status_code = model::StatusCode::kError;
  s.status_message = "boom";
  s.resource_index = 7;
  s.scope_index = 8;
  return s;
}

TEST(HeldSpan, EveryFieldSurvivesHoldingAndReadingBack) {
  const model::Span in = FullSpan();
  HeldBytes bytes;
  HeldSpanWriter writer;
  const size_t n = writer.Append(in, &bytes);
  ASSERT_EQ(n, bytes.size());
  EXPECT_EQ(HeldRecordBytes(bytes.data()), n);
  model::Span out;
  ASSERT_TRUE(ReadHeldSpan(bytes.data(), in.trace_id, &out));
  // Ids and indexes are the holder's to keep, not in the record.
  EXPECT_EQ(out.span_id.value, 0u);
  EXPECT_EQ(out.resource_index, 0u);
  out.span_id = in.span_id;
  out.parent_span_id = in.parent_span_id;
  out.resource_index = in.resource_index;
  out.scope_index = in.scope_index;
  EXPECT_EQ(out, in);
}

TEST(HeldSpan, RecordsFollowEachOtherAndReadIntoAReusedSpan) {
  HeldBytes bytes;
  HeldSpanWriter writer;
  std::vector<model::Span> spans;
  spans.push_back(FullSpan());
  model::Span plain;
  plain.trace_id = spans[0].trace_id;
  plain.span_id.value = 2;
  plain.name = "plain";
  spans.push_back(plain);
  spans.push_back(FullSpan());
  spans.back().span_id.value = 3;
  for (const auto& s : spans) writer.Append(s, &bytes);

  model::Span scratch = FullSpan();  // reading must overwrite every field
  const char* p = bytes.data();
  for (const auto& want : spans) {
    ASSERT_LT(p, bytes.data() + bytes.size());
    ASSERT_TRUE(ReadHeldSpan(p, want.trace_id, &scratch));
    scratch.span_id = want.span_id;
    scratch.parent_span_id = want.parent_span_id;
    scratch.resource_index = want.resource_index;
    scratch.scope_index = want.scope_index;
    EXPECT_EQ(scratch, want);
    p += HeldRecordBytes(p);
  }
  EXPECT_EQ(p, bytes.data() + bytes.size());
}

TEST(HeldSpan, BufferMovesAndReleases) {
  HeldBytes a;
  HeldSpanWriter writer;
  writer.Append(FullSpan(), &a);
  const size_t size = a.size();
  HeldBytes b(std::move(a));
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(b.size(), size);
  b.Release();
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.capacity(), 0u);
}

}  // namespace
}  // namespace tracery::sampling
