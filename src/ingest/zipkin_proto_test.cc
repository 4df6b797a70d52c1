#include "ingest/zipkin_proto.h"

#include <gtest/gtest.h>

#include "zipkin/zipkin.pb.h"

namespace tracery::ingest {
namespace {

using model::AnyValue;

std::string Bytes(std::initializer_list<uint8_t> b) { return std::string(b.begin(), b.end()); }

zipkin::proto3::Span ValidSpan() {
  zipkin::proto3::Span s;
  s.set_trace_id(Bytes({0x46, 0x3a, 0xc3, 0x5c, 0x9f, 0x64, 0x13, 0xad, 0x48, 0x48, 0x5a, 0x39, 0x53, 0xbb, 0x61, 0x24}));
  s.set_id(Bytes({0xa2, 0xfb, 0x4a, 0x1d, 0x1a, 0x96, 0xd3, 0x12}));
  s.set_parent_id(Bytes({0, 0, 0, 0, 0, 0, 0, 7}));
  s.set_kind(zipkin::proto3::Span::PRODUCER);
  s.set_name("send order");
  s.set_timestamp(1700000000000001);
  s.set_duration(25);
  s.mutable_local_endpoint()->set_service_name("orders");
  s.mutable_local_endpoint()->set_ipv4(Bytes({10, 0, 0, 1}));
  s.mutable_local_endpoint()->set_port(8080);
  s.mutable_remote_endpoint()->set_service_name("kafka");
  s.mutable_remote_endpoint()->set_ipv6(Bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  s.mutable_remote_endpoint()->set_port(9092);
  auto* a = s.add_annotations();
  a->set_timestamp(1700000000000010);
  a->set_value("sent");
  (*s.mutable_tags())["messaging.destination"] = "orders";
  (*s.mutable_tags())["error"] = "broker down";
  s.set_debug(true);
  return s;
}

TEST(ZipkinProtoTest, DecodesEveryField) {
  zipkin::proto3::ListOfSpans list;
  *list.add_spans() = ValidSpan();
  auto decoded = DecodeZipkinProto(list.SerializeAsString(), IngestLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->batch.spans.size(), 1u);
  const model::Span& s = decoded->batch.spans[0];
  EXPECT_EQ(s.trace_id.ToHex(), "463ac35c9f6413ad48485a3953bb6124");
  EXPECT_EQ(s.span_id.ToHex(), "a2fb4a1d1a96d312");
  EXPECT_EQ(s.parent_span_id.value, 7u);
  EXPECT_EQ(s.kind, model::SpanKind::kProducer);
  EXPECT_EQ(s.name, "send order");
  EXPECT_EQ(s.start_time_unix_nano, 1700000000000001000ULL);
  EXPECT_EQ(s.end_time_unix_nano, 1700000000000026000ULL);
  const model::Resource& r = decoded->batch.ResourceOf(s);
  EXPECT_EQ(r.ServiceName(), "orders");
  EXPECT_EQ(*model::FindAttribute(r.attributes, "net.host.ip"), AnyValue::String("10.0.0.1"));
  EXPECT_EQ(*model::FindAttribute(r.attributes, "net.host.port"), AnyValue::Int(8080));
  EXPECT_EQ(*model::FindAttribute(s.attributes, "peer.service"), AnyValue::String("kafka"));
  EXPECT_EQ(*model::FindAttribute(s.attributes, "net.peer.ip"), AnyValue::String("2001:db8::1"));
  EXPECT_EQ(*model::FindAttribute(s.attributes, "net.peer.port"), AnyValue::Int(9092));
  EXPECT_EQ(*model::FindAttribute(s.attributes, "messaging.destination"), AnyValue::String("orders"));
  EXPECT_EQ(*model::FindAttribute(s.attributes, "zipkin.debug"), AnyValue::Bool(true));
  EXPECT_EQ(s.status_code, model::StatusCode::kError);
  EXPECT_EQ(s.status_message, "broker down");
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "sent");
  EXPECT_EQ(s.events[0].time_unix_nano, 1700000000000010000ULL);
}

TEST(ZipkinProtoTest, SixtyFourBitTraceIdIsLeftPadded) {
  zipkin::proto3::ListOfSpans list;
  auto* s = list.add_spans();
  *s = ValidSpan();
  s->set_trace_id(Bytes({0x86, 0x15, 0x4a, 0x4b, 0xa6, 0xe9, 0x13, 0x85}));
  s->clear_kind();
  auto decoded = DecodeZipkinProto(list.SerializeAsString(), IngestLimits{});
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->batch.spans[0].trace_id.ToHex(), "000000000000000086154a4ba6e91385");
  EXPECT_EQ(decoded->batch.spans[0].kind, model::SpanKind::kInternal);
}

TEST(ZipkinProtoTest, BadIdsRejectOnlyThatSpan) {
  zipkin::proto3::ListOfSpans list;
  *list.add_spans() = ValidSpan();
  list.mutable_spans(0)->set_trace_id("short");
  *list.add_spans() = ValidSpan();
  list.mutable_spans(1)->set_id(std::string(8, '\0'));
  *list.add_spans() = ValidSpan();
  list.mutable_spans(2)->set_parent_id("123");
  *list.add_spans() = ValidSpan();
  list.mutable_spans(3)->set_trace_id(std::string(16, '\0'));
  *list.add_spans() = ValidSpan();
  auto decoded = DecodeZipkinProto(list.SerializeAsString(), IngestLimits{});
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->batch.spans.size(), 1u);
  EXPECT_EQ(decoded->rejected_spans, 4);
  EXPECT_EQ(decoded->rejection_message, "spans[0]: trace_id must be 8 or 16 bytes, got 5");
}

TEST(ZipkinProtoTest, TruncatedOrGarbageBodyIsInvalidArgument) {
  zipkin::proto3::ListOfSpans list;
  *list.add_spans() = ValidSpan();
  std::string bytes = list.SerializeAsString();
  auto truncated = DecodeZipkinProto(std::string_view(bytes).substr(0, bytes.size() - 3), IngestLimits{});
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(truncated.status().message().find("ListOfSpans"), std::string::npos);
  EXPECT_FALSE(DecodeZipkinProto("[{\"traceId\":\"1\"}]", IngestLimits{}).ok());
}

}  // namespace
}  // namespace tracery::ingest
