#include "ingest/zipkin_json.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace tracery::ingest {
namespace {

using model::AnyValue;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(TRACERY_INGEST_TESTDATA) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const AnyValue* Attr(const model::Attributes& attrs, std::string_view key) { return model::FindAttribute(attrs, key); }

TEST(ZipkinJsonTest, DecodesBravePayload) {
  auto decoded = DecodeZipkinJson(ReadTestdata("zipkin_brave.json"), IngestLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const model::SpanBatch& b = decoded->batch;
  EXPECT_EQ(decoded->rejected_spans, 0);
  ASSERT_EQ(b.spans.size(), 4u);
  // frontend (same endpoint twice → one resource), inventory, pricing.
  ASSERT_EQ(b.resources.size(), 3u);
  ASSERT_EQ(b.scopes.size(), 1u);

  const model::Span& client = b.spans[0];
  EXPECT_EQ(client.trace_id.ToHex(), "000000000000000086154a4ba6e91385");
  EXPECT_EQ(client.span_id.ToHex(), "4d1e00c0db9010db");
  EXPECT_EQ(client.parent_span_id.ToHex(), "86154a4ba6e91385");
  EXPECT_EQ(client.kind, model::SpanKind::kClient);
  EXPECT_EQ(client.name, "get /api/inventory");
  EXPECT_EQ(client.start_time_unix_nano, 1700000000100000000ULL);
  EXPECT_EQ(client.end_time_unix_nano, 1700000000307000000ULL);
  EXPECT_EQ(b.ServiceOf(client), "frontend");
  const model::Resource& frontend = b.ResourceOf(client);
  EXPECT_EQ(*Attr(frontend.attributes, "net.host.ip"), AnyValue::String("192.168.99.1"));
  EXPECT_EQ(*Attr(frontend.attributes, "net.host.port"), AnyValue::Int(8080));
  EXPECT_EQ(*Attr(client.attributes, "peer.service"), AnyValue::String("inventory"));
  EXPECT_EQ(*Attr(client.attributes, "net.peer.ip"), AnyValue::String("172.17.0.13"));
  EXPECT_EQ(*Attr(client.attributes, "net.peer.port"), AnyValue::Int(9411));
  EXPECT_EQ(*Attr(client.attributes, "clnt/finagle.version"), AnyValue::String("6.45.0"));
  ASSERT_EQ(client.events.size(), 2u);
  EXPECT_EQ(client.events[0].name, "ws");
  EXPECT_EQ(client.events[0].time_unix_nano, 1700000000100100000ULL);
  EXPECT_EQ(client.status_code, model::StatusCode::kUnset);

  const model::Span& server = b.spans[1];
  EXPECT_TRUE(server.parent_span_id.IsZero());
  EXPECT_EQ(server.resource_index, client.resource_index);
  EXPECT_EQ(server.status_code, model::StatusCode::kError);
  EXPECT_EQ(server.status_message, "Internal Server Error");
  EXPECT_EQ(*Attr(server.attributes, "error"), AnyValue::String("Internal Server Error"));
  EXPECT_EQ(*Attr(server.attributes, "net.peer.ip"), AnyValue::String("2001:db8::c001"));
  EXPECT_EQ(Attr(server.attributes, "peer.service"), nullptr);
  EXPECT_EQ(*Attr(server.attributes, "zipkin.debug"), AnyValue::Bool(true));

  const model::Span& shared = b.spans[2];
  EXPECT_EQ(b.ServiceOf(shared), "inventory");
  EXPECT_EQ(*Attr(shared.attributes, "zipkin.shared"), AnyValue::Bool(true));
  EXPECT_EQ(*Attr(b.ResourceOf(shared).attributes, "net.host.ipv6"), AnyValue::String("fd00::13"));
  EXPECT_EQ(Attr(b.ResourceOf(shared).attributes, "net.host.port"), nullptr);

  const model::Span& local = b.spans[3];
  EXPECT_EQ(local.trace_id.ToHex(), "463ac35c9f6413ad48485a3953bb6124");
  EXPECT_EQ(local.kind, model::SpanKind::kInternal);
  EXPECT_EQ(local.DurationNanos(), 1500000u);
  EXPECT_EQ(b.ServiceOf(local), "pricing");
}

TEST(ZipkinJsonTest, MinimalSpanAndNonStringTags) {
  auto decoded = DecodeZipkinJson(
      R"([{"traceId":"1","id":"A","tags":{"n":42,"b":true,"s":"x","nil":null},"remoteEndpoint":null}])",
      IngestLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->batch.spans.size(), 1u);
  const model::Span& s = decoded->batch.spans[0];
  EXPECT_EQ(s.trace_id.ToHex(), "00000000000000000000000000000001");
  EXPECT_EQ(s.span_id.value, 10u);
  EXPECT_EQ(s.start_time_unix_nano, 0u);
  EXPECT_EQ(*Attr(s.attributes, "n"), AnyValue::String("42"));
  EXPECT_EQ(*Attr(s.attributes, "b"), AnyValue::String("true"));
  EXPECT_EQ(Attr(s.attributes, "nil"), nullptr);
  EXPECT_EQ(decoded->batch.ServiceOf(s), "unknown_service");
}

TEST(ZipkinJsonTest, BadIdsAndOverflowRejectOnlyThatSpan) {
  auto decoded = DecodeZipkinJson(R"([
      {"traceId":"xyz","id":"1"},
      {"traceId":"0000000000000000","id":"1"},
      {"traceId":"1","id":"0"},
      {"traceId":"123456789012345678901234567890123","id":"1"},
      {"id":"1"},
      {"traceId":"1","id":"1","parentId":"zz"},
      {"traceId":"1","id":"1","timestamp":18446744073709551615},
      {"traceId":"1","id":"1","annotations":[{"timestamp":18446744073709551615,"value":"x"}]},
      {"traceId":"1","id":"2","name":"kept","parentId":"0000000000000000"}])",
                                   IngestLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->batch.spans.size(), 1u);
  EXPECT_EQ(decoded->batch.spans[0].name, "kept");
  EXPECT_TRUE(decoded->batch.spans[0].parent_span_id.IsZero());
  EXPECT_EQ(decoded->rejected_spans, 8);
  EXPECT_EQ(decoded->rejection_message, "spans[0]: traceId is not hex: \"xyz\"");
}

TEST(ZipkinJsonTest, MalformedInputIsInvalidArgumentNamingThePath) {
  struct Case {
    const char* body;
    const char* message;
  };
  const Case cases[] = {
      {"[", nullptr},
      {"{}", "body: expected a JSON array of Zipkin v2 spans, got object"},
      {"[1]", "spans[0]: expected an object, got number"},
      {R"([{"traceId":"1","id":"1","kind":"SERVERS"}])",
       "spans[0].kind: unknown span kind \"SERVERS\" (expected CLIENT, SERVER, PRODUCER or CONSUMER)"},
      {R"([{"traceId":"1","id":"1","timestamp":"soon"}])", "spans[0].timestamp: \"soon\" is not an unsigned 64-bit integer"},
      {R"([{"traceId":"1","id":"1","localEndpoint":{"port":70000}}])",
       "spans[0].localEndpoint.port: 70000 is not a port number (0-65535)"},
      {R"([{"traceId":"1","id":"1","remoteEndpoint":[]}])", "spans[0].remoteEndpoint: expected an object, got array"},
      {R"([{"traceId":"1","id":"1","tags":{"k":{"x":1}}}])", "spans[0].tags.k: expected a string, got object"},
      {R"([{"traceId":"1","id":"1","annotations":[{"value":3}]}])",
       "spans[0].annotations[0].value: expected a string, got number"},
      {R"([{"traceId":1,"id":"1"}])", "spans[0].traceId: expected a string, got number"},
  };
  for (const Case& c : cases) {
    auto decoded = DecodeZipkinJson(c.body, IngestLimits{});
    ASSERT_FALSE(decoded.ok()) << c.body;
    EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument);
    if (c.message != nullptr) EXPECT_EQ(decoded.status().message(), c.message);
  }
}

TEST(ZipkinJsonTest, LimitsApply) {
  IngestLimits limits;
  limits.max_attribute_value_bytes = 3;
  limits.max_events_per_span = 1;
  auto decoded = DecodeZipkinJson(
      R"([{"traceId":"1","id":"1","tags":{"sql":"SELECT 1"},
          "annotations":[{"timestamp":1,"value":"a"},{"timestamp":2,"value":"b"}]}])",
      limits);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const model::Span& s = decoded->batch.spans[0];
  EXPECT_EQ(Attr(s.attributes, "sql")->str, "SEL");
  EXPECT_EQ(*Attr(s.attributes, model::keys::kTruncated), AnyValue::Bool(true));
  EXPECT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.dropped_events_count, 1u);
}

TEST(ZipkinJsonTest, EmptyArrayIsEmptyBatch) {
  auto decoded = DecodeZipkinJson("[]", IngestLimits{});
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->batch.empty());
}

}  // namespace
}  // namespace tracery::ingest
