#include "storage/clickhouse/span_blob_codec.h"

#include <gtest/gtest.h>

#include "storage/clickhouse/row_binary.h"

namespace tracery::storage::clickhouse {
namespace {

using model::AnyValue;

model::SpanBatch RichBatch() {
  model::SpanBatch b;
  b.resources.push_back(
      {{{"service.name", AnyValue::String("api")}, {"pid", AnyValue::Int(7)}}, 2, "schema-r"});
  b.scopes.push_back({"lib", "1.2", {{"s", AnyValue::Double(-0.0)}}, 1, "schema-s"});
  model::Span s;
  s.trace_id = model::TraceId::FromHighLow(1, 2);
  s.span_id.value = 3;
  s.parent_span_id.value = 4;
  s.trace_state = "a=b";
  s.flags = 0x101;
  s.name = "op";
  s.kind = model::SpanKind::kProducer;
  s.start_time_unix_nano = 1000;
  s.end_time_unix_nano = 5000;
  AnyValue arr;
  arr.type = AnyValue::Type::kArray;
  arr.array = {AnyValue::Int(INT64_MIN), AnyValue::Int(INT64_MAX), AnyValue::Bytes(std::string("\0x", 2))};
  AnyValue map;
  map.type = AnyValue::Type::kMap;
  map.map = {{"arr", arr}, {"none", AnyValue{}}};
  s.attributes = {{"m", map}, {"b", AnyValue::Bool(true)}, {"neg", AnyValue::Int(-1)}};
  s.dropped_attributes_count = 9;
  s.events = {{2000, "ev", {{"x", AnyValue::String("y")}}, 3}};
  s.dropped_events_count = 8;
  s.links = {{model::TraceId::FromHighLow(5, 6), model::SpanId{7}, "ts", {{"l", AnyValue::Int(1)}}, 4, 1}};
  s.dropped_links_count = 6;
  s.status_code = model::StatusCode::kError;
  s.status_message = "boom";
  b.spans.push_back(s);
  return b;
}

// The column fields the blob leaves out, as the store reads them back.
model::Span ColumnsOf(const model::Span& s) {
  model::Span c;
  c.trace_id = s.trace_id;
  c.span_id = s.span_id;
  c.parent_span_id = s.parent_span_id;
  c.name = s.name;
  c.kind = s.kind;
  c.start_time_unix_nano = s.start_time_unix_nano;
  c.status_code = s.status_code;
  return c;
}

std::string BlobOf(const model::SpanBatch& b, const model::Span& s) {
  std::string framed;
  AppendSpanBlob(b, s, &framed);
  RowBinaryReader r(framed);
  std::string blob(r.String());
  EXPECT_TRUE(r.done() && !r.failed());
  return blob;
}

TEST(SpanBlobCodecTest, RoundTripsEveryField) {
  model::SpanBatch in = RichBatch();
  std::string blob = BlobOf(in, in.spans[0]);
  model::SpanBatch out;
  SpanBatchAssembler a(&out);
  Status st = a.Add(ColumnsOf(in.spans[0]), in.spans[0].DurationNanos(), blob);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(out.spans.size(), 1u);
  EXPECT_EQ(out.spans[0], in.spans[0]);
  EXPECT_EQ(out.resources, in.resources);
  EXPECT_EQ(out.scopes, in.scopes);
}

TEST(SpanBlobCodecTest, KeepsAnEndTimeBeforeTheStart) {
  model::SpanBatch in = RichBatch();
  in.spans[0].end_time_unix_nano = 10;  // malformed but must round-trip
  std::string blob = BlobOf(in, in.spans[0]);
  model::SpanBatch out;
  ASSERT_TRUE(SpanBatchAssembler(&out).Add(ColumnsOf(in.spans[0]), 0, blob).ok());
  EXPECT_EQ(out.spans[0].end_time_unix_nano, 10u);
}

TEST(SpanBlobCodecTest, SharesIdenticalResourcesAcrossSpans) {
  model::SpanBatch in = RichBatch();
  in.spans.push_back(in.spans[0]);
  in.spans[1].span_id.value = 99;
  model::SpanBatch out;
  SpanBatchAssembler a(&out);
  for (const auto& s : in.spans) ASSERT_TRUE(a.Add(ColumnsOf(s), s.DurationNanos(), BlobOf(in, s)).ok());
  EXPECT_EQ(out.resources.size(), 1u);
  EXPECT_EQ(out.scopes.size(), 1u);
  EXPECT_EQ(out.spans.size(), 2u);
}

TEST(SpanBlobCodecTest, EveryTruncationIsCorruptionNotACrash) {
  model::SpanBatch in = RichBatch();
  std::string blob = BlobOf(in, in.spans[0]);
  for (size_t n = 0; n < blob.size(); ++n) {
    model::SpanBatch out;
    Status st = SpanBatchAssembler(&out).Add(ColumnsOf(in.spans[0]), 0, std::string_view(blob).substr(0, n));
    EXPECT_EQ(st.code(), Status::Code::kCorruption) << "length " << n;
  }
  model::SpanBatch out;
  EXPECT_EQ(SpanBatchAssembler(&out).Add(ColumnsOf(in.spans[0]), 0, blob + "x").code(),
            Status::Code::kCorruption);
}

TEST(SpanBlobCodecTest, RejectsUnknownVersionAndDeepNesting) {
  model::SpanBatch in = RichBatch();
  std::string blob = BlobOf(in, in.spans[0]);
  blob[0] = 2;
  model::SpanBatch out;
  EXPECT_EQ(SpanBatchAssembler(&out).Add(ColumnsOf(in.spans[0]), 0, blob).code(), Status::Code::kCorruption);

  // An attribute value nested 1,000 arrays deep.
  AnyValue deep = AnyValue::Int(1);
  for (int i = 0; i < 1000; ++i) {
    AnyValue a;
    a.type = AnyValue::Type::kArray;
    a.array.push_back(std::move(deep));
    deep = std::move(a);
  }
  in.spans[0].attributes = {{"deep", deep}};
  blob = BlobOf(in, in.spans[0]);
  EXPECT_EQ(SpanBatchAssembler(&out).Add(ColumnsOf(in.spans[0]), 0, blob).code(), Status::Code::kCorruption);
}

TEST(SpanBlobCodecTest, HugeCountsInAShortBlobAreRejectedWithoutAllocating) {
  // version, empty resource and scope sections, trace_state, flags, no end,
  // then an attribute count of 2^60.
  std::string blob;
  RowBinaryWriter w(&blob);
  w.U8(kSpanBlobVersion);
  std::string res;
  RowBinaryWriter(&res).VarUInt(0);
  RowBinaryWriter(&res).VarUInt(0);
  RowBinaryWriter(&res).String("");
  w.String(res);
  std::string scope;
  RowBinaryWriter sw(&scope);
  sw.String("");
  sw.String("");
  sw.VarUInt(0);
  sw.VarUInt(0);
  sw.String("");
  w.String(scope);
  w.String("");
  w.VarUInt(0);
  w.U8(0);
  w.VarUInt(1ULL << 60);
  model::SpanBatch out;
  EXPECT_EQ(SpanBatchAssembler(&out).Add(model::Span{}, 0, blob).code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace tracery::storage::clickhouse
