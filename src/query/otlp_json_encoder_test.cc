#include "query/otlp_json_encoder.h"

#include <gtest/gtest.h>

#include "query/testing/json_test_helpers.h"
#include "query/testing/sample_trace.h"

namespace tracery::query {
namespace {

using testing::FindBy;
using testing::ParsedJson;
using testing::Str;

TEST(OtlpJsonEncoderTest, GroupsByResourceAndScopeWithProtobufJsonMapping) {
  const std::string json = EncodeOtlpJson(testing::SampleTrace());
  ParsedJson p(json);
  ASSERT_TRUE(p.ok()) << json;
  auto rs = p.root()["resourceSpans"];
  // Stored order is payments, frontend, frontend: two resources, first-seen first.
  ASSERT_EQ(rs.get_array().size(), 2u);
  EXPECT_EQ(simdjson::minify(rs.at(0)["resource"]),
            R"({"attributes":[{"key":"service.name","value":{"stringValue":"payments"}}]})");
  auto frontend = rs.at(1);
  EXPECT_EQ(Str(frontend["resource"]["attributes"].at(1)["value"]["stringValue"]), "web-1");
  auto scope_spans = frontend["scopeSpans"];
  ASSERT_EQ(scope_spans.get_array().size(), 1u);
  EXPECT_EQ(simdjson::minify(scope_spans.at(0)["scope"]), R"({"name":"io.opentelemetry.http","version":"1.2.0"})");
  auto spans = scope_spans.at(0)["spans"];
  ASSERT_EQ(spans.get_array().size(), 2u);

  auto root = spans.at(0);
  EXPECT_EQ(Str(root["traceId"]), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(Str(root["spanId"]), "0000000000000001");
  EXPECT_TRUE(root["parentSpanId"].error() == simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(Str(root["traceState"]), "k=v");
  EXPECT_EQ(uint64_t(root["flags"]), 1u);
  EXPECT_EQ(Str(root["name"]), "GET /checkout");
  EXPECT_EQ(uint64_t(root["kind"]), 2u);
  EXPECT_EQ(Str(root["startTimeUnixNano"]), "1700000000000000000");
  EXPECT_EQ(Str(root["endTimeUnixNano"]), "1700000000100000000");
  simdjson::dom::element attrs = root["attributes"];
  auto value = [&](std::string_view key) { return simdjson::minify(FindBy(attrs, "key", key)["value"]); };
  EXPECT_EQ(value("http.method"), R"({"stringValue":"GET"})");
  EXPECT_EQ(value("http.status_code"), R"({"intValue":"500"})");
  EXPECT_EQ(value("retry"), R"({"boolValue":true})");
  EXPECT_EQ(value("ratio"), R"({"doubleValue":0.25})");
  EXPECT_EQ(value("payload"), R"({"bytesValue":"AQI="})");
  EXPECT_EQ(value("labels"), R"({"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}})");
  EXPECT_EQ(simdjson::minify(root["events"]),
            R"([{"timeUnixNano":"1700000000010000000","name":"exception","attributes":)"
            R"([{"key":"exception.message","value":{"stringValue":"bad"}}]}])");
  EXPECT_EQ(simdjson::minify(root["status"]), R"({"message":"boom","code":2})");

  auto client = spans.at(1);
  EXPECT_EQ(Str(client["parentSpanId"]), "0000000000000001");
  EXPECT_EQ(uint64_t(client["kind"]), 3u);
  EXPECT_EQ(simdjson::minify(client["links"]),
            R"([{"traceId":"00000000000000000000000000000001","spanId":"0000000000000005"}])");
  EXPECT_EQ(simdjson::minify(client["status"]), "{}");
}

TEST(OtlpJsonEncoderTest, MapsEmptyValuesAndEqualResourcesMerge) {
  model::SpanBatch b;
  b.resources.push_back({{{"service.name", model::AnyValue::String("a")}}});
  b.resources.push_back(b.resources[0]);  // equal content, separate index
  b.scopes.push_back({});
  model::Span s;
  s.name = "x";
  model::AnyValue map;
  map.type = model::AnyValue::Type::kMap;
  map.map = {{"k", model::AnyValue::Int(-7)}, {"e", model::AnyValue{}}};
  s.attributes = {{"m", map}};
  b.spans = {s, s};
  b.spans[1].resource_index = 1;
  const std::string json = EncodeOtlpJson(b);
  ParsedJson p(json);
  ASSERT_TRUE(p.ok()) << json;
  ASSERT_EQ(p.root()["resourceSpans"].get_array().size(), 1u);
  auto spans = p.root()["resourceSpans"].at(0)["scopeSpans"].at(0)["spans"];
  EXPECT_EQ(spans.get_array().size(), 2u);
  EXPECT_EQ(simdjson::minify(spans.at(0)["attributes"].at(0)["value"]),
            R"({"kvlistValue":{"values":[{"key":"k","value":{"intValue":"-7"}},{"key":"e","value":{}}]}})");
}

TEST(OtlpJsonEncoderTest, EmptyBatchIsAnEmptyList) { EXPECT_EQ(EncodeOtlpJson({}), R"({"resourceSpans":[]})"); }

}  // namespace
}  // namespace tracery::query
