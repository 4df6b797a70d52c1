#include "storage/testing/span_store_conformance.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

namespace tracery::storage::testing {
namespace {

using model::AnyValue;
using model::KeyValue;
using model::SpanBatch;
using model::SpanKind;
using model::StatusCode;
using model::TraceId;

constexpr uint64_t kMs = 1'000'000;

// Builds one trace's batch: resources per service, one shared scope.
class TraceBuilder {
 public:
  explicit TraceBuilder(uint64_t trace_number) {
    id_ = TraceId::FromHighLow(0xabc0000000000000ULL | trace_number, 0x1234567890ULL + trace_number);
    batch_.scopes.push_back(model::Scope{"tracery.test", "1.0", {}, 0, ""});
  }
  uint32_t Resource(const std::string& service, model::Attributes extra = {}) {
    for (uint32_t i = 0; i < batch_.resources.size(); ++i)
      if (batch_.resources[i].ServiceName() == service && extra.empty()) return i;
    model::Resource r;
    r.attributes.push_back({"service.name", AnyValue::String(service)});
    for (auto& kv : extra) r.attributes.push_back(std::move(kv));
    batch_.resources.push_back(std::move(r));
    return static_cast<uint32_t>(batch_.resources.size() - 1);
  }
  model::Span& Add(uint64_t span_id, uint64_t parent_id, const std::string& service, const std::string& name,
                   uint64_t start_ns, uint64_t duration_ns, SpanKind kind = SpanKind::kServer,
                   StatusCode status = StatusCode::kUnset) {
    model::Span s;
    s.trace_id = id_;
    s.span_id.value = span_id;
    s.parent_span_id.value = parent_id;
    s.name = name;
    s.kind = kind;
    s.start_time_unix_nano = start_ns;
    s.end_time_unix_nano = start_ns + duration_ns;
    s.status_code = status;
    s.resource_index = Resource(service);
    s.scope_index = 0;
    batch_.spans.push_back(std::move(s));
    return batch_.spans.back();
  }
  const TraceId& id() const { return id_; }
  SpanBatch& batch() { return batch_; }

 private:
  TraceId id_;
  SpanBatch batch_;
};

// Merges batches into one (resources and scopes copied as needed).
SpanBatch Merge(const std::vector<SpanBatch>& batches) {
  SpanBatch out;
  for (const auto& b : batches)
    for (const auto& s : b.spans) out.AppendFrom(b, s);
  return out;
}

std::vector<TraceId> Ids(const FindResult& r) {
  std::vector<TraceId> out;
  for (const auto& t : r.traces) out.push_back(t.trace_id);
  return out;
}

TraceQuery QueryAround(uint64_t base_ns) {
  TraceQuery q;
  q.start_time_min_ns = base_ns - 3'600'000 * kMs;
  q.start_time_max_ns = base_ns + 3'600'000 * kMs;
  q.limit = 100;
  return q;
}

}  // namespace

std::string SpanStoreFactoryName(const ::testing::TestParamInfo<SpanStoreFactory>& info) {
  return info.param.name;
}

void SpanStoreConformanceTest::SetUp() {
  const std::string test_name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  // A parameterised test's name is "<case>/<factory name>".
  const auto gap = GetParam().known_gaps.find(test_name.substr(0, test_name.find('/')));
  if (gap != GetParam().known_gaps.end()) GTEST_SKIP() << GetParam().name << " store gap: " << gap->second;
  std::string error;
  store_ = GetParam().make(&error);
  ASSERT_NE(store_, nullptr) << "cannot make a " << GetParam().name << " store: " << error;
  uint64_t now_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
  // Whole milliseconds, an hour back: recent, yet never in the future.
  base_ns_ = (now_ns - 3'600'000 * kMs) / kMs * kMs;
}

void SpanStoreConformanceTest::TearDown() {
  store_.reset();
}

void SpanStoreConformanceTest::WriteAndFlush(const model::SpanBatch& batch) {
  Status st = store_->Write(batch);
  ASSERT_TRUE(st.ok()) << st.ToString();
  st = store_->Flush();
  ASSERT_TRUE(st.ok()) << st.ToString();
}

TEST_P(SpanStoreConformanceTest, GetTraceReturnsEveryModelFieldUnchanged) {
  TraceBuilder t(1);
  SpanBatch& b = t.batch();
  model::Resource res;
  res.attributes = {{"service.name", AnyValue::String("checkout")},
                    {"host.name", AnyValue::String("node-7")},
                    {"process.pid", AnyValue::Int(4242)}};
  res.dropped_attributes_count = 3;
  res.schema_url = "https://opentelemetry.io/schemas/1.21.0";
  b.resources.push_back(res);
  model::Scope scope{
      "io.opentelemetry.http", "2.3.4", {{"scope.attr", AnyValue::Bool(true)}}, 1, "https://x/scope"};
  b.scopes.push_back(scope);

  AnyValue arr;
  arr.type = AnyValue::Type::kArray;
  arr.array = {AnyValue::String("a"), AnyValue::Int(-7), AnyValue::Double(0.5), AnyValue{}};
  AnyValue map;
  map.type = AnyValue::Type::kMap;
  map.map = {{"inner", AnyValue::Bool(false)}, {"nested", arr}};

  model::Span& root =
      t.Add(0x1111, 0, "frontend", "GET /cart", base_ns_, 250 * kMs, SpanKind::kServer, StatusCode::kOk);
  model::Span& s = t.Add(0x2222, 0x1111, "checkout", "charge card", base_ns_ + 10 * kMs, 120 * kMs,
                         SpanKind::kClient, StatusCode::kError);
  (void)root;
  s.resource_index = 1;  // the resource built above, with its extra fields
  s.scope_index = 1;
  s.trace_state = "vendor=abc,other=x:y";
  s.flags = 0x301;
  s.attributes = {{"str", AnyValue::String("hello \"world\" \n\t")},
                  {"bool", AnyValue::Bool(true)},
                  {"int", AnyValue::Int(-9'000'000'000LL)},
                  {"double", AnyValue::Double(3.25)},
                  {"bytes", AnyValue::Bytes(std::string("\x00\x01\xff\x7f", 4))},
                  {"array", arr},
                  {"map", map},
                  {"empty", AnyValue{}}};
  s.dropped_attributes_count = 2;
  s.events = {
      {base_ns_ + 20 * kMs, "retry", {{"attempt", AnyValue::Int(2)}}, 1},
      {base_ns_ + 30 * kMs, "exception", {{"exception.message", AnyValue::String("card declined")}}, 0}};
  s.dropped_events_count = 5;
  model::Link link;
  link.trace_id = TraceId::FromHighLow(7, 8);
  link.span_id.value = 0xfeed;
  link.trace_state = "k=v";
  link.attributes = {{"link.kind", AnyValue::String("follows")}};
  link.dropped_attributes_count = 4;
  link.flags = 1;
  s.links = {link};
  s.dropped_links_count = 6;
  s.status_message = "card declined";
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(b));

  auto got = store_->GetTrace(t.id(), 100);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->spans.size(), 2u);
  std::map<uint64_t, const model::Span*> by_id;
  for (const auto& sp : got->spans) by_id[sp.span_id.value] = &sp;
  for (const auto& want : b.spans) {
    ASSERT_TRUE(by_id.count(want.span_id.value)) << want.span_id.ToHex();
    const model::Span& have = *by_id[want.span_id.value];
    model::Span have_cmp = have;
    model::Span want_cmp = want;
    have_cmp.resource_index = want_cmp.resource_index = 0;
    have_cmp.scope_index = want_cmp.scope_index = 0;
    EXPECT_EQ(have_cmp, want_cmp) << "span " << want.span_id.ToHex();
    EXPECT_EQ(got->ResourceOf(have), b.ResourceOf(want));
    EXPECT_EQ(got->ScopeOf(have), b.ScopeOf(want));
  }
}

TEST_P(SpanStoreConformanceTest, GetTraceOfUnknownTraceIsNotFound) {
  TraceBuilder t(2);
  t.Add(1, 0, "frontend", "GET /", base_ns_, 5 * kMs);
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(t.batch()));
  auto got = store_->GetTrace(TraceId::FromHighLow(0xdead, 0xbeef), 100);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kNotFound);
}

TEST_P(SpanStoreConformanceTest, GetTraceJoinsSpansWrittenSeparatelyAndCapsAtEarliest) {
  TraceBuilder t(3);
  for (uint64_t i = 0; i < 10; ++i)
    t.Add(100 + i, i == 0 ? 0 : 100, "svc" + std::to_string(i % 3), "op", base_ns_ + i * kMs, kMs);
  // Written in two batches from different "processes", second half first.
  SpanBatch first, second;
  for (size_t i = 0; i < t.batch().spans.size(); ++i)
    (i < 5 ? second : first).AppendFrom(t.batch(), t.batch().spans[i]);
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(first));
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(second));

  auto all = store_->GetTrace(t.id(), 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->spans.size(), 10u);
  for (const auto& s : all->spans) EXPECT_EQ(s.trace_id, t.id());

  auto capped = store_->GetTrace(t.id(), 4);
  ASSERT_TRUE(capped.ok()) << capped.status().ToString();
  std::set<uint64_t> ids;
  for (const auto& s : capped->spans) ids.insert(s.span_id.value);
  EXPECT_EQ(ids, (std::set<uint64_t>{100, 101, 102, 103})) << "the earliest-starting spans";
}

TEST_P(SpanStoreConformanceTest, FindTracesMatchesConditionsOnDifferentSpans) {
  TraceBuilder both(10);
  both.Add(1, 0, "frontend", "GET /cart", base_ns_, 100 * kMs);
  both.Add(2, 1, "cart", "SELECT", base_ns_ + kMs, 20 * kMs, SpanKind::kClient).attributes = {
      {"db.system", AnyValue::String("postgresql")}};
  TraceBuilder only_frontend(11);
  only_frontend.Add(1, 0, "frontend", "GET /cart", base_ns_ + 2 * kMs, 100 * kMs);
  only_frontend.Add(2, 1, "cart", "SELECT", base_ns_ + 3 * kMs, 20 * kMs, SpanKind::kClient).attributes = {
      {"db.system", AnyValue::String("mysql")}};
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(Merge({both.batch(), only_frontend.batch()})));

  TraceQuery q = QueryAround(base_ns_);
  q.span_conditions = {SpanCondition{.service = "frontend", .operation = "GET /cart"},
                       SpanCondition{.service = "cart", .tags = {{"db.system", "postgresql"}}}};
  auto r = store_->FindTraces(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ids(*r), std::vector<TraceId>{both.id()});

  // All fields of one condition must hold on the same span.
  q.span_conditions = {SpanCondition{.service = "frontend", .tags = {{"db.system", "postgresql"}}}};
  r = store_->FindTraces(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->traces.empty());
}

TEST_P(SpanStoreConformanceTest, FindTracesMatchesTagsOnSpanResourceAndEventAttributes) {
  TraceBuilder a(20);
  uint32_t res = a.Resource("payments", {{"k8s.namespace.name", AnyValue::String("prod")}});
  auto& s = a.Add(1, 0, "payments", "charge", base_ns_, 10 * kMs);
  s.resource_index = res;
  s.attributes = {{"http.status_code", AnyValue::Int(503)}, {"retry", AnyValue::Bool(true)}};
  s.events = {{base_ns_ + kMs, "exception", {{"exception.type", AnyValue::String("Timeout")}}, 0}};
  TraceBuilder b(21);
  b.Add(1, 0, "payments", "charge", base_ns_ + kMs, 10 * kMs).attributes = {
      {"http.status_code", AnyValue::Int(200)}};
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(Merge({a.batch(), b.batch()})));

  for (const TagFilter& tag : std::vector<TagFilter>{{"http.status_code", "503"},
                                                     {"retry", "true"},
                                                     {"k8s.namespace.name", "prod"},
                                                     {"exception.type", "Timeout"}}) {
    TraceQuery q = QueryAround(base_ns_);
    q.span_conditions = {SpanCondition{.tags = {tag}}};
    auto r = store_->FindTraces(q);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(Ids(*r), std::vector<TraceId>{a.id()}) << tag.key << "=" << tag.value;
  }
  TraceQuery q = QueryAround(base_ns_);
  q.span_conditions = {SpanCondition{.tags = {{"http.status_code", "404"}}}};
  auto r = store_->FindTraces(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->traces.empty());
}

TEST_P(SpanStoreConformanceTest, FindTracesFiltersByDurationErrorsAndKind) {
  TraceBuilder fast(30), slow_err(31), slow(32);
  fast.Add(1, 0, "api", "op", base_ns_, 5 * kMs);
  slow_err.Add(1, 0, "api", "op", base_ns_ + kMs, 500 * kMs, SpanKind::kServer, StatusCode::kError);
  slow.Add(1, 0, "api", "op", base_ns_ + 2 * kMs, 400 * kMs, SpanKind::kConsumer);
  slow.Add(2, 1, "api", "child", base_ns_ + 2 * kMs, 900 * kMs, SpanKind::kInternal);  // trace lasts 900 ms
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(Merge({fast.batch(), slow_err.batch(), slow.batch()})));

  auto find = [&](TraceQuery q) {
    auto r = store_->FindTraces(q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::set<TraceId> ids;
    if (r.ok())
      for (const auto& t : r->traces) ids.insert(t.trace_id);
    return ids;
  };
  TraceQuery q = QueryAround(base_ns_);
  q.span_conditions = {SpanCondition{.service = "api", .operation = "op", .min_duration_ns = 300 * kMs}};
  EXPECT_EQ(find(q), (std::set<TraceId>{slow_err.id(), slow.id()}));
  q.span_conditions = {SpanCondition{.service = "api", .operation = "op", .max_duration_ns = 450 * kMs}};
  EXPECT_EQ(find(q), (std::set<TraceId>{fast.id(), slow.id()}));
  q.span_conditions = {SpanCondition{.error_only = true}};
  EXPECT_EQ(find(q), (std::set<TraceId>{slow_err.id()}));
  q.span_conditions = {SpanCondition{.tags = {{"error", "true"}}}};
  EXPECT_EQ(find(q), (std::set<TraceId>{slow_err.id()}));
  q.span_conditions = {SpanCondition{.kind = SpanKind::kConsumer}};
  EXPECT_EQ(find(q), (std::set<TraceId>{slow.id()}));
  q.span_conditions = {SpanCondition{.tags = {{"span.kind", "consumer"}}}};
  EXPECT_EQ(find(q), (std::set<TraceId>{slow.id()}));

  // Whole-trace duration: the slow trace lasts 900 ms although its matching span lasts 400.
  q.span_conditions = {};
  q.min_trace_duration_ns = 600 * kMs;
  EXPECT_EQ(find(q), (std::set<TraceId>{slow.id()}));
  q.min_trace_duration_ns = 0;
  q.max_trace_duration_ns = 600 * kMs;
  EXPECT_EQ(find(q), (std::set<TraceId>{fast.id(), slow_err.id()}));
}

TEST_P(SpanStoreConformanceTest, FindTracesSummarisesWholeTraces) {
  TraceBuilder t(40);
  t.Add(2, 1, "backend", "query", base_ns_ + 5 * kMs, 50 * kMs, SpanKind::kServer, StatusCode::kError);
  t.Add(1, 0, "gateway", "POST /order", base_ns_ + 2 * kMs, 80 * kMs);
  t.Add(3, 1, "backend", "late", base_ns_ + 70 * kMs, 30 * kMs, SpanKind::kServer, StatusCode::kError);
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(t.batch()));
  TraceQuery q = QueryAround(base_ns_);
  q.span_conditions = {SpanCondition{.service = "backend"}};
  auto r = store_->FindTraces(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->traces.size(), 1u);
  const TraceSummary& s = r->traces[0];
  EXPECT_EQ(s.trace_id, t.id());
  EXPECT_EQ(s.start_time_unix_nano, base_ns_ + 2 * kMs);
  EXPECT_EQ(s.end_time_unix_nano, base_ns_ + 100 * kMs);
  EXPECT_EQ(s.root_service, "gateway");
  EXPECT_EQ(s.root_operation, "POST /order");
  EXPECT_EQ(s.span_count, 3u);
  EXPECT_EQ(s.error_count, 2u);
}

TEST_P(SpanStoreConformanceTest, FindTracesOrdersMostRecentFirstWithinTheTimeRange) {
  std::vector<TraceBuilder> traces;
  for (int i = 0; i < 5; ++i) {
    traces.emplace_back(50 + i);
    traces.back().Add(1, 0, "svc", "op", base_ns_ + i * 1000 * kMs, 10 * kMs);
  }
  std::vector<SpanBatch> batches;
  for (auto& t : traces) batches.push_back(t.batch());
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(Merge(batches)));

  TraceQuery q = QueryAround(base_ns_);
  q.start_time_min_ns = base_ns_ + 1000 * kMs;  // inclusive
  q.start_time_max_ns = base_ns_ + 3000 * kMs;  // inclusive
  auto r = store_->FindTraces(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ids(*r), (std::vector<TraceId>{traces[3].id(), traces[2].id(), traces[1].id()}));
  q.span_conditions = {SpanCondition{.service = "svc"}};
  r = store_->FindTraces(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ids(*r), (std::vector<TraceId>{traces[3].id(), traces[2].id(), traces[1].id()}));
}

TEST_P(SpanStoreConformanceTest, FindTracesReturnsExactlyTheTopKByDuration) {
  std::vector<SpanBatch> batches;
  std::vector<std::pair<uint64_t, TraceId>> by_duration;
  for (uint64_t i = 0; i < 40; ++i) {
    TraceBuilder t(100 + i);
    uint64_t dur = ((i * 37) % 40 + 1) * kMs;  // a permutation of 1..40 ms, unrelated to start order
    t.Add(1, 0, "svc", "op", base_ns_ + i * kMs, dur);
    by_duration.emplace_back(dur, t.id());
    batches.push_back(t.batch());
  }
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(Merge(batches)));
  std::sort(by_duration.begin(), by_duration.end());

  TraceQuery q = QueryAround(base_ns_);
  q.order = TraceOrder::kLongestFirst;
  q.limit = 5;
  auto r = store_->FindTraces(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<TraceId> want;
  for (int i = 0; i < 5; ++i) want.push_back(by_duration[by_duration.size() - 1 - i].second);
  EXPECT_EQ(Ids(*r), want);

  q.order = TraceOrder::kShortestFirst;
  q.span_conditions = {SpanCondition{.service = "svc"}};
  r = store_->FindTraces(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  want.clear();
  for (int i = 0; i < 5; ++i) want.push_back(by_duration[i].second);
  EXPECT_EQ(Ids(*r), want);
}

TEST_P(SpanStoreConformanceTest, FindTracesCursorPagesWithoutDuplicatesOrGaps) {
  std::vector<SpanBatch> batches;
  std::set<TraceId> all;
  for (uint64_t i = 0; i < 23; ++i) {
    TraceBuilder t(200 + i);
    // Ties on purpose: three traces share each start time and each duration.
    t.Add(1, 0, "svc", "op", base_ns_ + (i / 3) * kMs, (i % 4 + 1) * kMs);
    all.insert(t.id());
    batches.push_back(t.batch());
  }
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(Merge(batches)));

  for (TraceOrder order : {TraceOrder::kMostRecent, TraceOrder::kLongestFirst, TraceOrder::kShortestFirst}) {
    TraceQuery q = QueryAround(base_ns_);
    q.order = order;
    q.limit = 5;
    std::vector<TraceSummary> seen;
    for (int page = 0; page < 10; ++page) {
      auto r = store_->FindTraces(q);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_LE(r->traces.size(), 5u);
      seen.insert(seen.end(), r->traces.begin(), r->traces.end());
      if (r->next_cursor.empty()) break;
      q.cursor = r->next_cursor;
    }
    std::set<TraceId> ids;
    for (const auto& t : seen) ids.insert(t.trace_id);
    EXPECT_EQ(seen.size(), all.size()) << "order " << int(order) << ": no duplicates";
    EXPECT_EQ(ids, all) << "order " << int(order) << ": no gaps";
    for (size_t i = 1; i < seen.size(); ++i) {
      if (order == TraceOrder::kMostRecent)
        EXPECT_GE(seen[i - 1].start_time_unix_nano, seen[i].start_time_unix_nano);
      if (order == TraceOrder::kLongestFirst) EXPECT_GE(seen[i - 1].DurationNanos(), seen[i].DurationNanos());
      if (order == TraceOrder::kShortestFirst)
        EXPECT_LE(seen[i - 1].DurationNanos(), seen[i].DurationNanos());
    }
  }
}

TEST_P(SpanStoreConformanceTest, FindTracesRejectsAMalformedCursor) {
  TraceQuery q = QueryAround(base_ns_);
  q.cursor = "not a cursor";
  auto r = store_->FindTraces(q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
}

TEST_P(SpanStoreConformanceTest, ServicesAndOperationsListWhatWasWritten) {
  TraceBuilder t(300);
  t.Add(1, 0, "frontend", "GET /", base_ns_, kMs, SpanKind::kServer);
  t.Add(2, 1, "frontend", "call cart", base_ns_, kMs, SpanKind::kClient);
  t.Add(3, 2, "cart", "GetCart", base_ns_, kMs, SpanKind::kServer);
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(t.batch()));
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(t.batch()));  // duplicates list once

  auto services = store_->GetServices();
  ASSERT_TRUE(services.ok()) << services.status().ToString();
  std::vector<std::string> sv = *services;
  std::sort(sv.begin(), sv.end());
  EXPECT_EQ(sv, (std::vector<std::string>{"cart", "frontend"}));

  auto ops = store_->GetOperations("frontend", std::nullopt);
  ASSERT_TRUE(ops.ok()) << ops.status().ToString();
  std::vector<Operation> ov = *ops;
  std::sort(ov.begin(), ov.end(), [](const Operation& a, const Operation& b) { return a.name < b.name; });
  EXPECT_EQ(ov, (std::vector<Operation>{{"GET /", SpanKind::kServer}, {"call cart", SpanKind::kClient}}));

  ops = store_->GetOperations("frontend", SpanKind::kClient);
  ASSERT_TRUE(ops.ok()) << ops.status().ToString();
  EXPECT_EQ(*ops, (std::vector<Operation>{{"call cart", SpanKind::kClient}}));
  ops = store_->GetOperations("nobody", std::nullopt);
  ASSERT_TRUE(ops.ok()) << ops.status().ToString();
  EXPECT_TRUE(ops->empty());
}

TEST_P(SpanStoreConformanceTest, DependenciesCountCallsBetweenDifferentServices) {
  std::vector<SpanBatch> batches;
  for (uint64_t i = 0; i < 3; ++i) {
    TraceBuilder t(400 + i);
    t.Add(1, 0, "frontend", "GET /", base_ns_ + i * kMs, 10 * kMs);
    t.Add(2, 1, "frontend", "internal", base_ns_ + i * kMs, kMs,
          SpanKind::kInternal);  // same service: no edge
    t.Add(3, 2, "api", "handle", base_ns_ + i * kMs, kMs, SpanKind::kServer,
          i == 0 ? StatusCode::kError : StatusCode::kOk);
    if (i < 2) t.Add(4, 3, "db", "query", base_ns_ + i * kMs, kMs, SpanKind::kServer);
    batches.push_back(t.batch());
  }
  // A call outside the range is not counted.
  TraceBuilder old(410);
  old.Add(1, 0, "frontend", "GET /", base_ns_ - 600'000 * kMs, kMs);
  old.Add(2, 1, "legacy", "x", base_ns_ - 600'000 * kMs, kMs);
  batches.push_back(old.batch());
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(Merge(batches)));

  auto deps = store_->GetDependencies(base_ns_ - 1000 * kMs, base_ns_ + 1000 * kMs);
  ASSERT_TRUE(deps.ok()) << deps.status().ToString();
  std::map<std::pair<std::string, std::string>, std::pair<uint64_t, uint64_t>> got;
  for (const auto& l : *deps) got[{l.parent, l.child}] = {l.call_count, l.error_count};
  std::map<std::pair<std::string, std::string>, std::pair<uint64_t, uint64_t>> want{
      {{"frontend", "api"}, {3, 1}}, {{"api", "db"}, {2, 0}}};
  EXPECT_EQ(got, want);
}

TEST_P(SpanStoreConformanceTest, ScanSpansPassesEachTracesSpansInRangeAndStopsEarly) {
  std::vector<SpanBatch> batches;
  for (uint64_t i = 0; i < 6; ++i) {
    TraceBuilder t(500 + i);
    t.Add(1, 0, "svc", "root", base_ns_ + i * 100 * kMs, 10 * kMs);
    t.Add(2, 1, "svc", "child", base_ns_ + i * 100 * kMs + kMs, 5 * kMs);
    batches.push_back(t.batch());
  }
  ASSERT_NO_FATAL_FAILURE(WriteAndFlush(Merge(batches)));

  // [100 ms, 400 ms): traces 1, 2, 3 only.
  std::map<TraceId, size_t> spans_per_trace;
  Status st = store_->ScanSpans(base_ns_ + 100 * kMs, base_ns_ + 400 * kMs, [&](const SpanBatch& b) {
    EXPECT_FALSE(b.spans.empty());
    for (const auto& s : b.spans) {
      EXPECT_EQ(s.trace_id, b.spans[0].trace_id) << "one trace per call";
      EXPECT_EQ(b.ServiceOf(s), "svc");
      ++spans_per_trace[s.trace_id];
    }
    return true;
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(spans_per_trace.size(), 3u);
  for (const auto& [id, n] : spans_per_trace) EXPECT_EQ(n, 2u);

  int calls = 0;
  st =
      store_->ScanSpans(base_ns_ - kMs, base_ns_ + 1000 * kMs, [&](const SpanBatch&) { return ++calls < 2; });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(calls, 2);
}

TEST_P(SpanStoreConformanceTest, WritingAnEmptyBatchSucceeds) {
  Status st = store_->Write(SpanBatch{});
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(store_->Flush().ok());
}

TEST_P(SpanStoreConformanceTest, ConcurrentWritersAreAllStored) {
  constexpr int kThreads = 4, kTracesEach = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kTracesEach; ++i) {
        TraceBuilder t(1000 + w * 100 + i);
        t.Add(1, 0, "w" + std::to_string(w), "op", base_ns_ + i * kMs, kMs);
        if (!store_->Write(t.batch()).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_TRUE(store_->Flush().ok());
  for (int w = 0; w < kThreads; ++w)
    for (int i = 0; i < kTracesEach; ++i) {
      auto got = store_->GetTrace(TraceBuilder(1000 + w * 100 + i).id(), 10);
      EXPECT_TRUE(got.ok()) << "writer " << w << " trace " << i << ": " << got.status().ToString();
    }
  EXPECT_GE(store_->Stats().spans_written, uint64_t{kThreads * kTracesEach});
}

}  // namespace tracery::storage::testing
