#include "analysis/analysis_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <deque>
#include <filesystem>

#include "storage/testing/memory_span_store.h"
#include "analysis/testing/trace_builder.h"

namespace tracery::analysis {
namespace {

namespace fs = std::filesystem;
using model::SpanKind;
using testing::TraceBuilder;

constexpr uint64_t kT0 = 1704067200ULL * 1'000'000'000ULL;  // a whole hour
constexpr uint64_t kT0Us = kT0 / 1000;

// The tests' stand-in for query::ParseTraceQuery: service, operation and
// limit, with the time range of the whole test data.
Result<storage::TraceQuery> TestSearch(const HttpRequest& req, uint64_t) {
  storage::TraceQuery q;
  q.start_time_min_ns = kT0 - kNanosPerMinute;
  q.start_time_max_ns = kT0 + 10 * kNanosPerMinute;
  storage::SpanCondition c;
  if (auto* s = req.Param("service")) c.service = *s;
  if (auto* o = req.Param("operation")) c.operation = *o;
  if (!c.service.empty() || !c.operation.empty()) q.span_conditions.push_back(c);
  if (auto* l = req.Param("limit")) q.limit = std::stoul(*l);
  return q;
}

class AnalysisApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("tracery_api_" + std::to_string(::getpid()))).string();
    fs::remove_all(dir_);
    SpanMetricsOptions mo;
    mo.dir = dir_;
    mo.clock_ns = [] { return kT0 + 5 * kNanosPerMinute; };
    metrics_ = std::move(SpanMetricsAggregator::Open(mo)).value();
    AnalysisApiOptions o;
    o.metrics = metrics_.get();
    o.store = &store_;
    o.parse_search = TestSearch;
    o.clock_ns = [] { return kT0 + 5 * kNanosPerMinute; };
    api_ = std::make_unique<AnalysisApi>(o);

    // Trace 1: frontend -> cart (slow), error with a message.
    TraceBuilder a(1, kT0);
    auto root = a.Add("frontend", "GET /", 0, 1000);
    auto call = a.Add("frontend", "GET cart", 100, 900, root, SpanKind::kClient);
    a.Add("cart", "GET /cart", 110, 890, call, SpanKind::kServer, true);
    a.last().status_message = "item 42 missing";
    // Trace 2: same shape, faster, plus a db call.
    TraceBuilder b(2, kT0 + kNanosPerMinute);
    auto root2 = b.Add("frontend", "GET /", 0, 500);
    auto call2 = b.Add("frontend", "GET cart", 100, 400, root2, SpanKind::kClient);
    auto cart2 = b.Add("cart", "GET /cart", 110, 390, call2, SpanKind::kServer);
    b.Add("cart", "SELECT", 120, 300, cart2, SpanKind::kClient);
    b.last().attributes.push_back({"db.system", model::AnyValue::String("postgresql")});
    for (auto* t : {&a, &b}) {
      ASSERT_TRUE(store_.Write(t->batch()).ok());
      metrics_->Observe(t->batch());
    }
    id1_ = a.trace_id().ToHex();
    id2_ = b.trace_id().ToHex();
  }
  void TearDown() override {
    api_.reset();
    metrics_.reset();
    fs::remove_all(dir_);
  }

  // GETs `path` with `query` and parses the JSON body.
  simdjson::dom::element Get(const std::string& path, std::vector<std::pair<std::string, std::string>> query,
                             int want_status = 200) {
    HttpRequest req;
    req.method = "GET";
    req.path = path;
    req.query = std::move(query);
    auto resp = api_->Handle(req);
    EXPECT_TRUE(resp.has_value());
    if (!resp) return {};
    EXPECT_EQ(resp->status, want_status) << resp->body;
    EXPECT_EQ(resp->content_type, "application/json");
    bodies_.push_back(resp->body);
    return parser_.emplace_back().parse(bodies_.back());
  }

  std::string dir_;
  std::unique_ptr<SpanMetricsAggregator> metrics_;
  storage::testing::MemorySpanStore store_;
  std::unique_ptr<AnalysisApi> api_;
  std::string id1_, id2_;
  std::deque<std::string> bodies_;
  std::deque<simdjson::dom::parser> parser_;
};

std::vector<std::pair<std::string, std::string>> Range(uint64_t minutes = 2) {
  return {{"start", std::to_string(kT0Us)}, {"end", std::to_string(kT0Us + minutes * 60'000'000)}};
}

TEST_F(AnalysisApiTest, LatencyShape) {
  auto q = Range();
  q.push_back({"service", "frontend"});
  q.push_back({"step", "1m"});
  auto d = Get("/api/analysis/latency", q)["data"];
  EXPECT_EQ(std::string_view(d["service"]), "frontend");
  EXPECT_TRUE(d["operation"].is_null());
  EXPECT_EQ(uint64_t(d["step_us"]), 60'000'000u);
  EXPECT_EQ(simdjson::dom::array(d["quantiles"]).size(), 3u);
  simdjson::dom::array series = d["series"];
  ASSERT_EQ(series.size(), 2u);
  auto p0 = series.at(0);
  EXPECT_EQ(uint64_t(p0["ts_us"]), kT0Us);
  EXPECT_EQ(uint64_t(p0["count"]), 1u);
  EXPECT_EQ(uint64_t(p0["errors"]), 0u);
  EXPECT_DOUBLE_EQ(double(p0["rate_per_s"]), 1.0 / 60);
  EXPECT_DOUBLE_EQ(double(p0["error_rate"]), 0.0);
  uint64_t p50 = p0["quantiles_us"].at(0);
  EXPECT_NEAR(double(p50), 1000, 10);
  auto overall = d["overall"];
  EXPECT_EQ(uint64_t(overall["count"]), 2u);
  EXPECT_EQ(simdjson::dom::array(overall["quantiles_us"]).size(), 3u);

  q.push_back({"operation", "GET cart"});
  auto op = Get("/api/analysis/latency", q)["data"];
  EXPECT_EQ(std::string_view(op["operation"]), "GET cart");
  EXPECT_EQ(uint64_t(op["overall"]["count"]), 2u);
}

TEST_F(AnalysisApiTest, BadParametersAnswer400WithTheParameterNamed) {
  auto q = Range();
  q.push_back({"service", "frontend"});
  q.push_back({"step", "x"});
  auto doc = Get("/api/analysis/latency", q, 400);
  EXPECT_TRUE(doc["data"].is_null());
  EXPECT_EQ(int64_t(doc["errors"].at(0)["code"]), 400);
  EXPECT_EQ(std::string_view(doc["errors"].at(0)["msg"]), "step: cannot parse \"x\"");
  auto bad_start = Get("/api/analysis/red", {{"start", "yesterday"}}, 400);
  EXPECT_EQ(std::string_view(bad_start["errors"].at(0)["msg"]), "start: cannot parse \"yesterday\"");
  Get("/api/analysis/red", {{"lookback", "1x"}}, 400);
  Get("/api/analysis/latency", {{"service", "a"}, {"quantiles", "0.5,2"}}, 400);
  Get("/api/analysis/critical-path/not-hex", {}, 400);
  Get("/api/analysis/critical-path/abcdef", {}, 404);
  Get("/api/analysis/nope", {}, 404);
  Get("/api/analysis/heatmap", {{"buckets", "0"}}, 400);
  HttpRequest other;
  other.method = "GET";
  other.path = "/api/traces";
  EXPECT_FALSE(api_->Handle(other).has_value());
}

TEST_F(AnalysisApiTest, RedShape) {
  simdjson::dom::array rows = Get("/api/analysis/red", Range())["data"];
  ASSERT_EQ(rows.size(), 2u);  // cart GET /cart and frontend GET /
  auto cart = rows.at(0);
  EXPECT_EQ(std::string_view(cart["service"]), "cart");
  EXPECT_EQ(std::string_view(cart["operation"]), "GET /cart");
  EXPECT_EQ(uint64_t(cart["count"]), 2u);
  EXPECT_EQ(uint64_t(cart["errors"]), 1u);
  EXPECT_DOUBLE_EQ(double(cart["error_rate"]), 0.5);
  EXPECT_DOUBLE_EQ(double(cart["rate_per_s"]), 2.0 / 120);
  // Two values (280, 780 us): every quantile below 1 is the lower one (rank floor(q·(n−1))).
  EXPECT_NEAR(double(uint64_t(cart["p99_us"])), 280, 3);
  EXPECT_TRUE(cart["p50_us"].is_uint64() && cart["p95_us"].is_uint64());
  simdjson::dom::array fe = Get("/api/analysis/red", [] { auto q = Range(); q.push_back({"service", "frontend"}); return q; }())["data"];
  EXPECT_EQ(fe.size(), 1u);
}

TEST_F(AnalysisApiTest, ErrorsShape) {
  auto q = Range();
  q.push_back({"step", "1m"});
  auto d = Get("/api/analysis/errors", q)["data"];
  EXPECT_EQ(uint64_t(d["step_us"]), 60'000'000u);
  simdjson::dom::array groups = d["groups"];
  ASSERT_EQ(groups.size(), 1u);
  auto g = groups.at(0);
  EXPECT_EQ(std::string_view(g["service"]), "cart");
  EXPECT_EQ(std::string_view(g["operation"]), "GET /cart");
  EXPECT_EQ(std::string_view(g["exception_type"]), "");
  EXPECT_EQ(std::string_view(g["message"]), "item <n> missing");
  EXPECT_EQ(uint64_t(g["count"]), 1u);
  EXPECT_EQ(simdjson::dom::array(g["series"]).size(), 2u);
  EXPECT_EQ(uint64_t(g["series"].at(0)["count"]), 1u);
  EXPECT_EQ(std::string_view(g["example_trace_ids"].at(0)), id1_);
}

TEST_F(AnalysisApiTest, ServiceMapShape) {
  auto d = Get("/api/analysis/service-map", Range())["data"];
  simdjson::dom::array nodes = d["nodes"];
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(std::string_view(nodes.at(0)["id"]), "cart");
  EXPECT_TRUE(bool(nodes.at(0)["instrumented"]));
  EXPECT_EQ(uint64_t(nodes.at(0)["count"]), 2u);
  EXPECT_DOUBLE_EQ(double(nodes.at(0)["error_rate"]), 0.5);
  EXPECT_EQ(std::string_view(nodes.at(2)["id"]), "postgresql");
  EXPECT_FALSE(bool(nodes.at(2)["instrumented"]));
  for (auto key : {"rate_per_s", "p50_us", "p95_us", "p99_us"}) EXPECT_FALSE(nodes.at(1)[key].error()) << key;
  simdjson::dom::array edges = d["edges"];
  ASSERT_EQ(edges.size(), 2u);
  EXPECT_EQ(std::string_view(edges.at(1)["source"]), "frontend");
  EXPECT_EQ(std::string_view(edges.at(1)["target"]), "cart");
  EXPECT_EQ(uint64_t(edges.at(1)["calls"]), 2u);
  EXPECT_EQ(uint64_t(edges.at(1)["errors"]), 1u);
  EXPECT_FALSE(edges.at(1)["p95_us"].error());
  EXPECT_NEAR(double(d["instrumented_share"]), 2.0 / 3, 1e-12);
}

TEST_F(AnalysisApiTest, CriticalPathShape) {
  auto d = Get("/api/analysis/critical-path/" + id1_, {})["data"];
  EXPECT_EQ(std::string_view(d["trace_id"]), id1_);
  EXPECT_EQ(uint64_t(d["total_us"]), 1000u);
  simdjson::dom::array path = d["path"];
  ASSERT_EQ(path.size(), 5u);  // root, client, server, client, root
  EXPECT_EQ(std::string_view(path.at(2)["service"]), "cart");
  EXPECT_EQ(std::string_view(path.at(2)["operation"]), "GET /cart");
  EXPECT_EQ(uint64_t(path.at(2)["start_us"]), kT0Us + 110);
  EXPECT_EQ(uint64_t(path.at(2)["end_us"]), kT0Us + 890);
  EXPECT_EQ(uint64_t(path.at(2)["self_us"]), 780u);
  uint64_t sum = 0;
  simdjson::dom::array spans = d["spans"];
  ASSERT_EQ(spans.size(), 3u);
  for (auto s : spans) sum += uint64_t(s["critical_us"]);
  EXPECT_EQ(sum, 1000u);
  EXPECT_EQ(uint64_t(spans.at(0)["self_us"]), 200u);
  EXPECT_EQ(std::string_view(spans.at(0)["span_id"]).size(), 16u);
}

TEST_F(AnalysisApiTest, BottlenecksShape) {
  auto d = Get("/api/analysis/bottlenecks", {{"service", "frontend"}})["data"];
  EXPECT_EQ(uint64_t(d["traces"]), 2u);
  simdjson::dom::array ops = d["operations"];
  ASSERT_GE(ops.size(), 3u);
  auto top = ops.at(0);
  EXPECT_EQ(std::string_view(top["operation"]), "GET /cart");
  // cart: 780 + 100 (its self time next to SELECT's 180) of 1500 us.
  EXPECT_EQ(uint64_t(top["critical_us_total"]), 880u);
  EXPECT_DOUBLE_EQ(double(top["critical_us_mean"]), 440.0);
  EXPECT_NEAR(double(top["share"]), 880.0 / 1500, 1e-9);
  EXPECT_DOUBLE_EQ(double(top["self_us_mean"]), (780.0 + 100.0) / 2);
}

TEST_F(AnalysisApiTest, FlameGraphShape) {
  auto d = Get("/api/analysis/flamegraph", {})["data"];
  EXPECT_EQ(uint64_t(d["traces"]), 2u);
  auto root = d["root"];
  EXPECT_EQ(std::string_view(root["operation"]), "all");
  EXPECT_EQ(std::string_view(root["service"]), "");
  EXPECT_EQ(uint64_t(root["total_us"]), 1500u);
  EXPECT_EQ(uint64_t(root["count"]), 2u);
  auto fe = root["children"].at(0);
  EXPECT_EQ(std::string_view(fe["service"]), "frontend");
  EXPECT_EQ(uint64_t(fe["self_us"]), 400u);
  auto client = fe["children"].at(0);
  EXPECT_EQ(uint64_t(client["total_us"]), 1100u);
  auto server = client["children"].at(0);
  EXPECT_EQ(uint64_t(server["count"]), 2u);
  EXPECT_EQ(simdjson::dom::array(server["children"].at(0)["children"]).size(), 0u);

  auto one = Get("/api/analysis/flamegraph", {{"traceID", id2_}})["data"];
  EXPECT_EQ(uint64_t(one["traces"]), 1u);
  EXPECT_EQ(uint64_t(one["root"]["total_us"]), 500u);
}

TEST_F(AnalysisApiTest, HeatmapShape) {
  auto q = Range();
  q.push_back({"step", "1m"});
  q.push_back({"buckets", "3"});
  q.push_back({"service", "cart"});
  auto d = Get("/api/analysis/heatmap", q)["data"];
  EXPECT_EQ(uint64_t(d["start_us"]), kT0Us);
  EXPECT_EQ(uint64_t(d["step_us"]), 60'000'000u);
  simdjson::dom::array bounds = d["bucket_bounds_us"];
  EXPECT_EQ(bounds.size(), 4u);
  simdjson::dom::array cols = d["columns"];
  ASSERT_EQ(cols.size(), 2u);
  // cart spans: 780 us (minute 0); 280 us and 180 us (minute 1). Bounds:
  // 100, 215.4, 464.2, 1000 us.
  EXPECT_DOUBLE_EQ(double(bounds.at(0)), 100);
  EXPECT_NEAR(double(bounds.at(3)), 1000, 1e-9);
  auto counts = [&](size_t col) {
    std::vector<uint64_t> out;
    for (auto n : simdjson::dom::array(cols.at(col)["counts"])) out.push_back(uint64_t(n));
    return out;
  };
  EXPECT_EQ(counts(0), (std::vector<uint64_t>{0, 0, 1}));
  EXPECT_EQ(counts(1), (std::vector<uint64_t>{1, 1, 0}));
  EXPECT_EQ(uint64_t(d["max_count"]), 1u);
  q.push_back({"level", "trace"});
  auto t = Get("/api/analysis/heatmap", q)["data"];
  uint64_t traces = 0;
  for (auto c : simdjson::dom::array(t["columns"]))
    for (auto n : simdjson::dom::array(c["counts"])) traces += uint64_t(n);
  EXPECT_EQ(traces, 2u);
}

TEST_F(AnalysisApiTest, CompareTracesShape) {
  auto d = Get("/api/analysis/compare/traces", {{"a", id1_}, {"b", id2_}})["data"];
  EXPECT_EQ(std::string_view(d["a"]["trace_id"]), id1_);
  EXPECT_EQ(uint64_t(d["a"]["duration_us"]), 1000u);
  EXPECT_EQ(uint64_t(d["b"]["span_count"]), 4u);
  simdjson::dom::array ops = d["operations"];
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(std::string_view(ops.at(0)["path"]), "frontend:GET /");
  EXPECT_EQ(std::string_view(ops.at(0)["status"]), "faster");
  EXPECT_EQ(int64_t(ops.at(0)["delta_us"]), -500);
  EXPECT_EQ(std::string_view(ops.at(3)["status"]), "added");
  EXPECT_EQ(std::string_view(ops.at(3)["path"]), "frontend:GET /|frontend:GET cart|cart:GET /cart|cart:SELECT");
  EXPECT_EQ(uint64_t(ops.at(3)["a_count"]), 0u);
  EXPECT_EQ(uint64_t(ops.at(3)["b_us"]), 180u);
}

TEST_F(AnalysisApiTest, CompareGroupsShape) {
  // a: traces through cart's SELECT (only trace 2); b: every trace.
  auto d = Get("/api/analysis/compare/groups", {{"a", "operation=SELECT"}, {"b", "service=frontend&limit=10"}})["data"];
  EXPECT_EQ(uint64_t(d["a"]["traces"]), 1u);
  EXPECT_EQ(uint64_t(d["b"]["traces"]), 2u);
  EXPECT_EQ(uint64_t(d["a"]["p50_us"]), 500u);
  simdjson::dom::array ops = d["operations"];
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(std::string_view(ops.at(0)["operation"]), "SELECT");  // 1.0 vs 0.5 share
  EXPECT_DOUBLE_EQ(double(ops.at(0)["a_share"]), 1.0);
  EXPECT_DOUBLE_EQ(double(ops.at(0)["b_share"]), 0.5);
  EXPECT_FALSE(ops.at(0)["a_p50_us"].error());
  EXPECT_FALSE(ops.at(0)["score"].error());
  simdjson::dom::array attrs = d["attributes"];
  ASSERT_EQ(attrs.size(), 1u);
  EXPECT_EQ(std::string_view(attrs.at(0)["key"]), "db.system");
  EXPECT_EQ(std::string_view(attrs.at(0)["value"]), "postgresql");
  Get("/api/analysis/compare/groups", {{"a", "service=%zz"}, {"b", ""}}, 400);
}

}  // namespace
}  // namespace tracery::analysis
