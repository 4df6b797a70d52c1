#include "traceql/tempo_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>

#include "opentelemetry/proto/trace/v1/trace.pb.h"
#include "storage/testing/memory_span_store.h"

namespace tracery::traceql {
namespace {

using model::AnyValue;

// A JSON array by value (a copy of simdjson's cheap handle), so range-for
// loops do not bind to a temporary result.
simdjson::dom::array Arr(simdjson::dom::element e) {
  simdjson::dom::array a;
  EXPECT_EQ(e.get_array().get(a), simdjson::SUCCESS);
  return a;
}

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// The strings of a JSON array, or of one field of each of its objects.
std::vector<std::string> Strings(simdjson::dom::element arr, const char* field = nullptr) {
  std::vector<std::string> out;
  for (auto e : Arr(arr)) out.emplace_back(std::string_view(field ? e[field] : e));
  return out;
}

class TempoApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ns_ = NowNs() - 600'000'000'000ULL;  // ten minutes ago
    // Trace i: root "GET /i" (service svc-(i%2), 100ms + i ms), children
    // "db" (db.system=redis, http.status_code=200+i) and "cache".
    for (int i = 0; i < 6; ++i) {
      model::SpanBatch b;
      model::Resource r;
      r.attributes.push_back({"service.name", AnyValue::String("svc-" + std::to_string(i % 2))});
      b.resources.push_back(r);
      b.scopes.push_back({"tracer", "1.0", {}, 0, ""});
      model::Span root;
      root.trace_id = model::TraceId::FromHighLow(0xabc, static_cast<uint64_t>(i) + 1);
      root.span_id.value = 100;
      root.name = "GET /" + std::to_string(i);
      root.kind = model::SpanKind::kServer;
      root.start_time_unix_nano = base_ns_ + static_cast<uint64_t>(i) * 1'000'000'000ULL;
      root.end_time_unix_nano = root.start_time_unix_nano + (100 + i) * 1'000'000ULL;
      model::Span db = root;
      db.span_id.value = 101;
      db.parent_span_id.value = 100;
      db.name = "db";
      db.kind = model::SpanKind::kClient;
      db.end_time_unix_nano = db.start_time_unix_nano + 10'000'000;
      db.attributes = {{"db.system", AnyValue::String("redis")}, {"http.status_code", AnyValue::Int(200 + i)}};
      if (i == 3) db.status_code = model::StatusCode::kError;
      model::Span cache = db;
      cache.span_id.value = 102;
      cache.name = "cache";
      cache.attributes = {};
      cache.status_code = model::StatusCode::kUnset;
      b.spans = {root, db, cache};
      ASSERT_TRUE(store_.Write(b).ok());
    }
  }

  HttpResponse Get(const std::string& path, std::vector<std::pair<std::string, std::string>> query = {},
                   std::string accept = "") {
    HttpRequest req;
    req.method = "GET";
    req.path = path;
    req.query = std::move(query);
    if (!accept.empty()) req.headers.push_back({"accept", accept});
    auto r = api_.Handle(req);
    EXPECT_TRUE(r.has_value()) << path;
    return r.value_or(HttpResponse{});
  }

  simdjson::dom::element Parse(const HttpResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    auto doc = parser_.parse(r.body);
    EXPECT_EQ(doc.error(), simdjson::SUCCESS) << r.body;
    return doc.value_unsafe();
  }

  uint64_t base_ns_ = 0;
  storage::testing::MemorySpanStore store_;
  TempoApiHandler api_{&store_};
  simdjson::dom::parser parser_;
};

TEST_F(TempoApiTest, SearchResponseShape) {
  auto r = Get("/api/search", {{"q", R"({ resource.service.name = "svc-1" && .db.system = "redis" })"}, {"limit", "2"}});
  auto doc = Parse(r);
  auto traces = doc["traces"].get_array();
  ASSERT_EQ(traces.error(), simdjson::SUCCESS);
  ASSERT_EQ(traces.value().size(), 2u);
  auto t = traces.value().at(0);
  // Most recent first: trace 5 (svc-1).
  EXPECT_EQ(std::string_view(t["traceID"]), "0000000000000abc0000000000000006");
  EXPECT_EQ(std::string_view(t["rootServiceName"]), "svc-1");
  EXPECT_EQ(std::string_view(t["rootTraceName"]), "GET /5");
  EXPECT_EQ(std::string_view(t["startTimeUnixNano"]), std::to_string(base_ns_ + 5'000'000'000ULL));
  EXPECT_EQ(int64_t(t["durationMs"]), 105);
  auto set = t["spanSet"];
  EXPECT_EQ(int64_t(set["matched"]), 1);
  auto span = set["spans"].at(0);
  EXPECT_EQ(std::string_view(span["spanID"]), "0000000000000065");
  EXPECT_EQ(std::string_view(span["name"]), "db");
  EXPECT_EQ(std::string_view(span["durationNanos"]), "10000000");
  // The compared attributes are shown, typed as OTLP values.
  auto attrs = span["attributes"].get_array().value_unsafe();
  ASSERT_EQ(attrs.size(), 2u);
  EXPECT_EQ(std::string_view(attrs.at(0)["key"]), "service.name");
  EXPECT_EQ(std::string_view(attrs.at(0)["value"]["stringValue"]), "svc-1");
  EXPECT_EQ(std::string_view(attrs.at(1)["key"]), "db.system");
  EXPECT_EQ(t["spanSets"].get_array().value_unsafe().size(), 1u);
  EXPECT_EQ(std::string_view(doc["metrics"]["inspectedBytes"]), "0");
  EXPECT_EQ(int64_t(doc["metrics"]["totalJobs"]), 1);
  EXPECT_EQ(int64_t(doc["metrics"]["inspectedTraces"]), 2);
}

TEST_F(TempoApiTest, SpansPerSpansetLimitsSpansButMatchedCountsAll) {
  auto doc = Parse(Get("/api/search", {{"q", "{ }"}, {"spss", "2"}, {"limit", "1"}}));
  auto set = doc["traces"].at(0)["spanSet"];
  EXPECT_EQ(int64_t(set["matched"]), 3);
  EXPECT_EQ(set["spans"].get_array().value_unsafe().size(), 2u);
}

TEST_F(TempoApiTest, ByGroupsBecomeSpanSetsWithAttributes) {
  auto doc = Parse(Get("/api/search", {{"q", "{ } | by(kind) | count() > 1"}, {"limit", "1"}}));
  auto t = doc["traces"].at(0);
  auto sets = t["spanSets"].get_array().value_unsafe();
  ASSERT_EQ(sets.size(), 1u);  // server group has one span only
  EXPECT_EQ(int64_t(sets.at(0)["matched"]), 2);
  EXPECT_EQ(std::string_view(sets.at(0)["attributes"].at(0)["key"]), "by(kind)");
  EXPECT_EQ(std::string_view(sets.at(0)["attributes"].at(0)["value"]["stringValue"]), "client");
}

TEST_F(TempoApiTest, BadQueryIs400WithParserMessage) {
  auto r = Get("/api/search", {{"q", "{ .a = 1"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.body, "TraceQL: expected '}', found end of query at column 9\n");
  EXPECT_EQ(Get("/api/search", {{"q", "{}"}, {"limit", "x"}}).status, 400);
  EXPECT_EQ(Get("/api/search", {{"q", "{}"}, {"minDuration", "fast"}}).status, 400);
  EXPECT_EQ(Get("/api/search", {{"q", "{}"}, {"start", "20"}, {"end", "10"}}).status, 400);
}

TEST_F(TempoApiTest, LegacyTagSearchAndDurations) {
  auto doc = Parse(Get("/api/search", {{"tags", "service.name=svc-0 http.status_code=202"}}));
  auto traces = doc["traces"].get_array().value_unsafe();
  ASSERT_EQ(traces.size(), 1u);
  EXPECT_EQ(std::string_view(traces.at(0)["rootTraceName"]), "GET /2");
  doc = Parse(Get("/api/search", {{"tags", "service.name=svc-1"}, {"minDuration", "103ms"}}));
  EXPECT_EQ(doc["traces"].get_array().value_unsafe().size(), 2u);  // traces 3 and 5
  doc = Parse(Get("/api/search", {{"q", "{ }"}, {"maxDuration", "101ms"}}));
  EXPECT_EQ(doc["traces"].get_array().value_unsafe().size(), 2u);  // traces 0 and 1
}

TEST_F(TempoApiTest, StartEndWindowInUnixSeconds) {
  // Trace i starts at base + i seconds; [s, s+1] whole seconds holds two.
  const uint64_t s = base_ns_ / 1'000'000'000ULL + 2;
  auto doc = Parse(Get("/api/search", {{"q", "{ }"}, {"start", std::to_string(s)}, {"end", std::to_string(s + 1)}}));
  EXPECT_EQ(Strings(doc["traces"], "rootTraceName"), (std::vector<std::string>{"GET /3", "GET /2"}));
}

TEST_F(TempoApiTest, TraceByIdJsonAndProtobuf) {
  auto doc = Parse(Get("/api/v2/traces/0000000000000abc0000000000000002"));
  auto rs = doc["trace"]["resourceSpans"].at(0);
  EXPECT_EQ(std::string_view(rs["resource"]["attributes"].at(0)["value"]["stringValue"]), "svc-1");
  auto spans = rs["scopeSpans"].at(0)["spans"].get_array().value_unsafe();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(std::string_view(spans.at(0)["traceId"]), "0000000000000abc0000000000000002");
  EXPECT_EQ(std::string_view(spans.at(1)["parentSpanId"]), "0000000000000064");
  EXPECT_EQ(int64_t(spans.at(1)["kind"]), 3);
  EXPECT_EQ(std::string_view(spans.at(1)["attributes"].at(1)["value"]["intValue"]), "201");

  EXPECT_EQ(Get("/api/v2/traces/00000000000000000000000000000fff").status, 404);
  EXPECT_EQ(Get("/api/v2/traces/not-hex").status, 400);

  HttpResponse pb = Get("/api/traces/abc0000000000000002", {}, "application/protobuf");
  EXPECT_EQ(pb.status, 200);
  EXPECT_EQ(pb.content_type, "application/protobuf");
  opentelemetry::proto::trace::v1::TracesData data;
  ASSERT_TRUE(data.ParseFromString(pb.body));
  ASSERT_EQ(data.resource_spans_size(), 1);
  ASSERT_EQ(data.resource_spans(0).scope_spans(0).spans_size(), 3);
  EXPECT_EQ(data.resource_spans(0).scope_spans(0).spans(0).name(), "GET /1");
  EXPECT_EQ(data.resource_spans(0).scope_spans(0).scope().name(), "tracer");

  // TraceByIDResponse wraps the same message as field 1.
  HttpResponse v2 = Get("/api/v2/traces/abc0000000000000002", {}, "application/protobuf");
  ASSERT_GT(v2.body.size(), 3u);
  EXPECT_EQ(v2.body[0], '\x0a');
  opentelemetry::proto::trace::v1::TracesData wrapped;
  ASSERT_TRUE(wrapped.ParseFromString(v2.body.substr(1 + (pb.body.size() >= 128 ? 2 : 1))));
  EXPECT_EQ(wrapped.SerializeAsString(), pb.body);

  // JSON at /api/traces/<id> belongs to the Jaeger API.
  HttpRequest req;
  req.method = "GET";
  req.path = "/api/traces/abc0000000000000002";
  EXPECT_FALSE(api_.Handle(req).has_value());
}

TEST_F(TempoApiTest, EchoBuildinfoAndForeignPaths) {
  HttpResponse echo = Get("/api/echo");
  EXPECT_EQ(echo.body, "echo");
  auto doc = Parse(Get("/api/status/buildinfo"));
  EXPECT_EQ(std::string_view(doc["version"]), "tracery-0.1.0");
  HttpRequest req;
  req.method = "GET";
  req.path = "/api/services";
  EXPECT_FALSE(api_.Handle(req).has_value());
  req.method = "POST";
  req.path = "/api/search";
  EXPECT_FALSE(api_.Handle(req).has_value());
}


TEST_F(TempoApiTest, TagNamesAndValues) {
  auto doc = Parse(Get("/api/search/tags"));
  EXPECT_EQ(Strings(doc["tagNames"]), (std::vector<std::string>{"db.system", "http.status_code", "service.name"}));

  doc = Parse(Get("/api/v2/search/tags"));
  auto scopes = doc["scopes"].get_array().value_unsafe();
  ASSERT_EQ(scopes.size(), 3u);
  EXPECT_EQ(std::string_view(scopes.at(0)["name"]), "resource");
  EXPECT_EQ(Strings(scopes.at(0)["tags"]), (std::vector<std::string>{"service.name"}));
  EXPECT_EQ(Strings(scopes.at(1)["tags"]), (std::vector<std::string>{"db.system", "http.status_code"}));
  EXPECT_EQ(std::string_view(scopes.at(2)["name"]), "intrinsic");
  auto intrinsics = Strings(scopes.at(2)["tags"]);
  EXPECT_NE(std::find(intrinsics.begin(), intrinsics.end(), "status"), intrinsics.end());
  doc = Parse(Get("/api/v2/search/tags", {{"scope", "span"}}));
  EXPECT_EQ(doc["scopes"].get_array().value_unsafe().size(), 1u);

  doc = Parse(Get("/api/search/tag/service.name/values"));
  EXPECT_EQ(Strings(doc["tagValues"]), (std::vector<std::string>{"svc-0", "svc-1"}));

  doc = Parse(Get("/api/v2/search/tag/span.http.status_code/values"));
  auto values = doc["tagValues"].get_array().value_unsafe();
  ASSERT_EQ(values.size(), 6u);
  EXPECT_EQ(std::string_view(values.at(0)["type"]), "int");
  EXPECT_EQ(std::string_view(values.at(0)["value"]), "200");

  doc = Parse(Get("/api/v2/search/tag/status/values"));
  EXPECT_EQ(std::string_view(doc["tagValues"].at(0)["type"]), "keyword");
  EXPECT_EQ(std::string_view(doc["tagValues"].at(0)["value"]), "error");
  doc = Parse(Get("/api/v2/search/tag/resource.service.name/values"));
  EXPECT_EQ(std::string_view(doc["tagValues"].at(1)["value"]), "svc-1");
  EXPECT_EQ(Get("/api/v2/search/tag/bogus/values").status, 400);
}

TEST(TempoTagsToTraceQL, Logfmt) {
  auto q = TagsToTraceQL(R"(service.name=cart http.status_code=500 name="GET /x y" error=true ok=false w="a\"b")");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(*q,
            R"({ ."service.name" = "cart" && ."http.status_code" = 500 && name = "GET /x y" && status = error && ."ok" = false && ."w" = "a\"b" })");
  EXPECT_EQ(*TagsToTraceQL(""), "{}");
  EXPECT_FALSE(TagsToTraceQL("novalue").ok());
  EXPECT_FALSE(TagsToTraceQL(R"(a="unterminated)").ok());
}

}  // namespace
}  // namespace tracery::traceql
