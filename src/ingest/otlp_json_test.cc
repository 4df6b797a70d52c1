#include "ingest/otlp_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "ingest/otlp_protobuf.h"

namespace tracery::ingest {
namespace {

using model::AnyValue;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(TRACERY_INGEST_TESTDATA) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One span inside the usual envelope.
std::string WithSpan(const std::string& span_json) {
  return R"({"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[)" + span_json + "]}]}]}";
}

const std::string kIds = R"("traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1111111111111111")";

TEST(OtlpJsonTest, DecodesJsExporterPayload) {
  auto decoded = DecodeOtlpJson(ReadTestdata("otlp_js_export.json"), IngestLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const model::SpanBatch& b = decoded->batch;
  ASSERT_EQ(b.resources.size(), 1u);
  EXPECT_EQ(b.resources[0].ServiceName(), "web-frontend");
  EXPECT_EQ(*model::FindAttribute(b.resources[0].attributes, "process.pid"), AnyValue::Int(4711));
  ASSERT_EQ(b.scopes.size(), 1u);
  EXPECT_EQ(b.scopes[0].name, "@opentelemetry/instrumentation-fetch");
  EXPECT_EQ(b.scopes[0].version, "0.45.1");
  ASSERT_EQ(b.spans.size(), 2u);

  const model::Span& fetch = b.spans[0];
  EXPECT_EQ(fetch.trace_id.ToHex(), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(fetch.span_id.ToHex(), "eee19b7ec3c1b174");
  EXPECT_TRUE(fetch.parent_span_id.IsZero());
  EXPECT_EQ(fetch.kind, model::SpanKind::kClient);
  EXPECT_EQ(fetch.start_time_unix_nano, 1700000000123000000ULL);
  EXPECT_EQ(fetch.end_time_unix_nano, 1700000000456000000ULL);
  EXPECT_EQ(*model::FindAttribute(fetch.attributes, "http.status_code"), AnyValue::Int(200));
  EXPECT_EQ(*model::FindAttribute(fetch.attributes, "http.response_content_length"), AnyValue::Int(1532));
  ASSERT_EQ(fetch.events.size(), 2u);
  EXPECT_EQ(fetch.events[1].name, "responseEnd");
  EXPECT_EQ(fetch.events[1].time_unix_nano, 1700000000455000000ULL);

  const model::Span& render = b.spans[1];
  EXPECT_EQ(render.parent_span_id, fetch.span_id);
  EXPECT_EQ(render.trace_state, "vendor=abc");
  EXPECT_EQ(render.kind, model::SpanKind::kInternal);
  EXPECT_EQ(render.start_time_unix_nano, 1700000000460000000ULL);
  EXPECT_EQ(render.status_code, model::StatusCode::kError);
  EXPECT_EQ(render.status_message, "render failed");
  const AnyValue* items = model::FindAttribute(render.attributes, "items");
  ASSERT_NE(items, nullptr);
  ASSERT_EQ(items->type, AnyValue::Type::kArray);
  EXPECT_EQ(items->array[1], AnyValue::String("sku-2"));
  EXPECT_EQ(*model::FindAttribute(render.attributes, "price"), AnyValue::Double(19.99));
  EXPECT_EQ(*model::FindAttribute(render.attributes, "logged_in"), AnyValue::Bool(true));
}

TEST(OtlpJsonTest, EveryFieldInSnakeCaseWithEnumNames) {
  std::string body = R"({"resource_spans":[{"schema_url":"https://s/1","resource":{"attributes":[
      {"key":"service.name","value":{"string_value":"svc"}}],"dropped_attributes_count":"3"},
    "scope_spans":[{"schema_url":"https://s/2","scope":{"name":"lib","version":"1","attributes":[
      {"key":"a","value":{"int_value":"-5"}}],"dropped_attributes_count":1},
    "spans":[{"trace_id":"0102030405060708090A0B0C0D0E0F10","span_id":"1111111111111111",
      "parent_span_id":"2222222222222222","trace_state":"k=v","flags":769,"name":"op",
      "kind":"SPAN_KIND_CONSUMER","start_time_unix_nano":"10","end_time_unix_nano":20,
      "attributes":[
        {"key":"d","value":{"double_value":"NaN"}},
        {"key":"inf","value":{"doubleValue":"-Infinity"}},
        {"key":"b","value":{"bytes_value":"AAH/"}},
        {"key":"m","value":{"kvlist_value":{"values":[{"key":"x","value":{"bool_value":false}}]}}},
        {"key":"e","value":{}},
        {"key":"big","value":{"intValue":"9223372036854775807"}}],
      "dropped_attributes_count":1,
      "events":[{"time_unix_nano":"15","name":"ev","attributes":[],"dropped_attributes_count":2}],
      "dropped_events_count":3,
      "links":[{"trace_id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","span_id":"bbbbbbbbbbbbbbbb","trace_state":"l=1",
        "attributes":[{"key":"lk","value":{"stringValue":"lv"}}],"dropped_attributes_count":4,"flags":1}],
      "dropped_links_count":5,
      "status":{"code":"STATUS_CODE_OK","message":"fine"},
      "someFutureField":{"nested":[1,2,3]}}]}]}]})";
  auto decoded = DecodeOtlpJson(body, IngestLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const model::SpanBatch& b = decoded->batch;
  EXPECT_EQ(b.resources[0].schema_url, "https://s/1");
  EXPECT_EQ(b.resources[0].dropped_attributes_count, 3u);
  EXPECT_EQ(b.scopes[0].schema_url, "https://s/2");
  EXPECT_EQ(b.scopes[0].attributes[0].value, AnyValue::Int(-5));
  EXPECT_EQ(b.scopes[0].dropped_attributes_count, 1u);
  ASSERT_EQ(b.spans.size(), 1u);
  const model::Span& s = b.spans[0];
  EXPECT_EQ(s.trace_id.ToHex(), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(s.parent_span_id.ToHex(), "2222222222222222");
  EXPECT_EQ(s.trace_state, "k=v");
  EXPECT_EQ(s.flags, 769u);
  EXPECT_EQ(s.kind, model::SpanKind::kConsumer);
  EXPECT_EQ(s.start_time_unix_nano, 10u);
  EXPECT_EQ(s.end_time_unix_nano, 20u);
  EXPECT_TRUE(std::isnan(s.attributes[0].value.double_value));
  EXPECT_EQ(s.attributes[1].value, AnyValue::Double(-INFINITY));
  EXPECT_EQ(s.attributes[2].value, AnyValue::Bytes(std::string("\0\x01\xff", 3)));
  ASSERT_EQ(s.attributes[3].value.type, AnyValue::Type::kMap);
  EXPECT_EQ(s.attributes[3].value.map[0].key, "x");
  EXPECT_EQ(s.attributes[3].value.map[0].value, AnyValue::Bool(false));
  EXPECT_EQ(s.attributes[4].value.type, AnyValue::Type::kEmpty);
  EXPECT_EQ(s.attributes[5].value, AnyValue::Int(INT64_MAX));
  EXPECT_EQ(s.dropped_attributes_count, 1u);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].time_unix_nano, 15u);
  EXPECT_EQ(s.events[0].dropped_attributes_count, 2u);
  EXPECT_EQ(s.dropped_events_count, 3u);
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].trace_id.ToHex(), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(s.links[0].span_id.ToHex(), "bbbbbbbbbbbbbbbb");
  EXPECT_EQ(s.links[0].trace_state, "l=1");
  EXPECT_EQ(s.links[0].attributes[0].value, AnyValue::String("lv"));
  EXPECT_EQ(s.links[0].dropped_attributes_count, 4u);
  EXPECT_EQ(s.links[0].flags, 1u);
  EXPECT_EQ(s.dropped_links_count, 5u);
  EXPECT_EQ(s.status_code, model::StatusCode::kOk);
  EXPECT_EQ(s.status_message, "fine");
}

TEST(OtlpJsonTest, NullMeansAbsentAndEmptyParentIsRoot) {
  auto decoded = DecodeOtlpJson(WithSpan("{" + kIds + R"(,"parentSpanId":"","name":null,"attributes":null,
      "status":null,"kind":null})"), IngestLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->batch.spans.size(), 1u);
  EXPECT_TRUE(decoded->batch.spans[0].parent_span_id.IsZero());
  EXPECT_EQ(decoded->batch.spans[0].name, "");
}

TEST(OtlpJsonTest, EmptyRequestIsAnEmptyBatch) {
  for (const char* body : {"{}", R"({"resourceSpans":[]})", R"({"resourceSpans":null})"}) {
    auto decoded = DecodeOtlpJson(body, IngestLimits{});
    ASSERT_TRUE(decoded.ok()) << body << ": " << decoded.status().ToString();
    EXPECT_TRUE(decoded->batch.empty());
  }
}

TEST(OtlpJsonTest, BadIdsRejectOnlyThatSpan) {
  std::string body = R"({"resourceSpans":[{"scopeSpans":[{},{"spans":[
      {"traceId":"0102030405060708090a0b0c0d0e0f1","spanId":"1111111111111111"},
      {"traceId":"00000000000000000000000000000000","spanId":"1111111111111111"},
      {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000000"},
      {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"111111111111111x"},
      {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1111111111111111","parentSpanId":"12"},
      {"spanId":"1111111111111111"},
      {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1111111111111111","name":"good"}]}]}]})";
  auto decoded = DecodeOtlpJson(body, IngestLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->batch.spans.size(), 1u);
  EXPECT_EQ(decoded->batch.spans[0].name, "good");
  EXPECT_EQ(decoded->batch.spans[0].scope_index, 1u);
  EXPECT_EQ(decoded->rejected_spans, 6);
  EXPECT_EQ(decoded->rejection_message,
            "resourceSpans[0].scopeSpans[1].spans[0]: traceId must be 32 hex digits, got 31");
}

TEST(OtlpJsonTest, InvalidJsonIsInvalidArgument) {
  for (const char* body : {"", "{", R"({"resourceSpans":[})", "not json", R"({"a":1} trailing)"}) {
    auto decoded = DecodeOtlpJson(body, IngestLimits{});
    ASSERT_FALSE(decoded.ok()) << body;
    EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(decoded.status().message().find("not valid JSON"), std::string::npos) << decoded.status().message();
  }
}

TEST(OtlpJsonTest, WrongTypesNameThePath) {
  struct Case {
    std::string body;
    std::string message;
  };
  const Case cases[] = {
      {"[]", "body: expected a JSON object (ExportTraceServiceRequest), got array"},
      {R"({"resourceSpans":{}})", "resourceSpans: expected an array, got object"},
      {R"({"resourceSpans":[5]})", "resourceSpans[0]: expected an object, got number"},
      {WithSpan("{" + kIds + R"(,"name":7})"),
       "resourceSpans[0].scopeSpans[0].spans[0].name: expected a string, got number"},
      {WithSpan("{" + kIds + R"(,"startTimeUnixNano":true})"),
       "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected an unsigned 64-bit integer (number or "
       "decimal string), got boolean"},
      {WithSpan("{" + kIds + R"(,"endTimeUnixNano":"12ab"})"),
       "resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano: \"12ab\" is not an unsigned 64-bit integer"},
      {WithSpan("{" + kIds + R"(,"startTimeUnixNano":-1})"),
       "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: number out of range for an unsigned 64-bit "
       "integer"},
      {WithSpan("{" + kIds + R"(,"kind":"SERVER"})"),
       "resourceSpans[0].scopeSpans[0].spans[0].kind: unknown span kind \"SERVER\" (expected SPAN_KIND_INTERNAL, "
       "_SERVER, _CLIENT, _PRODUCER, _CONSUMER or 0-5)"},
      {WithSpan("{" + kIds + R"(,"attributes":[{"key":"k","value":{"intValue":1.5}}]})"),
       "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].intValue: 1.500000 is not a 64-bit integer"},
      {WithSpan("{" + kIds + R"(,"attributes":[{"key":"k","value":{"bytesValue":"!!"}}]})"),
       "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].bytesValue: \"!!\" is not base64"},
      {WithSpan("{" + kIds + R"(,"events":[{"name":["x"]}]})"),
       "resourceSpans[0].scopeSpans[0].spans[0].events[0].name: expected a string, got array"},
      {WithSpan("{" + kIds + R"(,"status":{"code":"BAD"}})"),
       "resourceSpans[0].scopeSpans[0].spans[0].status.code: unknown status code \"BAD\" (expected "
       "STATUS_CODE_UNSET, _OK, _ERROR or 0-2)"},
      {WithSpan(R"({"traceId":5})"), "resourceSpans[0].scopeSpans[0].spans[0].traceId: expected a string, got number"},
  };
  for (const Case& c : cases) {
    auto decoded = DecodeOtlpJson(c.body, IngestLimits{});
    ASSERT_FALSE(decoded.ok()) << c.body;
    EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(decoded.status().message(), c.message) << c.body;
  }
}

std::string NestedArrayValue(int depth) {
  std::string v = R"({"intValue":1})";
  for (int i = 1; i < depth; ++i) v = R"({"arrayValue":{"values":[)" + v + "]}}";
  return v;
}

TEST(OtlpJsonTest, NestingBeyondTheLimitIsInvalidArgument) {
  IngestLimits limits;
  limits.max_value_depth = 4;
  auto ok = DecodeOtlpJson(WithSpan("{" + kIds + R"(,"attributes":[{"key":"k","value":)" + NestedArrayValue(4) + "}]}"),
                           limits);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto deep = DecodeOtlpJson(
      WithSpan("{" + kIds + R"(,"attributes":[{"key":"k","value":)" + NestedArrayValue(5) + "}]}"), limits);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(deep.status().message().find("nests deeper than the limit of 4 levels"), std::string::npos)
      << deep.status().message();
}

TEST(OtlpJsonTest, AbsurdJsonNestingIsInvalidArgumentNotACrash) {
  std::string body(100000, '[');
  auto decoded = DecodeOtlpJson(body, IngestLimits{});
  EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument);
}

TEST(OtlpJsonTest, SameBatchAsProtobufForSameRequest) {
  // The JS payload decoded from JSON, re-encoded as protobuf and decoded again,
  // gives the same batch: the two decoders map identically.
  auto from_json = DecodeOtlpJson(ReadTestdata("otlp_js_export.json"), IngestLimits{});
  ASSERT_TRUE(from_json.ok());
  auto from_proto = DecodeOtlpProtobuf(EncodeOtlpProtobuf(from_json->batch), IngestLimits{});
  ASSERT_TRUE(from_proto.ok());
  EXPECT_EQ(from_proto->batch.spans, from_json->batch.spans);
  EXPECT_EQ(from_proto->batch.resources, from_json->batch.resources);
  EXPECT_EQ(from_proto->batch.scopes, from_json->batch.scopes);
}

}  // namespace
}  // namespace tracery::ingest
