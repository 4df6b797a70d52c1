#include "traceql/planner.h"

#include <gtest/gtest.h>

#include "traceql/parser.h"
#include "storage/testing/memory_span_store.h"

namespace tracery::traceql {
namespace {

using model::AnyValue;

PushdownPlan Plan(const std::string& q) {
  auto parsed = ParseTraceQL(q);
  EXPECT_TRUE(parsed.ok()) << q << ": " << parsed.status().message();
  return parsed.ok() ? PlanPushdown(*parsed) : PushdownPlan{};
}

TEST(TraceQLPlanner, PushesConjunctionOfOneFilterAsOneSpanCondition) {
  PushdownPlan p = Plan(
      R"({ resource.service.name = "cart" && name = "GET /cart" && status = error && kind = server && duration > 5ms && duration <= 1s && span.http.method = "GET" && .retry = true })");
  ASSERT_EQ(p.span_conditions.size(), 1u);
  const storage::SpanCondition& c = p.span_conditions[0];
  EXPECT_EQ(c.service, "cart");
  EXPECT_EQ(c.operation, "GET /cart");
  EXPECT_TRUE(c.error_only);
  ASSERT_TRUE(c.kind.has_value());
  EXPECT_EQ(*c.kind, model::SpanKind::kServer);
  EXPECT_EQ(c.min_duration_ns, 5'000'000u);
  EXPECT_EQ(c.max_duration_ns, 1'000'000'000u);
  ASSERT_EQ(c.tags.size(), 2u);
  EXPECT_EQ(c.tags[0].key, "http.method");
  EXPECT_EQ(c.tags[0].value, "GET");
  EXPECT_EQ(c.tags[1].key, "retry");
  EXPECT_EQ(c.tags[1].value, "true");
}

TEST(TraceQLPlanner, LiteralOnTheLeftIsMirrored) {
  PushdownPlan p = Plan(R"({ 10ms < duration && "x" = name })");
  ASSERT_EQ(p.span_conditions.size(), 1u);
  EXPECT_EQ(p.span_conditions[0].min_duration_ns, 10'000'000u);
  EXPECT_EQ(p.span_conditions[0].max_duration_ns, 0u);
  EXPECT_EQ(p.span_conditions[0].operation, "x");
}

TEST(TraceQLPlanner, SpansetAndAndStructuralPushBothSidesSeparately) {
  PushdownPlan p = Plan(R"({ name = "a" } && { name = "b" })");
  ASSERT_EQ(p.span_conditions.size(), 2u);
  EXPECT_EQ(p.span_conditions[0].operation, "a");
  EXPECT_EQ(p.span_conditions[1].operation, "b");
  p = Plan(R"({ resource.service.name = "fe" } >> { status = error })");
  ASSERT_EQ(p.span_conditions.size(), 2u);
  EXPECT_EQ(p.span_conditions[0].service, "fe");
  EXPECT_TRUE(p.span_conditions[1].error_only);
}

TEST(TraceQLPlanner, NothingPushedUnderOrOrNot) {
  EXPECT_TRUE(Plan(R"({ name = "a" || name = "b" })").span_conditions.empty());
  EXPECT_TRUE(Plan(R"({ name = "a" } || { name = "b" })").span_conditions.empty());
  EXPECT_TRUE(Plan(R"({ !(name = "a") })").span_conditions.empty());
  EXPECT_TRUE(Plan(R"({ name != "a" && name =~ "b.*" && .x > "c" && .n = 5 })").span_conditions.empty());
  // Only the part of a conjunction outside the || is necessary.
  PushdownPlan p = Plan(R"({ name = "a" && (.x = "1" || .y = "2") })");
  ASSERT_EQ(p.span_conditions.size(), 1u);
  EXPECT_EQ(p.span_conditions[0].operation, "a");
  EXPECT_TRUE(p.span_conditions[0].tags.empty());
  // `.service.name` may be a span attribute: pushed as a tag, which the store
  // matches on span and resource attributes alike.
  p = Plan(R"({ .service.name = "cart" })");
  ASSERT_EQ(p.span_conditions.size(), 1u);
  EXPECT_TRUE(p.span_conditions[0].service.empty());
  EXPECT_EQ(p.span_conditions[0].tags.at(0).key, "service.name");
}

TEST(TraceQLPlanner, TraceWideConditions) {
  PushdownPlan p = Plan(R"({ traceDuration > 2s && rootServiceName = "fe" } | { name = "x" })");
  EXPECT_EQ(p.min_trace_duration_ns, 2'000'000'000u);
  ASSERT_EQ(p.span_conditions.size(), 2u);
  EXPECT_EQ(p.span_conditions[0].service, "fe");
  EXPECT_EQ(p.span_conditions[1].operation, "x");
  EXPECT_TRUE(Plan("{ } | count() > 2").span_conditions.empty());
}

// Trace i: root "GET /i" of service svc-(i%3), a child "db" with attribute
// shard=i%2 that is an error when i%5 == 0.
void Fill(storage::SpanStore& store, int n) {
  for (int i = 0; i < n; ++i) {
    model::SpanBatch b;
    model::Resource r;
    r.attributes.push_back({"service.name", AnyValue::String("svc-" + std::to_string(i % 3))});
    b.resources.push_back(r);
    b.scopes.emplace_back();
    model::Span root;
    root.trace_id = model::TraceId::FromHighLow(7, static_cast<uint64_t>(i) + 1);
    root.span_id.value = 1;
    root.name = "GET /" + std::to_string(i);
    root.start_time_unix_nano = 1'000'000'000ULL * (1000 + i);
    root.end_time_unix_nano = root.start_time_unix_nano + 50'000'000;
    model::Span db = root;
    db.span_id.value = 2;
    db.parent_span_id.value = 1;
    db.name = "db";
    db.end_time_unix_nano = db.start_time_unix_nano + 10'000'000;
    db.attributes.push_back({"shard", AnyValue::String(std::to_string(i % 2))});
    if (i % 5 == 0) db.status_code = model::StatusCode::kError;
    b.spans = {root, db};
    ASSERT_TRUE(store.Write(b).ok());
  }
}

TEST(TraceQLSearch, PushdownNarrowsCandidatesAndResultsAreExact) {
  storage::testing::MemorySpanStore store;
  Fill(store, 30);
  auto q = ParseTraceQL(R"({ resource.service.name = "svc-0" } >> { status = error && .shard = "0" })");
  ASSERT_TRUE(q.ok());
  auto r = SearchTraces(store, *q, SearchOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // i%3==0, i%5==0, i%2==0: i in {0}; plus 30 is out of range -> only trace 0.
  ASSERT_EQ(r->traces.size(), 1u);
  EXPECT_EQ(r->traces[0].summary.root_operation, "GET /0");
  EXPECT_EQ(r->inspected_traces, 1u) << "the store's filtering leaves one candidate";
  ASSERT_EQ(r->traces[0].spansets.size(), 1u);
  EXPECT_EQ(r->traces[0].spansets[0].spans.size(), 1u);
  EXPECT_FALSE(r->partial);
}

TEST(TraceQLSearch, OrIsEvaluatedOnEveryCandidate) {
  storage::testing::MemorySpanStore store;
  Fill(store, 30);
  auto q = ParseTraceQL(R"({ name = "GET /3" } || { name = "GET /4" })");
  ASSERT_TRUE(q.ok());
  auto r = SearchTraces(store, *q, SearchOptions{});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->traces.size(), 2u);
  EXPECT_EQ(r->traces[0].summary.root_operation, "GET /4") << "most recent first";
  EXPECT_EQ(r->inspected_traces, 30u);
}

TEST(TraceQLSearch, BoundsInspectedTracesAcrossPages) {
  storage::testing::MemorySpanStore store;
  Fill(store, 30);
  auto q = ParseTraceQL(R"({ name = "nothing matches" || name = "at all" })");
  ASSERT_TRUE(q.ok());
  SearchOptions opts;
  opts.max_inspected_traces = 12;
  auto r = SearchTraces(store, *q, opts);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->traces.empty());
  EXPECT_EQ(r->inspected_traces, 12u);
  EXPECT_EQ(store.get_trace_calls(), 12u);
  EXPECT_TRUE(r->partial);
}

TEST(TraceQLSearch, LimitTimeWindowAndTraceDurationBounds) {
  storage::testing::MemorySpanStore store;
  Fill(store, 30);
  auto q = ParseTraceQL("{ }");
  ASSERT_TRUE(q.ok());
  SearchOptions opts;
  opts.limit = 3;
  opts.start_time_min_ns = 1'000'000'000ULL * 1010;
  opts.start_time_max_ns = 1'000'000'000ULL * 1019;
  auto r = SearchTraces(store, *q, opts);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->traces.size(), 3u);
  EXPECT_EQ(r->traces[0].summary.root_operation, "GET /19");
  EXPECT_EQ(r->traces[2].summary.root_operation, "GET /17");
  opts.min_trace_duration_ns = 60'000'000;  // every trace lasts 50ms
  r = SearchTraces(store, *q, opts);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->traces.empty());
}

}  // namespace
}  // namespace tracery::traceql
