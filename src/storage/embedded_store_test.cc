#include "storage/embedded_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "storage/storage_test_util.h"
#include "storage/testing/fault_injection_env.h"
#include "storage/testing/span_generator.h"

namespace tracery::storage {
namespace {

using model::AnyValue;
constexpr uint64_t kT0 = 1'700'000'000'000'000'000ull;  // Nov 2023
constexpr uint64_t kMs = 1'000'000;

// Builds a batch one span at a time; services become resources.
class BatchBuilder {
 public:
  BatchBuilder& Span(uint64_t trace, uint64_t span, uint64_t parent, const std::string& service,
                     const std::string& name, uint64_t start_ns, uint64_t dur_ns, bool error = false,
                     model::Attributes attrs = {}) {
    model::Span s;
    s.trace_id = model::TraceId::FromHighLow(0, trace);
    s.span_id.value = span;
    s.parent_span_id.value = parent;
    s.name = name;
    s.kind = parent ? model::SpanKind::kClient : model::SpanKind::kServer;
    s.start_time_unix_nano = start_ns;
    s.end_time_unix_nano = start_ns + dur_ns;
    s.status_code = error ? model::StatusCode::kError : model::StatusCode::kUnset;
    s.attributes = std::move(attrs);
    s.resource_index = ResourceFor(service);
    s.scope_index = 0;
    b_.spans.push_back(std::move(s));
    return *this;
  }
  model::SpanBatch Build() {
    if (b_.scopes.empty()) b_.scopes.push_back(model::Scope{"test", "1", {}, 0, ""});
    return b_;
  }

 private:
  uint32_t ResourceFor(const std::string& service) {
    for (uint32_t i = 0; i < b_.resources.size(); ++i) {
      if (b_.resources[i].ServiceName() == service) return i;
    }
    model::Resource r;
    r.attributes = {{"service.name", AnyValue::String(service)},
                    {"k8s.namespace.name", AnyValue::String(service == "db" ? "data" : "shop")}};
    b_.resources.push_back(r);
    return static_cast<uint32_t>(b_.resources.size() - 1);
  }
  model::SpanBatch b_;
};

model::TraceId Tid(uint64_t n) { return model::TraceId::FromHighLow(0, n); }

class StoreTest : public ::testing::Test {
 protected:
  EmbeddedStoreOptions Options() {
    EmbeddedStoreOptions o;
    o.data_dir = dir_.path() + "/data";
    o.env = &env_;
    o.background_thread = false;
    o.retention_period_ns = 0;
    return o;
  }
  std::unique_ptr<EmbeddedStore> Open(const EmbeddedStoreOptions& o) {
    auto s = EmbeddedStore::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::vector<model::TraceId> Ids(const FindResult& r) {
    std::vector<model::TraceId> ids;
    for (const auto& t : r.traces) ids.push_back(t.trace_id);
    return ids;
  }
  test::TempDir dir_;
  testing::FaultInjectionEnv env_{Env::Default()};
};

TEST_F(StoreTest, WrittenSpansAreReadableImmediatelyAndAfterFlush) {
  auto store = Open(Options());
  model::SpanBatch in = test::FullFeaturedBatch();
  ASSERT_TRUE(store->Write(in).ok());
  auto got = store->GetTrace(in.spans[0].trace_id, 100);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->spans.size(), 3u);
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(store->Stats().segments, 1u);
  EXPECT_EQ(store->Stats().memtable_spans, 0u);
  got = store->GetTrace(in.spans[0].trace_id, 100);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->spans.size(), 3u);
  EXPECT_EQ(store->GetTrace(Tid(424242), 10).status().code(), Status::Code::kNotFound);
  // max_spans keeps the earliest.
  got = store->GetTrace(in.spans[0].trace_id, 1);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->spans.size(), 1u);
  EXPECT_EQ(got->spans[0].span_id.value, 0x3333u);
}

// ScanSpans hands memtable spans over in pieces (the memtable's lock is not
// held while fn runs): across piece boundaries every trace must still come
// exactly once, and a false from fn must stop the scan.
TEST_F(StoreTest, ScanSpansOverManyMemtableTracesPassesEachOnceAndStops) {
  auto store = Open(Options());
  BatchBuilder b;
  for (uint64_t t = 1; t <= 1000; ++t) {
    b.Span(t, t * 10, 0, "frontend", "GET /", kT0 + t * kMs, kMs).Span(t, t * 10 + 1, t * 10, "db", "SELECT", kT0 + t * kMs + 1, kMs);
  }
  ASSERT_TRUE(store->Write(b.Build()).ok());
  std::map<model::TraceId, size_t> spans_of;
  ASSERT_TRUE(store->ScanSpans(kT0, kT0 + 2000 * kMs, [&](const model::SpanBatch& batch) {
    spans_of[batch.spans[0].trace_id] += batch.spans.size();
    return true;
  }).ok());
  ASSERT_EQ(spans_of.size(), 1000u);
  for (const auto& [id, n] : spans_of) EXPECT_EQ(n, 2u) << id.ToHex();
  size_t calls = 0;
  ASSERT_TRUE(store->ScanSpans(kT0, kT0 + 2000 * kMs, [&](const model::SpanBatch&) { return ++calls < 300; }).ok());
  EXPECT_EQ(calls, 300u);
}

TEST_F(StoreTest, InvalidBatchIsRejectedWithReason) {
  auto store = Open(Options());
  model::SpanBatch b = test::FullFeaturedBatch();
  b.spans[1].scope_index = 9;
  Status st = store->Write(b);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("scope_index"), std::string::npos);
}

TEST_F(StoreTest, ReopenAfterCleanCloseKeepsEverything) {
  auto o = Options();
  {
    auto store = Open(o);
    ASSERT_TRUE(store->Write(BatchBuilder().Span(1, 1, 0, "a", "x", kT0, kMs).Build()).ok());
    ASSERT_TRUE(store->Flush().ok());
    ASSERT_TRUE(store->Write(BatchBuilder().Span(2, 2, 0, "a", "y", kT0, kMs).Build()).ok());
  }
  auto store = Open(o);
  EXPECT_TRUE(store->GetTrace(Tid(1), 10).ok());
  EXPECT_TRUE(store->GetTrace(Tid(2), 10).ok());  // replayed from the WAL
  EXPECT_EQ(store->Stats().spans_stored, 2u);
}

TEST_F(StoreTest, CrashKeepsEverythingAcknowledged) {
  auto o = Options();
  o.wal_sync = WalSyncPolicy::kGroupCommit;
  {
    auto store = Open(o);
    for (uint64_t i = 1; i <= 50; ++i) {
      ASSERT_TRUE(store->Write(BatchBuilder().Span(i, i, 0, "a", "op", kT0 + i, kMs).Build()).ok());
      if (i == 20) {
        ASSERT_TRUE(store->Flush().ok());
      }
    }
  }
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  auto store = Open(o);
  for (uint64_t i = 1; i <= 50; ++i) EXPECT_TRUE(store->GetTrace(Tid(i), 10).ok()) << i;
}

TEST_F(StoreTest, CrashWithoutFsyncLosesUnsyncedWrites) {
  // The counterpart of the test above: proves DropUnsyncedData bites.
  auto o = Options();
  o.wal_sync = WalSyncPolicy::kNone;
  {
    auto store = Open(o);
    ASSERT_TRUE(store->Write(BatchBuilder().Span(1, 1, 0, "a", "op", kT0, kMs).Build()).ok());
  }
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  auto store = Open(o);
  EXPECT_EQ(store->GetTrace(Tid(1), 10).status().code(), Status::Code::kNotFound);
}

TEST_F(StoreTest, TornWalWriteFailsThatBatchOnlyAndRecoveryTruncates) {
  auto o = Options();
  {
    auto store = Open(o);
    ASSERT_TRUE(store->Write(BatchBuilder().Span(1, 1, 0, "a", "op", kT0, kMs).Build()).ok());
    env_.TearNextAppend(10);
    EXPECT_EQ(store->Write(BatchBuilder().Span(2, 2, 0, "a", "op", kT0, kMs).Build()).code(),
              Status::Code::kUnavailable);
    EXPECT_EQ(store->GetTrace(Tid(2), 10).status().code(), Status::Code::kNotFound);
    ASSERT_TRUE(store->Write(BatchBuilder().Span(3, 3, 0, "a", "op", kT0, kMs).Build()).ok());
  }
  // Also leave a torn tail behind, as a crash mid-append would.
  std::string wal_dir = o.data_dir + "/wal";
  for (const auto& e : std::filesystem::directory_iterator(wal_dir)) {
    if (std::filesystem::file_size(e.path()) > 0) {
      std::ofstream(e.path(), std::ios::app | std::ios::binary) << std::string("\x12\x34\x56\x78\x40", 5);
    }
  }
  auto store = Open(o);
  EXPECT_TRUE(store->GetTrace(Tid(1), 10).ok());
  EXPECT_EQ(store->GetTrace(Tid(2), 10).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(store->GetTrace(Tid(3), 10).ok());
}

TEST_F(StoreTest, DiskFullReturnsUnavailableAndRecovers) {
  auto store = Open(Options());
  ASSERT_TRUE(store->Write(BatchBuilder().Span(1, 1, 0, "a", "op", kT0, kMs).Build()).ok());
  env_.SetNoSpace(true);
  EXPECT_EQ(store->Write(BatchBuilder().Span(2, 2, 0, "a", "op", kT0, kMs).Build()).code(),
            Status::Code::kUnavailable);
  EXPECT_EQ(store->Flush().code(), Status::Code::kUnavailable);  // cannot write a segment either
  env_.SetNoSpace(false);
  ASSERT_TRUE(store->Write(BatchBuilder().Span(3, 3, 0, "a", "op", kT0, kMs).Build()).ok());
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(store->Stats().memtable_spans, 0u);
  EXPECT_TRUE(store->GetTrace(Tid(1), 10).ok());
  EXPECT_EQ(store->GetTrace(Tid(2), 10).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(store->GetTrace(Tid(3), 10).ok());
}

TEST_F(StoreTest, FailingFsyncIsReportedAndWalIsReplaced) {
  auto store = Open(Options());
  env_.SetFailSync(true);
  EXPECT_FALSE(store->Write(BatchBuilder().Span(1, 1, 0, "a", "op", kT0, kMs).Build()).ok());
  env_.SetFailSync(false);
  ASSERT_TRUE(store->Write(BatchBuilder().Span(2, 2, 0, "a", "op", kT0, kMs).Build()).ok());
  EXPECT_TRUE(store->GetTrace(Tid(2), 10).ok());
}

TEST_F(StoreTest, BackPressureWhenFlushesFallBehind) {
  auto o = Options();
  o.memtable_max_bytes = 4096;
  o.max_frozen_memtables = 1;
  o.write_stall_timeout_ms = 10;
  auto store = Open(o);  // no background thread: nothing flushes by itself
  testing::SpanGenerator gen;
  Status st;
  int ok = 0;
  for (int i = 0; i < 50 && st.ok(); ++i) {
    st = store->Write(gen.NextBatch(20));
    ok += st.ok();
  }
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted);
  EXPECT_GT(ok, 0);
  uint64_t stored = store->Stats().spans_stored;
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_TRUE(store->Write(gen.NextBatch(20)).ok());
  EXPECT_GT(store->Stats().spans_stored, stored);
}

TEST_F(StoreTest, ConcurrentWritersAreAllDurable) {
  auto o = Options();
  o.background_thread = true;
  o.memtable_max_bytes = 256 << 10;
  {
    auto store = Open(o);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (uint64_t i = 0; i < 200; ++i) {
          uint64_t id = t * 1000 + i + 1;
          ASSERT_TRUE(store->Write(BatchBuilder().Span(id, id, 0, "svc", "op", kT0 + id, kMs).Build()).ok());
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(store->Stats().spans_written, 800u);
  }
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  auto store = Open(Options());
  for (int t = 0; t < 4; ++t) {
    for (uint64_t i = 0; i < 200; ++i) ASSERT_TRUE(store->GetTrace(Tid(t * 1000 + i + 1), 10).ok());
  }
}

// Traces for the search tests: half flushed to a segment, half in the memtable.
class FindTest : public StoreTest {
 protected:
  void SetUp() override {
    store_ = Open(Options());
    // Trace n: root "frontend GET /n%3" lasting n ms; a "db" child; errors on n%5==0.
    for (uint64_t n = 1; n <= 40; ++n) {
      BatchBuilder b;
      b.Span(n, n * 10, 0, "frontend", "GET /" + std::to_string(n % 3), kT0 + n * 1000 * kMs, n * kMs, false,
             {{"http.status_code", AnyValue::Int(n % 5 == 0 ? 500 : 200)}, {"customer", AnyValue::String("c" + std::to_string(n % 4))}});
      b.Span(n, n * 10 + 1, n * 10, "db", "SELECT", kT0 + n * 1000 * kMs + kMs / 10, kMs / 2, n % 5 == 0);
      ASSERT_TRUE(store_->Write(b.Build()).ok());
      if (n == 20) {
        ASSERT_TRUE(store_->Flush().ok());
      }
    }
  }
  TraceQuery Query() {
    TraceQuery q;
    q.start_time_min_ns = kT0;
    q.start_time_max_ns = kT0 + 100'000 * kMs;
    q.limit = 100;
    return q;
  }
  std::unique_ptr<EmbeddedStore> store_;
};

TEST_F(FindTest, MostRecentFirstOverMemtableAndSegments) {
  auto r = store_->FindTraces(Query());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->traces.size(), 40u);
  EXPECT_EQ(r->traces.front().trace_id, Tid(40));
  EXPECT_EQ(r->traces.back().trace_id, Tid(1));
  EXPECT_EQ(r->traces[0].span_count, 2u);
  EXPECT_EQ(r->traces[0].root_service, "frontend");
  EXPECT_EQ(r->traces[0].root_operation, "GET /1");
  EXPECT_TRUE(r->next_cursor.empty());
}

TEST_F(FindTest, ConditionsMayBeSatisfiedByDifferentSpans) {
  TraceQuery q = Query();
  SpanCondition front;
  front.service = "frontend";
  front.operation = "GET /0";
  SpanCondition db;
  db.service = "db";
  db.error_only = true;
  q.span_conditions = {front, db};
  auto r = store_->FindTraces(q);
  ASSERT_TRUE(r.ok());
  // n%3==0 and n%5==0: 15, 30.
  EXPECT_EQ(Ids(*r), (std::vector<model::TraceId>{Tid(30), Tid(15)}));
  // But one span must satisfy all fields of one condition.
  SpanCondition impossible;
  impossible.service = "frontend";
  impossible.error_only = true;  // frontend spans never have status error
  q.span_conditions = {impossible};
  EXPECT_TRUE(store_->FindTraces(q)->traces.empty());
}

TEST_F(FindTest, TagsMatchSpanAndResourceAttributes) {
  TraceQuery q = Query();
  SpanCondition c;
  c.tags = {{"http.status_code", "500"}, {"k8s.namespace.name", "shop"}};
  q.span_conditions = {c};
  auto r = store_->FindTraces(q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->traces.size(), 8u);  // n%5==0
  c.tags = {{"customer", "c1"}, {"k8s.namespace.name", "data"}};  // resource of a different span: no match
  q.span_conditions = {c};
  EXPECT_TRUE(store_->FindTraces(q)->traces.empty());
  c.tags = {{"error", "true"}};
  q.span_conditions = {c};
  EXPECT_EQ(store_->FindTraces(q)->traces.size(), 8u);
}

TEST_F(FindTest, SpanAndTraceDurationBounds) {
  TraceQuery q = Query();
  q.min_trace_duration_ns = 10 * kMs;
  q.max_trace_duration_ns = 12 * kMs;
  EXPECT_EQ(Ids(*store_->FindTraces(q)), (std::vector<model::TraceId>{Tid(12), Tid(11), Tid(10)}));
  q = Query();
  SpanCondition c;
  c.service = "frontend";
  c.min_duration_ns = 38 * kMs;
  q.span_conditions = {c};
  EXPECT_EQ(Ids(*store_->FindTraces(q)), (std::vector<model::TraceId>{Tid(40), Tid(39), Tid(38)}));
}

TEST_F(FindTest, LongestFirstIsExactTopK) {
  TraceQuery q = Query();
  q.order = TraceOrder::kLongestFirst;
  q.limit = 3;
  q.start_time_max_ns = kT0 + 25'000 * kMs;  // traces 1..25: the longest are 25, 24, 23
  auto r = store_->FindTraces(q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Ids(*r), (std::vector<model::TraceId>{Tid(25), Tid(24), Tid(23)}));
  q.order = TraceOrder::kShortestFirst;
  EXPECT_EQ(Ids(*store_->FindTraces(q)), (std::vector<model::TraceId>{Tid(1), Tid(2), Tid(3)}));
}

TEST_F(FindTest, CursorPagesWithoutDuplicatesOrGaps) {
  for (TraceOrder order : {TraceOrder::kMostRecent, TraceOrder::kLongestFirst, TraceOrder::kShortestFirst}) {
    TraceQuery q = Query();
    q.order = order;
    q.limit = 7;
    std::vector<model::TraceId> all;
    for (int page = 0; page < 10; ++page) {
      auto r = store_->FindTraces(q);
      ASSERT_TRUE(r.ok());
      for (auto id : Ids(*r)) all.push_back(id);
      if (r->next_cursor.empty()) break;
      q.cursor = r->next_cursor;
    }
    ASSERT_EQ(all.size(), 40u);
    EXPECT_EQ(std::set<model::TraceId>(all.begin(), all.end()).size(), 40u);
  }
  TraceQuery bad = Query();
  bad.cursor = "garbage";
  EXPECT_EQ(store_->FindTraces(bad).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(FindTest, TraceSplitAcrossSegmentAndMemtableIsMerged) {
  // A late span of trace 3 (already in a segment) arrives 500 ms after its root ended.
  ASSERT_TRUE(store_->Write(BatchBuilder().Span(3, 999, 30, "late", "async", kT0 + 3000 * kMs + 500 * kMs, kMs).Build()).ok());
  TraceQuery q = Query();
  q.order = TraceOrder::kLongestFirst;
  q.limit = 1;
  auto r = store_->FindTraces(q);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->traces.size(), 1u);
  EXPECT_EQ(r->traces[0].trace_id, Tid(3));
  EXPECT_EQ(r->traces[0].span_count, 3u);
  EXPECT_EQ(r->traces[0].DurationNanos(), 501 * kMs);
  SpanCondition a, b;
  a.service = "late";
  b.operation = "GET /0";
  q.span_conditions = {a, b};
  EXPECT_EQ(Ids(*store_->FindTraces(q)), (std::vector<model::TraceId>{Tid(3)}));
  EXPECT_EQ(store_->GetTrace(Tid(3), 10)->spans.size(), 3u);
}

TEST_F(FindTest, ServicesOperationsDependenciesAndScan) {
  auto services = store_->GetServices();
  ASSERT_TRUE(services.ok());
  EXPECT_EQ(std::set<std::string>(services->begin(), services->end()), (std::set<std::string>{"frontend", "db"}));
  auto ops = store_->GetOperations("frontend", std::nullopt);
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(ops->size(), 3u);
  EXPECT_TRUE(store_->GetOperations("frontend", model::SpanKind::kClient)->empty());
  auto deps = store_->GetDependencies(kT0, kT0 + 100'000 * kMs);
  ASSERT_TRUE(deps.ok());
  ASSERT_EQ(deps->size(), 1u);
  EXPECT_EQ((*deps)[0].parent, "frontend");
  EXPECT_EQ((*deps)[0].child, "db");
  EXPECT_EQ((*deps)[0].call_count, 40u);
  EXPECT_EQ((*deps)[0].error_count, 8u);
  size_t spans = 0;
  std::set<model::TraceId> traces;
  ASSERT_TRUE(store_->ScanSpans(kT0 + 10'000 * kMs, kT0 + 30'000 * kMs, [&](const model::SpanBatch& b) {
    for (const auto& s : b.spans) {
      EXPECT_EQ(s.trace_id, b.spans[0].trace_id);
      traces.insert(s.trace_id);
    }
    spans += b.spans.size();
    return true;
  }).ok());
  EXPECT_EQ(traces.size(), 20u);  // traces 10..29
  EXPECT_EQ(spans, 40u);
}

// Differential test: FindTraces (sliced, top-K with lazy verification) must
// return exactly what the exhaustive reference returns, page by page. Traces
// are split into parts written at different times, so a trace's parts sit in
// several segments, frozen memtables and the active memtable; start times are
// coarse so that ties in the order key are common.
class FindDifferentialTest : public StoreTest {
 protected:
  struct Rng {
    uint64_t s;
    uint64_t Next() {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      return s;
    }
    uint64_t Below(uint64_t n) { return Next() % n; }
    bool OneIn(uint64_t n) { return Below(n) == 0; }
  };

  void Build(uint64_t seed, int traces) {
    Rng rng{seed};
    auto o = Options();
    o.partition_duration_ns = 30'000 * kMs;
    o.max_trace_duration_ns = 20'000 * kMs;
    o.memtable_max_bytes = 1;  // every write freezes the memtable: many sources
    o.max_frozen_memtables = 64;
    store_ = Open(o);
    ASSERT_NE(store_, nullptr);
    const char* services[] = {"frontend", "cart", "db", "auth"};
    const char* ops[] = {"GET", "POST", "query"};
    constexpr int kPhases = 4;
    std::vector<BatchBuilder> phase(kPhases * 5);
    uint64_t span_id = 1;
    for (int t = 1; t <= traces; ++t) {
      const uint64_t start = kT0 + rng.Below(200) * 500 * kMs;  // 200 distinct starts over 100 s
      const uint64_t reach_ms = rng.OneIn(15) ? 30'000 : 3'000;  // some traces outlast max_trace_duration
      const int parts = 1 + static_cast<int>(rng.Below(3));
      uint64_t root = 0;
      for (int p = 0; p < parts; ++p) {
        const size_t bi = rng.Below(phase.size());
        BatchBuilder& b = phase[bi];
        const int spans = 1 + static_cast<int>(rng.Below(4));
        for (int i = 0; i < spans; ++i) {
          const bool is_root = p == 0 && i == 0 && !rng.OneIn(6);
          const uint64_t id = span_id++;
          const uint64_t s = is_root ? start : start + rng.Below(reach_ms / 100 + 1) * 100 * kMs;
          model::Attributes attrs;
          if (rng.OneIn(3)) attrs.push_back({"k", AnyValue::String("v" + std::to_string(rng.Below(3)))});
          // Jaeger-style error tags without status ERROR, in some batches
          // only: sources with and without an "error" attribute key.
          if (bi % 5 == 2 && rng.OneIn(4)) attrs.push_back({"error", AnyValue::String("true")});
          b.Span(t, id, is_root ? 0 : (root ? root : 999'999), services[rng.Below(4)], ops[rng.Below(3)], s,
                 rng.Below(6) * 10 * kMs, rng.OneIn(5), attrs);
          if (is_root) root = id;
        }
      }
    }
    for (int p = 0; p < kPhases; ++p) {
      for (int b = 0; b < 5; ++b) {
        auto batch = phase[p * 5 + b].Build();
        if (!batch.spans.empty()) ASSERT_TRUE(store_->Write(batch).ok());
      }
      if (p + 1 < kPhases) ASSERT_TRUE(store_->Flush().ok());
    }
  }

  TraceQuery RandomQuery(Rng& rng) {
    TraceQuery q;
    q.start_time_min_ns = kT0 + rng.Below(4) * 20'000 * kMs;
    q.start_time_max_ns = q.start_time_min_ns + (1 + rng.Below(8)) * 15'000 * kMs;
    if (rng.OneIn(4)) q.start_time_max_ns = UINT64_MAX;
    const int nconds = static_cast<int>(rng.Below(3));
    const char* services[] = {"frontend", "cart", "db", "auth", "nobody"};
    for (int i = 0; i < nconds; ++i) {
      SpanCondition c;
      if (!rng.OneIn(3)) c.service = services[rng.Below(5)];
      if (rng.OneIn(3)) c.operation = rng.OneIn(2) ? "GET" : "query";
      if (rng.OneIn(4)) c.error_only = true;
      if (rng.OneIn(4)) c.tags.push_back({"k", "v" + std::to_string(rng.Below(3))});
      if (rng.OneIn(4)) c.tags.push_back({"error", "true"});
      if (rng.OneIn(4)) c.min_duration_ns = rng.Below(5) * 10 * kMs;
      if (rng.OneIn(6)) c.max_duration_ns = (1 + rng.Below(4)) * 10 * kMs;
      q.span_conditions.push_back(c);
    }
    if (rng.OneIn(4)) q.min_trace_duration_ns = rng.Below(4) * 500 * kMs;
    if (rng.OneIn(5)) q.max_trace_duration_ns = (1 + rng.Below(4)) * 1000 * kMs;
    q.order = static_cast<TraceOrder>(rng.Below(3));
    const size_t limits[] = {1, 2, 3, 5, 10, 40, 0};
    q.limit = limits[rng.Below(7)];
    return q;
  }

  static std::string Describe(const FindResult& r) {
    std::string out;
    for (const auto& t : r.traces) {
      out += t.trace_id.ToHex().substr(24) + " " + std::to_string(t.start_time_unix_nano - kT0) + ".." +
             std::to_string(t.end_time_unix_nano - kT0) + " " + t.root_service + "/" + t.root_operation + " " +
             std::to_string(t.span_count) + "/" + std::to_string(t.error_count) + "\n";
    }
    return out + "cursor " + r.next_cursor + "\n";
  }

  // Runs `q` page by page on both implementations, comparing every page.
  void ExpectSameAsExhaustive(TraceQuery q) {
    for (int page = 0; page < 6; ++page) {
      auto fast = store_->FindTraces(q);
      auto ref = store_->FindTracesExhaustive(q);
      ASSERT_TRUE(fast.ok()) << fast.status().ToString();
      ASSERT_TRUE(ref.ok()) << ref.status().ToString();
      ASSERT_EQ(Describe(*fast), Describe(*ref)) << "page " << page;
      if (ref->next_cursor.empty()) return;
      q.cursor = ref->next_cursor;
    }
  }

  std::unique_ptr<EmbeddedStore> store_;
};

TEST_F(FindDifferentialTest, RandomQueriesMatchTheExhaustiveSearch) {
  for (uint64_t seed : {1ull, 2ull, 3ull}) {
    SCOPED_TRACE("store seed " + std::to_string(seed));
    Build(seed * 7919, 400);
    Rng rng{seed * 104729};
    for (int i = 0; i < 300; ++i) {
      TraceQuery q = RandomQuery(rng);
      SCOPED_TRACE("query " + std::to_string(i) + " order " + std::to_string(static_cast<int>(q.order)) +
                   " limit " + std::to_string(q.limit) + " conds " + std::to_string(q.span_conditions.size()));
      ExpectSameAsExhaustive(q);
      if (HasFatalFailure()) return;
    }
    store_.reset();
    std::filesystem::remove_all(dir_.path() + "/data");
  }
}

TEST_F(FindDifferentialTest, ManyMatchesAcrossSourcesMatchTheExhaustiveSearch) {
  // Dense: enough traces that the most-recent search stops after a few
  // slices and the top-K search merges candidates in bulk.
  Build(42, 3000);
  Rng rng{4242};
  for (int i = 0; i < 60; ++i) {
    TraceQuery q = RandomQuery(rng);
    SCOPED_TRACE("query " + std::to_string(i));
    ExpectSameAsExhaustive(q);
    if (HasFatalFailure()) return;
  }
}

TEST_F(StoreTest, RetentionDropsOldPartitionsAndSizeCap) {
  auto o = Options();
  o.retention_period_ns = 7ull * 24 * 3600 * 1'000'000'000;
  env_.SetNowNanos(kT0 + 10ull * 24 * 3600 * 1'000'000'000);  // ten days after kT0
  auto store = Open(o);
  uint64_t hour = 3600ull * 1'000'000'000;
  ASSERT_TRUE(store->Write(BatchBuilder().Span(1, 1, 0, "a", "old", kT0, kMs).Build()).ok());
  ASSERT_TRUE(store->Write(BatchBuilder().Span(2, 2, 0, "a", "new", kT0 + 9 * 24 * hour, kMs).Build()).ok());
  ASSERT_TRUE(store->Write(BatchBuilder().Span(3, 3, 0, "a", "newer", kT0 + 9 * 24 * hour + 2 * hour, kMs).Build()).ok());
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(store->Stats().segments, 3u);  // three hourly partitions
  ASSERT_TRUE(store->RunMaintenance().ok());
  EXPECT_EQ(store->GetTrace(Tid(1), 10).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(store->GetTrace(Tid(2), 10).ok());
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(o.data_dir + "/segments"),
                          std::filesystem::directory_iterator()),
            2);
  store.reset();
  // Size cap: keep only what fits, newest partitions first.
  o.max_disk_bytes = 1;
  store = Open(o);  // retention runs at startup
  EXPECT_EQ(store->Stats().segments, 0u);
}

TEST_F(StoreTest, CompactionMergesSmallSegmentsOfAPartition) {
  auto o = Options();
  o.compaction_min_segments = 3;
  auto store = Open(o);
  for (uint64_t i = 1; i <= 4; ++i) {
    ASSERT_TRUE(store->Write(BatchBuilder().Span(i, i, 0, "a", "op", kT0 + i * kMs, kMs).Build()).ok());
    ASSERT_TRUE(store->Write(BatchBuilder().Span(100, 100 + i, 100, "b", "op", kT0 + i * kMs, kMs).Build()).ok());
    ASSERT_TRUE(store->Flush().ok());
  }
  EXPECT_EQ(store->Stats().segments, 4u);
  ASSERT_TRUE(store->RunMaintenance().ok());
  EXPECT_EQ(store->Stats().segments, 1u);
  EXPECT_EQ(store->Stats().spans_stored, 8u);
  EXPECT_EQ(store->GetTrace(Tid(100), 100)->spans.size(), 4u);  // pieces of one trace joined
  store.reset();
  store = Open(o);
  EXPECT_EQ(store->Stats().segments, 1u);
  EXPECT_TRUE(store->GetTrace(Tid(3), 10).ok());
}

TEST_F(StoreTest, OversizedTraceIsCappedPerMemtable) {
  auto o = Options();
  o.max_spans_per_trace = 100;
  auto store = Open(o);
  BatchBuilder b;
  for (uint64_t i = 1; i <= 1000; ++i) b.Span(7, i, 0, "a", "op", kT0 + i, kMs);
  ASSERT_TRUE(store->Write(b.Build()).ok());
  EXPECT_EQ(store->GetTrace(Tid(7), 100000)->spans.size(), 100u);
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(store->dropped_spans(), 900u);
}

}  // namespace
}  // namespace tracery::storage

namespace tracery::storage {
namespace {

// Simulates a crash at a point of a flush: while `keep` is set, removals of
// files whose name ends with one of the suffixes are not done (as if the
// process died before them).
class KeepFilesEnv : public Env {
 public:
  Status RemoveFile(const std::string& path) override {
    for (const auto& suffix : keep) {
      if (path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return Status::Ok();
      }
    }
    return base_->RemoveFile(path);
  }
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, bool truncate) override {
    return base_->NewWritableFile(path, truncate);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  Result<std::string> ReadFileToString(const std::string& path) override { return base_->ReadFileToString(path); }
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override { return base_->GetChildren(dir); }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Result<uint64_t> GetFileSize(const std::string& path) override { return base_->GetFileSize(path); }
  Status CreateDirs(const std::string& dir) override { return base_->CreateDirs(dir); }
  Status RemoveDir(const std::string& dir) override { return base_->RemoveDir(dir); }
  Status RenameFile(const std::string& from, const std::string& to) override { return base_->RenameFile(from, to); }
  Status TruncateFile(const std::string& path, uint64_t size_bytes) override {
    return base_->TruncateFile(path, size_bytes);
  }
  Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }
  uint64_t NowNanos() override { return base_->NowNanos(); }

  std::vector<std::string> keep;

 private:
  Env* base_ = Env::Default();
};

class FlushCrashTest : public ::testing::Test {
 protected:
  EmbeddedStoreOptions Options() {
    EmbeddedStoreOptions o;
    o.data_dir = dir_.path() + "/data";
    o.env = &env_;
    o.background_thread = false;
    o.retention_period_ns = 0;
    o.compaction = false;
    return o;
  }
  // Two traces an hour apart: two partitions, so one flush writes two segments.
  model::SpanBatch TwoPartitionBatch() {
    return BatchBuilder()
        .Span(1, 1, 0, "a", "x", kT0, kMs)
        .Span(1, 2, 1, "b", "y", kT0 + kMs, kMs)
        .Span(2, 3, 0, "a", "x", kT0 + 3600ull * 1000 * kMs, kMs)
        .Build();
  }
  size_t SegmentFiles() {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path() + "/data")) {
      if (e.path().extension() == ".seg") n++;
    }
    return n;
  }
  test::TempDir dir_;
  KeepFilesEnv env_;
};

TEST_F(FlushCrashTest, SpansAreNotStoredTwiceAfterCrashBetweenSegmentWriteAndWalDeletion) {
  auto o = Options();
  o.partition_duration_ns = 3600ull * 1000 * kMs;
  {
    auto store = EmbeddedStore::Open(o);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Write(TwoPartitionBatch()).ok());
    env_.keep = {".log", ".flush"};  // the crash: WAL and flush record stay
    ASSERT_TRUE((*store)->Flush().ok());
    EXPECT_EQ((*store)->Stats().segments, 2u);
  }
  env_.keep.clear();
  auto store = EmbeddedStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Stats().spans_stored, 3u);
  auto got = (*store)->GetTrace(Tid(1), 100);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->spans.size(), 2u);
  ASSERT_TRUE((*store)->Flush().ok());
  EXPECT_EQ((*store)->Stats().spans_stored, 3u);
  EXPECT_EQ(SegmentFiles(), 2u);
}

TEST_F(FlushCrashTest, FlushCutShortBeforeItsLastSegmentIsRedoneFromTheWal) {
  auto o = Options();
  o.partition_duration_ns = 3600ull * 1000 * kMs;
  {
    auto store = EmbeddedStore::Open(o);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Write(TwoPartitionBatch()).ok());
    env_.keep = {".log", ".flush"};
    ASSERT_TRUE((*store)->Flush().ok());
  }
  env_.keep.clear();
  // The crash came before the second segment was written.
  std::vector<std::filesystem::path> segs;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path() + "/data")) {
    if (e.path().extension() == ".seg") segs.push_back(e.path());
  }
  ASSERT_EQ(segs.size(), 2u);
  std::sort(segs.begin(), segs.end());
  std::filesystem::remove(std::max(segs[0], segs[1], [](const auto& a, const auto& b) {
    return a.filename() < b.filename();
  }));
  auto store = EmbeddedStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Stats().spans_stored, 3u);
  EXPECT_EQ((*store)->GetTrace(Tid(1), 100)->spans.size(), 2u);
  EXPECT_EQ((*store)->GetTrace(Tid(2), 100)->spans.size(), 1u);
}

}  // namespace
}  // namespace tracery::storage
