#include "query/jaeger_api.h"

#include <gtest/gtest.h>

#include "query/testing/http_request.h"
#include "query/testing/json_test_helpers.h"
#include "query/testing/sample_trace.h"
#include "storage/testing/memory_span_store.h"

namespace tracery::query {
namespace {

using testing::FindBy;
using testing::Get;
using testing::ParsedJson;
using testing::Str;

constexpr uint64_t kNowNs = testing::kSampleBaseNs + 60'000'000'000ULL;  // a minute after the sample

class JaegerApiTest : public ::testing::Test {
 protected:
  JaegerApiTest() : api_(store_, [] { return kNowNs; }) { EXPECT_TRUE(store_.Write(testing::SampleTrace()).ok()); }

  HttpResponse Call(const HttpRequest& req) {
    auto r = api_.Handle(req);
    EXPECT_TRUE(r.has_value());
    return r ? *r : HttpResponse{};
  }

  // Checks the envelope of a successful response and returns its parse.
  std::unique_ptr<ParsedJson> Ok(const HttpRequest& req) {
    HttpResponse r = Call(req);
    EXPECT_EQ(r.status, 200) << r.body;
    auto p = std::make_unique<ParsedJson>(r.body);
    EXPECT_TRUE(p->ok()) << r.body;
    auto root = p->root();
    EXPECT_EQ(int64_t(root["limit"]), 0);
    EXPECT_EQ(int64_t(root["offset"]), 0);
    EXPECT_TRUE(root["errors"].is_null());
    return p;
  }

  void ExpectError(const HttpRequest& req, int status, std::string_view msg_prefix) {
    HttpResponse r = Call(req);
    EXPECT_EQ(r.status, status) << r.body;
    ParsedJson p(r.body);
    ASSERT_TRUE(p.ok()) << r.body;
    EXPECT_TRUE(p.root()["data"].is_null());
    EXPECT_EQ(int64_t(p.root()["total"]), 0);
    auto err = p.root()["errors"].at(0);
    EXPECT_EQ(int64_t(err["code"]), status);
    EXPECT_EQ(Str(err["msg"]).rfind(msg_prefix, 0), 0u) << Str(err["msg"]);
  }

  storage::testing::MemorySpanStore store_;
  JaegerApi api_;
};

TEST_F(JaegerApiTest, IgnoresOtherPathsAndRejectsOtherMethods) {
  EXPECT_FALSE(api_.Handle(Get("/api/v2/services")).has_value());
  EXPECT_FALSE(api_.Handle(Get("/metrics")).has_value());
  HttpRequest post = Get("/api/services");
  post.method = "POST";
  ExpectError(post, 405, "method not allowed");
}

TEST_F(JaegerApiTest, ServicesAndOperations) {
  auto p = Ok(Get("/api/services"));
  EXPECT_EQ(simdjson::minify(p->root()["data"]), R"(["frontend","payments"])");
  EXPECT_EQ(int64_t(p->root()["total"]), 2);

  p = Ok(Get("/api/services/frontend/operations"));
  EXPECT_EQ(simdjson::minify(p->root()["data"]), R"(["GET /checkout","charge"])");

  p = Ok(Get("/api/operations", {{"service", "frontend"}}));
  EXPECT_EQ(simdjson::minify(p->root()["data"]),
            R"([{"name":"GET /checkout","spanKind":"server"},{"name":"charge","spanKind":"client"}])");
  p = Ok(Get("/api/operations", {{"service", "frontend"}, {"spanKind", "client"}}));
  EXPECT_EQ(simdjson::minify(p->root()["data"]), R"([{"name":"charge","spanKind":"client"}])");

  ExpectError(Get("/api/operations"), 400, "service: ");
  ExpectError(Get("/api/operations", {{"service", "x"}, {"spanKind", "up"}}), 400, "spanKind: ");
}

TEST_F(JaegerApiTest, TraceByIdHasJaegerShape) {
  auto p = Ok(Get("/api/traces/0af7651916cd43dd8448eb211c80319c"));
  auto data = p->root()["data"];
  ASSERT_EQ(data.get_array().size(), 1u);
  auto trace = data.at(0);
  EXPECT_EQ(Str(trace["traceID"]), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_TRUE(trace["warnings"].is_null());
  auto spans = trace["spans"];
  ASSERT_EQ(spans.get_array().size(), 3u);

  auto root = spans.at(0);
  EXPECT_EQ(Str(root["traceID"]), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(Str(root["spanID"]), "0000000000000001");
  EXPECT_EQ(Str(root["operationName"]), "GET /checkout");
  EXPECT_EQ(root["references"].get_array().size(), 0u);
  EXPECT_EQ(uint64_t(root["startTime"]), 1'700'000'000'000'000u);
  EXPECT_EQ(uint64_t(root["duration"]), 100'000u);
  EXPECT_EQ(uint64_t(root["flags"]), 1u);
  EXPECT_EQ(Str(root["processID"]), "p1");
  EXPECT_TRUE(root["warnings"].is_null());
  simdjson::dom::element tags = root["tags"];
  auto tag = [&](std::string_view key) { return FindBy(tags, "key", key); };
  EXPECT_EQ(simdjson::minify(tag("http.method")), R"({"key":"http.method","type":"string","value":"GET"})");
  EXPECT_EQ(simdjson::minify(tag("http.status_code")), R"({"key":"http.status_code","type":"int64","value":500})");
  EXPECT_EQ(simdjson::minify(tag("retry")), R"({"key":"retry","type":"bool","value":true})");
  EXPECT_EQ(simdjson::minify(tag("ratio")), R"({"key":"ratio","type":"float64","value":0.25})");
  EXPECT_EQ(simdjson::minify(tag("payload")), R"({"key":"payload","type":"binary","value":"AQI="})");
  EXPECT_EQ(Str(tag("labels")["value"]), R"(["a","b"])");
  EXPECT_EQ(Str(tag("span.kind")["value"]), "server");
  EXPECT_EQ(Str(tag("otel.status_code")["value"]), "ERROR");
  EXPECT_EQ(simdjson::minify(tag("error")), R"({"key":"error","type":"bool","value":true})");
  EXPECT_EQ(Str(tag("otel.status_description")["value"]), "boom");
  EXPECT_EQ(Str(tag("otel.scope.name")["value"]), "io.opentelemetry.http");
  EXPECT_EQ(Str(tag("otel.scope.version")["value"]), "1.2.0");
  EXPECT_EQ(Str(tag("w3c.tracestate")["value"]), "k=v");
  EXPECT_EQ(simdjson::minify(root["logs"]),
            R"([{"timestamp":1700000000010000,"fields":[{"key":"event","type":"string","value":"exception"},)"
            R"({"key":"exception.message","type":"string","value":"bad"}]}])");

  auto client = spans.at(1);
  EXPECT_EQ(Str(client["spanID"]), "0000000000000002");
  EXPECT_EQ(simdjson::minify(client["references"]),
            R"([{"refType":"CHILD_OF","traceID":"0af7651916cd43dd8448eb211c80319c","spanID":"0000000000000001"},)"
            R"({"refType":"FOLLOWS_FROM","traceID":"0000000000000001","spanID":"0000000000000005"}])");
  EXPECT_FALSE(FindBy(client["tags"], "key", "error").is_object());
  EXPECT_FALSE(FindBy(client["tags"], "key", "otel.status_code").is_object());  // status unset

  auto server = spans.at(2);
  EXPECT_EQ(Str(server["processID"]), "p2");
  EXPECT_EQ(Str(FindBy(server["tags"], "key", "otel.status_code")["value"]), "OK");

  EXPECT_EQ(simdjson::minify(trace["processes"]),
            R"({"p1":{"serviceName":"frontend","tags":[{"key":"host.name","type":"string","value":"web-1"}]},)"
            R"("p2":{"serviceName":"payments","tags":[]}})");
}

TEST_F(JaegerApiTest, SixtyFourBitTraceIdsRenderAsSixteenHexDigits) {
  model::SpanBatch b = testing::SampleTrace();
  for (auto& s : b.spans) s.trace_id = model::TraceId::FromHighLow(0, 0xabc);
  ASSERT_TRUE(store_.Write(b).ok());
  auto p = Ok(Get("/api/traces/abc"));
  EXPECT_EQ(Str(p->root()["data"].at(0)["traceID"]), "0000000000000abc");
  EXPECT_EQ(Str(p->root()["data"].at(0)["spans"].at(1)["references"].at(0)["traceID"]), "0000000000000abc");
}

TEST_F(JaegerApiTest, MissingTraceIs404AndBadIdIs400) {
  ExpectError(Get("/api/traces/00000000000000000000000000000042"), 404, "trace not found");
  ExpectError(Get("/api/traces/not-hex"), 400, "traceID: ");
  ExpectError(Get("/api/traces/0"), 400, "traceID: ");
}

TEST_F(JaegerApiTest, SearchReturnsFullTracesAndPassesConditions) {
  auto p = Ok(Get("/api/traces", {{"service", "payments"}, {"tags", R"({"error":"false"})"}, {"limit", "5"}}));
  auto data = p->root()["data"];
  ASSERT_EQ(data.get_array().size(), 1u);
  EXPECT_EQ(data.at(0)["spans"].get_array().size(), 3u);
  EXPECT_EQ(int64_t(p->root()["total"]), 1);
  auto q = store_.last_query();
  ASSERT_EQ(q.span_conditions.size(), 1u);
  EXPECT_EQ(q.span_conditions[0].service, "payments");
  EXPECT_EQ(q.limit, 5u);
  EXPECT_EQ(q.start_time_max_ns, kNowNs);

  p = Ok(Get("/api/traces", {{"service", "nobody"}}));
  EXPECT_EQ(p->root()["data"].get_array().size(), 0u);

  ExpectError(Get("/api/traces", {{"minDuration", "1.2xs"}}), 400,
              "minDuration: cannot parse \"1.2xs\" as a duration");
  ExpectError(Get("/api/traces", {{"limit", "-1"}}), 400, "limit: ");
}

TEST_F(JaegerApiTest, SearchPagesWithCursorAndExplicitTraceIds) {
  for (uint64_t t = 1; t <= 3; ++t) {
    model::SpanBatch b = testing::SampleTrace();
    for (auto& s : b.spans) {
      s.trace_id = model::TraceId::FromHighLow(7, t);
      s.start_time_unix_nano += t * 1'000'000'000;
      s.end_time_unix_nano += t * 1'000'000'000;
    }
    ASSERT_TRUE(store_.Write(b).ok());
  }
  auto p = Ok(Get("/api/traces", {{"limit", "2"}}));
  ASSERT_EQ(p->root()["data"].get_array().size(), 2u);
  EXPECT_EQ(Str(p->root()["data"].at(0)["traceID"]), "00000000000000070000000000000003");
  const std::string cursor = Str(p->root()["nextCursor"]);
  ASSERT_FALSE(cursor.empty());
  p = Ok(Get("/api/traces", {{"limit", "2"}, {"cursor", cursor}}));
  ASSERT_EQ(p->root()["data"].get_array().size(), 2u);
  EXPECT_EQ(Str(p->root()["data"].at(0)["traceID"]), "00000000000000070000000000000001");
  EXPECT_TRUE(p->root()["nextCursor"].error() == simdjson::NO_SUCH_FIELD);

  p = Ok(Get("/api/traces", {{"traceID", "00000000000000070000000000000002"}, {"traceID", "99"}}));
  ASSERT_EQ(p->root()["data"].get_array().size(), 1u);  // unknown ids are left out
  EXPECT_EQ(Str(p->root()["data"].at(0)["traceID"]), "00000000000000070000000000000002");
}

TEST(JaegerApiLimitsTest, SearchStopsAtTheResponseSpanBudgetAndSaysSo) {
  storage::testing::MemorySpanStore store;
  for (uint64_t t = 1; t <= 3; ++t) {
    model::SpanBatch b = testing::SampleTrace();
    for (auto& s : b.spans) s.trace_id = model::TraceId::FromHighLow(7, t);
    ASSERT_TRUE(store.Write(b).ok());
  }
  QueryApiOptions o;
  o.max_spans_per_search = 4;
  JaegerApi api(store, [] { return kNowNs; }, o);
  auto r = api.Handle(Get("/api/traces"));
  ASSERT_TRUE(r);
  ParsedJson p(r->body);
  ASSERT_TRUE(p.ok());
  auto data = p.root()["data"];
  ASSERT_EQ(data.get_array().size(), 2u);
  EXPECT_EQ(data.at(0)["spans"].get_array().size(), 3u);
  EXPECT_EQ(data.at(1)["spans"].get_array().size(), 1u);  // cut to the budget, with a warning
  EXPECT_NE(Str(data.at(1)["spans"].at(0)["warnings"].at(0)).find("truncated"), std::string::npos);
  EXPECT_NE(Str(p.root()["warnings"].at(0)).find("span limit"), std::string::npos);
}

TEST(JaegerApiLimitsTest, HugeTraceIsTruncatedToMaxSpansPerTrace) {
  storage::testing::MemorySpanStore store;
  model::SpanBatch b;
  b.resources.push_back({{{"service.name", model::AnyValue::String("big")}}});
  b.scopes.push_back({});
  for (uint64_t i = 1; i <= 100'000; ++i) {
    model::Span s;
    s.trace_id = model::TraceId::FromHighLow(0, 9);
    s.span_id.value = i;
    s.parent_span_id.value = i == 1 ? 0 : 1;
    s.name = "op";
    s.start_time_unix_nano = testing::kSampleBaseNs + i;
    s.end_time_unix_nano = testing::kSampleBaseNs + 1'000'000;
    b.spans.push_back(std::move(s));
  }
  ASSERT_TRUE(store.Write(b).ok());
  QueryApiOptions o;
  o.max_spans_per_trace = 1000;
  JaegerApi api(store, [] { return kNowNs; }, o);
  auto r = api.Handle(Get("/api/traces/9"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ParsedJson p(r->body);
  ASSERT_TRUE(p.ok());
  auto trace = p.root()["data"].at(0);
  EXPECT_EQ(trace["spans"].get_array().size(), 1000u);
  EXPECT_NE(Str(trace["warnings"].at(0)).find("truncated"), std::string::npos);
  EXPECT_NE(Str(trace["spans"].at(0)["warnings"].at(0)).find("truncated"), std::string::npos);
}

TEST_F(JaegerApiTest, ClockSkewWarningIsOnTheAdjustedSpan) {
  model::SpanBatch b = testing::SampleTrace();
  for (auto& s : b.spans) {
    s.trace_id = model::TraceId::FromHighLow(0, 0x5);
    if (s.span_id.value == 3) {  // payments server 20ms before its client call
      s.start_time_unix_nano -= 30'000'000;
      s.end_time_unix_nano -= 30'000'000;
    }
  }
  ASSERT_TRUE(store_.Write(b).ok());
  auto p = Ok(Get("/api/traces/5"));
  auto server = p->root()["data"].at(0)["spans"].at(2);
  // Client 10..60ms, server 30ms long: centred at 20ms, i.e. moved by +30ms.
  EXPECT_EQ(uint64_t(server["startTime"]), 1'700'000'000'020'000u);
  EXPECT_EQ(simdjson::minify(server["warnings"]), R"(["clock skew adjustment applied: 30ms"])");
}

TEST_F(JaegerApiTest, DependenciesInMilliseconds) {
  const uint64_t end_ms = testing::kSampleBaseNs / 1'000'000 + 1000;
  auto p = Ok(Get("/api/dependencies", {{"endTs", std::to_string(end_ms)}, {"lookback", "60000"}}));
  EXPECT_EQ(simdjson::minify(p->root()["data"]), R"([{"parent":"frontend","child":"payments","callCount":1}])");
  p = Ok(Get("/api/dependencies", {{"endTs", std::to_string(end_ms - 2000)}, {"lookback", "500"}}));
  EXPECT_EQ(simdjson::minify(p->root()["data"]), "[]");
  ExpectError(Get("/api/dependencies", {{"endTs", "soon"}}), 400, "endTs: ");
}

}  // namespace
}  // namespace tracery::query
