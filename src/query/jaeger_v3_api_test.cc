#include "query/jaeger_v3_api.h"

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

class JaegerV3ApiTest : public ::testing::Test {
 protected:
  JaegerV3ApiTest() : api_(store_, [] { return kNowNs; }) { EXPECT_TRUE(store_.Write(testing::SampleTrace()).ok()); }

  std::string Body(const HttpRequest& req, int expected_status) {
    auto r = api_.Handle(req);
    EXPECT_TRUE(r.has_value());
    if (!r) return "";
    EXPECT_EQ(r->status, expected_status) << r->body;
    return r->body;
  }
  void ExpectError(const HttpRequest& req, int status, std::string_view msg_prefix) {
    ParsedJson p(Body(req, status));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(int64_t(p.root()["error"]["httpCode"]), status);
    EXPECT_EQ(Str(p.root()["error"]["message"]).rfind(msg_prefix, 0), 0u) << Str(p.root()["error"]["message"]);
  }

  storage::testing::MemorySpanStore store_;
  JaegerV3Api api_;
};

TEST_F(JaegerV3ApiTest, ServicesAndOperations) {
  EXPECT_EQ(Body(Get("/api/v3/services"), 200), R"({"services":["frontend","payments"]})");
  EXPECT_EQ(Body(Get("/api/v3/operations", {{"service", "frontend"}, {"span_kind", "server"}}), 200),
            R"({"operations":[{"name":"GET /checkout","spanKind":"server"}]})");
  ExpectError(Get("/api/v3/operations"), 400, "service: ");
  EXPECT_FALSE(api_.Handle(Get("/api/services")).has_value());
  EXPECT_FALSE(api_.Handle(Get("/api/v3/unknown")).has_value());
}

TEST_F(JaegerV3ApiTest, GetTraceReturnsOtlpJsonUnderResult) {
  ParsedJson p(Body(Get("/api/v3/traces/0af7651916cd43dd8448eb211c80319c"), 200));
  ASSERT_TRUE(p.ok());
  auto rs = p.root()["result"]["resourceSpans"];
  ASSERT_EQ(rs.get_array().size(), 2u);
  // Assembled order: the frontend root first.
  auto first = rs.at(0)["scopeSpans"].at(0)["spans"].at(0);
  EXPECT_EQ(Str(first["spanId"]), "0000000000000001");
  EXPECT_EQ(Str(first["traceId"]), "0af7651916cd43dd8448eb211c80319c");
  ExpectError(Get("/api/v3/traces/42"), 404, "trace not found");
  ExpectError(Get("/api/v3/traces/xyz"), 400, "trace_id: ");
}

TEST_F(JaegerV3ApiTest, FindTracesWithRfc3339RangeAndAttributes) {
  ParsedJson p(Body(Get("/api/v3/traces", {{"query.service_name", "frontend"},
                                           {"query.start_time_min", "2023-11-14T22:13:19Z"},
                                           {"query.start_time_max", "2023-11-14T23:13:21.5+01:00"},
                                           {"query.duration_min", "10ms"},
                                           {"query.search_depth", "7"},
                                           {"query.attributes", R"({"http.method":"GET"})"},
                                           {"query.attributes[retry]", "true"}}),
                    200));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.root()["result"]["resourceSpans"].get_array().size(), 2u);
  auto q = store_.last_query();
  EXPECT_EQ(q.start_time_min_ns, 1'699'999'999'000'000'000u);
  EXPECT_EQ(q.start_time_max_ns, 1'700'000'001'500'000'000u);
  EXPECT_EQ(q.limit, 7u);
  ASSERT_EQ(q.span_conditions.size(), 1u);
  EXPECT_EQ(q.span_conditions[0].service, "frontend");
  EXPECT_EQ(q.span_conditions[0].min_duration_ns, 10'000'000u);
  ASSERT_EQ(q.span_conditions[0].tags.size(), 2u);
  EXPECT_EQ(q.span_conditions[0].tags[1].key, "retry");

  ExpectError(Get("/api/v3/traces", {{"query.service_name", "nobody"}}), 404, "No traces found");
  ExpectError(Get("/api/v3/traces", {{"query.start_time_min", "yesterday"}}), 400, "query.start_time_min: ");
  ExpectError(Get("/api/v3/traces", {{"query.duration_max", "5"}}), 400, "query.duration_max: ");
  ExpectError(Get("/api/v3/traces", {{"query.search_depth", "many"}}), 400, "query.search_depth: ");
  ExpectError(Get("/api/v3/traces", {{"query.attributes", "[]"}}), 400, "query.attributes: ");
}

TEST(ParseRfc3339Test, AcceptsOffsetsAndFractions) {
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00Z"), 0u);
  EXPECT_EQ(*ParseRfc3339("2024-02-29T12:00:00.123456789Z"), 1'709'208'000'123'456'789u);
  EXPECT_EQ(*ParseRfc3339("2024-02-29T14:00:00+02:00"), 1'709'208'000'000'000'000u);
  for (const char* bad : {"", "2024-02-30T00:00:00Z", "2024-02-29T00:00:00", "2024-02-29 25:00:00Z",
                          "2024-02-29T00:00:00.Z", "1969-12-31T23:59:59Z", "2024-02-29T00:00:00Zjunk"})
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
}

}  // namespace
}  // namespace tracery::query
