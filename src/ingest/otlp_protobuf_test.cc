#include "ingest/otlp_protobuf.h"

#include <gtest/gtest.h>

#include "ingest/sample_batches.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace tracery::ingest {
namespace {

namespace pb = opentelemetry::proto;
using pb::collector::trace::v1::ExportTraceServiceRequest;

TEST(OtlpProtobufTest, RoundTripKeepsEveryField) {
  model::SpanBatch original = testing::EveryFieldBatch();
  std::string bytes = EncodeOtlpProtobuf(original);
  auto decoded = DecodeOtlpProtobuf(bytes, IngestLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->rejected_spans, 0);
  EXPECT_EQ(decoded->batch.resources, original.resources);
  EXPECT_EQ(decoded->batch.scopes, original.scopes);
  ASSERT_EQ(decoded->batch.spans.size(), original.spans.size());
  for (size_t i = 0; i < original.spans.size(); ++i) EXPECT_EQ(decoded->batch.spans[i], original.spans[i]) << i;
}

TEST(OtlpProtobufTest, ConvertOtlpMatchesDecodeAndLeavesRequestIntact) {
  model::SpanBatch original = testing::RealisticBatch(64);
  ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(EncodeOtlpProtobuf(original)));
  std::string before = req.SerializeAsString();
  auto converted = ConvertOtlp(req, IngestLimits{});
  ASSERT_TRUE(converted.ok()) << converted.status().ToString();
  EXPECT_EQ(converted->batch.spans, original.spans);
  EXPECT_EQ(req.SerializeAsString(), before);
}

TEST(OtlpProtobufTest, EmptyBodyIsAnEmptyBatch) {
  auto decoded = DecodeOtlpProtobuf("", IngestLimits{});
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->batch.empty());
}

TEST(OtlpProtobufTest, TruncatedBodyIsInvalidArgument) {
  std::string bytes = EncodeOtlpProtobuf(testing::RealisticBatch(4));
  auto decoded = DecodeOtlpProtobuf(std::string_view(bytes).substr(0, bytes.size() - 7), IngestLimits{});
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find("ExportTraceServiceRequest"), std::string::npos);
}

TEST(OtlpProtobufTest, GarbageIsInvalidArgument) {
  auto decoded = DecodeOtlpProtobuf("{\"resourceSpans\": []}", IngestLimits{});
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument);
}

ExportTraceServiceRequest OneSpanRequest(std::string trace_id, std::string span_id, std::string parent) {
  ExportTraceServiceRequest req;
  auto* span = req.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_trace_id(trace_id);
  span->set_span_id(span_id);
  span->set_parent_span_id(parent);
  span->set_name("op");
  return req;
}

TEST(OtlpProtobufTest, BadIdsRejectTheSpanAndKeepTheRest) {
  const std::string tid(16, '\x01'), sid(8, '\x02');
  ExportTraceServiceRequest req = OneSpanRequest(tid, sid, "");
  auto* spans = req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans();
  *spans->Add() = spans->Get(0);
  spans->Mutable(1)->set_trace_id(std::string(15, '\x01'));
  *spans->Add() = spans->Get(0);
  spans->Mutable(2)->set_trace_id(std::string(16, '\0'));
  *spans->Add() = spans->Get(0);
  spans->Mutable(3)->set_span_id(std::string(8, '\0'));
  *spans->Add() = spans->Get(0);
  spans->Mutable(4)->set_parent_span_id("abc");
  *spans->Add() = spans->Get(0);
  spans->Mutable(5)->set_parent_span_id(std::string(8, '\0'));  // all-zero parent: a root

  auto decoded = DecodeOtlpProtobuf(req.SerializeAsString(), IngestLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->batch.spans.size(), 2u);
  EXPECT_EQ(decoded->rejected_spans, 4);
  EXPECT_EQ(decoded->rejection_message,
            "resource_spans[0].scope_spans[0].spans[1]: trace_id must be 16 bytes, got 15");
  EXPECT_TRUE(decoded->batch.spans[1].parent_span_id.IsZero());
}

TEST(OtlpProtobufTest, LinkWithBadIdsIsDroppedAndCounted) {
  ExportTraceServiceRequest req = OneSpanRequest(std::string(16, '\x01'), std::string(8, '\x02'), "");
  auto* span = req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  span->add_links()->set_trace_id("short");
  auto decoded = DecodeOtlpProtobuf(req.SerializeAsString(), IngestLimits{});
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->batch.spans.size(), 1u);
  EXPECT_TRUE(decoded->batch.spans[0].links.empty());
  EXPECT_EQ(decoded->batch.spans[0].dropped_links_count, 1u);
}

TEST(OtlpProtobufTest, TooDeepValueIsInvalidArgumentNamingTheAttribute) {
  ExportTraceServiceRequest req = OneSpanRequest(std::string(16, '\x01'), std::string(8, '\x02'), "");
  auto* kv = req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->add_attributes();
  kv->set_key("deep");
  pb::common::v1::AnyValue* v = kv->mutable_value();
  for (int i = 0; i < 9; ++i) v = v->mutable_array_value()->add_values();
  v->set_int_value(1);
  IngestLimits limits;  // depth 8 by default; this value is 10 deep
  auto decoded = DecodeOtlpProtobuf(req.SerializeAsString(), limits);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(decoded.status().message(),
            "resource_spans[0].scope_spans[0].spans[0].attributes[0] (\"deep\"): value nests deeper than "
            "the limit of 8 levels");
  limits.max_value_depth = 10;
  EXPECT_TRUE(DecodeOtlpProtobuf(req.SerializeAsString(), limits).ok());
}

TEST(OtlpProtobufTest, LimitsApplyToDecodedSpans) {
  ExportTraceServiceRequest req = OneSpanRequest(std::string(16, '\x01'), std::string(8, '\x02'), "");
  auto* span = req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  for (int i = 0; i < 5; ++i) {
    auto* kv = span->add_attributes();
    kv->set_key("k" + std::to_string(i));
    kv->mutable_value()->set_string_value(std::string(100, 'v'));
  }
  IngestLimits limits;
  limits.max_attributes_per_span = 3;
  limits.max_attribute_value_bytes = 10;
  auto decoded = DecodeOtlpProtobuf(req.SerializeAsString(), limits);
  ASSERT_TRUE(decoded.ok());
  const model::Span& s = decoded->batch.spans[0];
  EXPECT_EQ(s.dropped_attributes_count, 2u);
  EXPECT_EQ(s.attributes[0].value.str, std::string(10, 'v'));
  EXPECT_NE(model::FindAttribute(s.attributes, model::keys::kTruncated), nullptr);
}

TEST(OtlpProtobufTest, UnknownEnumValuesBecomeUnspecified) {
  ExportTraceServiceRequest req = OneSpanRequest(std::string(16, '\x01'), std::string(8, '\x02'), "");
  auto* span = req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  span->set_kind(static_cast<pb::trace::v1::Span::SpanKind>(42));
  span->mutable_status()->set_code(static_cast<pb::trace::v1::Status::StatusCode>(9));
  auto decoded = DecodeOtlpProtobuf(req.SerializeAsString(), IngestLimits{});
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->batch.spans[0].kind, model::SpanKind::kUnspecified);
  EXPECT_EQ(decoded->batch.spans[0].status_code, model::StatusCode::kUnset);
}

}  // namespace
}  // namespace tracery::ingest
