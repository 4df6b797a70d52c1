#include "query/zipkin_api.h"

#include <gtest/gtest.h>

#include "query/testing/http_request.h"
#include "query/testing/json_test_helpers.h"
#include "query/testing/sample_trace.h"
#include "storage/testing/memory_span_store.h"

namespace tracery::query {
namespace {

using testing::Get;
using testing::ParsedJson;
using testing::Str;

constexpr uint64_t kNowNs = testing::kSampleBaseNs + 60'000'000'000ULL;
const std::string kNowMs = std::to_string(kNowNs / 1'000'000);

class ZipkinApiTest : public ::testing::Test {
 protected:
  ZipkinApiTest() : api_(store_, [] { return kNowNs; }) { EXPECT_TRUE(store_.Write(testing::SampleTrace()).ok()); }

  std::string Body(const HttpRequest& req, int expected_status = 200) {
    auto r = api_.Handle(req);
    EXPECT_TRUE(r.has_value());
    if (!r) return "";
    EXPECT_EQ(r->status, expected_status) << r->body;
    return r->body;
  }

  storage::testing::MemorySpanStore store_;
  ZipkinApi api_;
};

TEST_F(ZipkinApiTest, RoutesOnlyItsGetPaths) {
  EXPECT_FALSE(api_.Handle(Get("/api/services")).has_value());
  HttpRequest post = Get("/api/v2/spans");
  post.method = "POST";
  EXPECT_FALSE(api_.Handle(post).has_value());  // ingest belongs to another handler
  post.path = "/api/v2/services";
  EXPECT_EQ(api_.Handle(post)->status, 405);
}

TEST_F(ZipkinApiTest, ServicesSpanNamesAndRemoteServicesMatchCaseInsensitively) {
  EXPECT_EQ(Body(Get("/api/v2/services")), R"(["frontend","payments"])");
  EXPECT_EQ(Body(Get("/api/v2/spans", {{"serviceName", "FrontEnd"}})), R"(["GET /checkout","charge"])");
  EXPECT_EQ(Body(Get("/api/v2/remoteServices", {{"serviceName", "FRONTEND"}})), R"(["payments"])");
  EXPECT_EQ(Body(Get("/api/v2/spans"), 400), "serviceName: parameter is required");
}

TEST_F(ZipkinApiTest, TraceHasZipkinV2Shape) {
  ParsedJson p(Body(Get("/api/v2/trace/0af7651916cd43dd8448eb211c80319c")));
  ASSERT_TRUE(p.ok());
  auto spans = p.root();
  ASSERT_EQ(spans.get_array().size(), 3u);
  auto root = spans.at(0);
  EXPECT_EQ(Str(root["traceId"]), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_TRUE(root["parentId"].error() == simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(Str(root["id"]), "0000000000000001");
  EXPECT_EQ(Str(root["kind"]), "SERVER");
  EXPECT_EQ(Str(root["name"]), "GET /checkout");
  EXPECT_EQ(uint64_t(root["timestamp"]), 1'700'000'000'000'000u);
  EXPECT_EQ(uint64_t(root["duration"]), 100'000u);
  EXPECT_EQ(simdjson::minify(root["localEndpoint"]), R"({"serviceName":"frontend"})");
  EXPECT_EQ(simdjson::minify(root["annotations"]),
            R"([{"timestamp":1700000000010000,"value":"{\"exception\":{\"exception.message\":\"bad\"}}"}])");
  auto tags = root["tags"];
  EXPECT_EQ(Str(tags["http.status_code"]), "500");
  EXPECT_EQ(Str(tags["retry"]), "true");
  EXPECT_EQ(Str(tags["ratio"]), "0.25");
  EXPECT_EQ(Str(tags["payload"]), "AQI=");
  EXPECT_EQ(Str(tags["labels"]), R"(["a","b"])");
  EXPECT_EQ(Str(tags["error"]), "boom");
  EXPECT_EQ(Str(tags["otel.status_code"]), "ERROR");
  EXPECT_EQ(Str(tags["otel.scope.name"]), "io.opentelemetry.http");

  auto client = spans.at(1);
  EXPECT_EQ(Str(client["parentId"]), "0000000000000001");
  EXPECT_EQ(Str(client["kind"]), "CLIENT");
  EXPECT_EQ(simdjson::minify(client["remoteEndpoint"]), R"({"serviceName":"payments","port":8443})");
  EXPECT_TRUE(client["annotations"].error() == simdjson::NO_SUCH_FIELD);
  EXPECT_TRUE(client["tags"]["error"].error() == simdjson::NO_SUCH_FIELD);

  auto server = spans.at(2);
  EXPECT_EQ(simdjson::minify(server["localEndpoint"]), R"({"serviceName":"payments"})");
  EXPECT_TRUE(server["shared"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_F(ZipkinApiTest, SharedSpanKeepsItsIdAndIsMarkedShared) {
  model::SpanBatch b = testing::SampleTrace();
  for (auto& s : b.spans) {
    s.trace_id = model::TraceId::FromHighLow(0, 0x77);
    if (s.span_id.value == 3) {
      s.span_id.value = 2;  // Zipkin-style: server shares the client's id and parent
      s.parent_span_id.value = 1;
    }
  }
  ASSERT_TRUE(store_.Write(b).ok());
  ParsedJson p(Body(Get("/api/v2/trace/77")));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p.root().get_array().size(), 3u);
  auto server = p.root().at(2);
  EXPECT_EQ(Str(server["traceId"]), "0000000000000077");  // 64-bit ids render as 16 hex digits
  EXPECT_EQ(Str(server["id"]), "0000000000000002");
  EXPECT_EQ(Str(server["parentId"]), "0000000000000001");
  EXPECT_EQ(Str(server["kind"]), "SERVER");
  EXPECT_TRUE(bool(server["shared"]));
}

TEST_F(ZipkinApiTest, MissingTraceIs404AndBadIdIs400) {
  EXPECT_EQ(Body(Get("/api/v2/trace/123"), 404), "trace 123 not found");
  EXPECT_EQ(Body(Get("/api/v2/trace/zz"), 400).rfind("traceId: ", 0), 0u);
}

TEST_F(ZipkinApiTest, TracesSearchTranslatesParameters) {
  ParsedJson p(Body(Get("/api/v2/traces", {{"serviceName", "PAYMENTS"},
                                           {"spanName", "post /CHARGE"},
                                           {"minDuration", "1000"},
                                           {"maxDuration", "900000"},
                                           {"endTs", kNowMs},
                                           {"lookback", "3600000"},
                                           {"limit", "3"}})));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p.root().get_array().size(), 1u);
  EXPECT_EQ(p.root().at(0).get_array().size(), 3u);
  auto q = store_.last_query();
  ASSERT_EQ(q.span_conditions.size(), 1u);
  EXPECT_EQ(q.span_conditions[0].service, "payments");
  EXPECT_EQ(q.span_conditions[0].operation, "POST /charge");
  EXPECT_EQ(q.span_conditions[0].min_duration_ns, 1'000'000u);
  EXPECT_EQ(q.span_conditions[0].max_duration_ns, 900'000'000u);
  EXPECT_EQ(q.start_time_max_ns, kNowNs);
  EXPECT_EQ(q.start_time_min_ns, kNowNs - 3600'000'000'000ULL);
  EXPECT_EQ(q.limit, 3u);

  // http.method=GET and error are on the root, peer.service on the client:
  // one condition needs one span with all three, so nothing matches.
  EXPECT_EQ(Body(Get("/api/v2/traces", {{"annotationQuery", "http.method=GET and error"},
                                        {"remoteServiceName", "payments"}})),
            "[]");
  q = store_.last_query();
  ASSERT_EQ(q.span_conditions.size(), 1u);
  EXPECT_TRUE(q.span_conditions[0].error_only);
  ASSERT_EQ(q.span_conditions[0].tags.size(), 2u);
  EXPECT_EQ(q.span_conditions[0].tags[0].key, "peer.service");
  EXPECT_EQ(q.span_conditions[0].tags[1].key, "http.method");
  EXPECT_EQ(Body(Get("/api/v2/traces", {{"annotationQuery", "http.method=GET and error"}})).substr(0, 3), "[[{");

  EXPECT_EQ(Body(Get("/api/v2/traces", {{"annotationQuery", "retried"}}), 400).rfind("annotationQuery: ", 0), 0u);
  EXPECT_EQ(Body(Get("/api/v2/traces", {{"minDuration", "1ms"}}), 400).rfind("minDuration: ", 0), 0u);
  EXPECT_EQ(Body(Get("/api/v2/traces", {{"endTs", "x"}}), 400).rfind("endTs: ", 0), 0u);
  EXPECT_EQ(Body(Get("/api/v2/traces", {{"limit", "-2"}}), 400).rfind("limit: ", 0), 0u);
}

TEST_F(ZipkinApiTest, TraceManyReturnsFoundTraces) {
  ParsedJson p(Body(Get("/api/v2/traceMany", {{"traceIds", "0af7651916cd43dd8448eb211c80319c,1234"}})));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p.root().get_array().size(), 1u);
  EXPECT_EQ(p.root().at(0).get_array().size(), 3u);
  EXPECT_EQ(Body(Get("/api/v2/traceMany", {{"traceIds", "abc,nothex"}}), 400).rfind("traceIds: ", 0), 0u);
  EXPECT_EQ(Body(Get("/api/v2/traceMany"), 400).rfind("traceIds: ", 0), 0u);
}

TEST_F(ZipkinApiTest, DependenciesAndAutocomplete) {
  EXPECT_EQ(Body(Get("/api/v2/dependencies", {{"endTs", kNowMs}})),
            R"([{"parent":"frontend","child":"payments","callCount":1,"errorCount":0}])");
  const std::string keys = Body(Get("/api/v2/autocompleteKeys"));
  EXPECT_EQ(keys,
            R"(["http.method","http.status_code","labels","payload","peer.service","ratio","retry",)"
            R"("server.address","server.port"])");
  EXPECT_EQ(Body(Get("/api/v2/autocompleteValues", {{"key", "http.method"}})), R"(["GET"])");
  EXPECT_EQ(Body(Get("/api/v2/autocompleteValues"), 400), "key: parameter is required");
}

TEST(ZipkinApiBoundsTest, AutocompleteReadsOnlyTheConfiguredWindow) {
  storage::testing::MemorySpanStore store;
  ASSERT_TRUE(store.Write(testing::SampleTrace()).ok());
  QueryApiOptions o;
  o.recent_scan_window_ns = 1'000'000'000;  // the sample is a minute old
  ZipkinApi api(store, [] { return kNowNs; }, o);
  EXPECT_EQ(api.Handle(Get("/api/v2/autocompleteKeys"))->body, "[]");
}

}  // namespace
}  // namespace tracery::query
