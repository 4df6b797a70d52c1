#include "query/trace_assembly.h"

#include <gtest/gtest.h>

#include "storage/testing/memory_span_store.h"

namespace tracery::query {
namespace {

using model::SpanKind;

constexpr uint64_t kMs = 1'000'000;

class TraceBuilder {
 public:
  TraceBuilder() { batch_.scopes.push_back({}); }
  // Adds a span of `service` (times in milliseconds) and returns it.
  model::Span& Add(const std::string& service, uint64_t id, uint64_t parent, SpanKind kind, uint64_t start_ms,
                   uint64_t end_ms, std::string name = "op") {
    uint32_t res = 0;
    for (; res < batch_.resources.size(); ++res)
      if (batch_.resources[res].ServiceName() == service) break;
    if (res == batch_.resources.size())
      batch_.resources.push_back({{{"service.name", model::AnyValue::String(service)}}});
    model::Span s;
    s.trace_id = model::TraceId::FromHighLow(1, 2);
    s.span_id.value = id;
    s.parent_span_id.value = parent;
    s.kind = kind;
    s.name = std::move(name);
    s.start_time_unix_nano = start_ms * kMs;
    s.end_time_unix_nano = end_ms * kMs;
    s.resource_index = res;
    batch_.spans.push_back(s);
    return batch_.spans.back();
  }
  model::SpanBatch batch_;
};

std::vector<uint64_t> Ids(const AssembledTrace& t) {
  std::vector<uint64_t> ids;
  for (const auto& s : t.batch.spans) ids.push_back(s.span_id.value);
  return ids;
}

TEST(TraceAssemblyTest, BuildsTreeOrderWithDepthFromShuffledInput) {
  TraceBuilder b;
  b.Add("a", 4, 2, SpanKind::kInternal, 30, 40);
  b.Add("a", 3, 1, SpanKind::kInternal, 50, 60);
  b.Add("a", 1, 0, SpanKind::kServer, 0, 100);
  b.Add("a", 2, 1, SpanKind::kInternal, 10, 45);
  auto t = AssembleTrace(b.batch_, {});
  EXPECT_EQ(Ids(t), (std::vector<uint64_t>{1, 2, 4, 3}));
  ASSERT_EQ(t.spans.size(), 4u);
  EXPECT_EQ(t.spans[0].parent, -1);
  EXPECT_EQ(t.spans[1].parent, 0);
  EXPECT_EQ(t.spans[2].parent, 1);
  EXPECT_EQ(t.spans[3].parent, 0);
  EXPECT_EQ(t.spans[2].depth, 2u);
  EXPECT_TRUE(t.warnings.empty());
  EXPECT_FALSE(t.truncated);
}

TEST(TraceAssemblyTest, DuplicatesKeepTheMostCompleteCopy) {
  TraceBuilder b;
  b.Add("a", 1, 0, SpanKind::kServer, 0, 100);
  auto& unfinished = b.Add("a", 2, 1, SpanKind::kClient, 10, 0);
  unfinished.attributes.push_back({"x", model::AnyValue::Int(1)});
  unfinished.attributes.push_back({"y", model::AnyValue::Int(2)});
  auto& finished = b.Add("a", 2, 1, SpanKind::kClient, 10, 20);
  finished.attributes.push_back({"x", model::AnyValue::Int(1)});
  b.Add("a", 1, 0, SpanKind::kServer, 0, 100);  // exact copy
  auto t = AssembleTrace(b.batch_, {});
  ASSERT_EQ(t.batch.spans.size(), 2u);
  EXPECT_EQ(t.duplicates_removed, 2u);
  EXPECT_EQ(t.batch.spans[1].end_time_unix_nano, 20 * kMs);  // the finished copy won
}

TEST(TraceAssemblyTest, SharedClientServerSpanIdKeepsBothWithServerUnderClient) {
  TraceBuilder b;
  b.Add("frontend", 1, 0, SpanKind::kServer, 0, 100);
  b.Add("frontend", 7, 1, SpanKind::kClient, 10, 90);
  b.Add("backend", 7, 1, SpanKind::kServer, 20, 80);  // Zipkin shared span
  b.Add("backend", 9, 7, SpanKind::kClient, 30, 40);  // child of the shared id
  auto t = AssembleTrace(b.batch_, {});
  ASSERT_EQ(t.batch.spans.size(), 4u);
  EXPECT_EQ(t.duplicates_removed, 0u);
  EXPECT_EQ(t.batch.spans[1].kind, SpanKind::kClient);
  EXPECT_EQ(t.batch.spans[2].kind, SpanKind::kServer);
  EXPECT_EQ(t.spans[2].parent, 1);
  EXPECT_TRUE(t.spans[2].shared_server);
  // The server half renders with a fresh unique id whose parent is the client.
  EXPECT_NE(t.spans[2].display_id.value, 7u);
  EXPECT_NE(t.spans[2].display_id.value, 1u);
  EXPECT_EQ(t.spans[2].display_parent_id.value, 7u);
  // Children of the shared id belong to the server half.
  EXPECT_EQ(t.spans[3].parent, 2);
  EXPECT_EQ(t.spans[3].display_parent_id, t.spans[2].display_id);
  for (const auto& s : t.spans) EXPECT_TRUE(s.warnings.empty());  // no skew: server inside client
}

TEST(TraceAssemblyTest, OrphansAreRootsWithAWarning) {
  TraceBuilder b;
  b.Add("a", 1, 0, SpanKind::kServer, 0, 100);
  b.Add("a", 5, 0xdead, SpanKind::kInternal, 10, 20);
  auto t = AssembleTrace(b.batch_, {});
  ASSERT_EQ(t.spans.size(), 2u);
  EXPECT_EQ(t.spans[1].parent, -1);
  EXPECT_TRUE(t.spans[1].orphan);
  EXPECT_EQ(t.spans[1].display_parent_id.value, 0xdeadu);
  ASSERT_EQ(t.spans[1].warnings.size(), 1u);
  EXPECT_EQ(t.spans[1].warnings[0], "parent span 000000000000dead is not in the trace");
  EXPECT_FALSE(t.spans[0].orphan);
}

TEST(TraceAssemblyTest, ParentCyclesBecomeRootsInsteadOfLooping) {
  TraceBuilder b;
  b.Add("a", 1, 2, SpanKind::kInternal, 0, 10);
  b.Add("a", 2, 1, SpanKind::kInternal, 5, 10);
  auto t = AssembleTrace(b.batch_, {});
  ASSERT_EQ(t.spans.size(), 2u);
  EXPECT_EQ(t.spans[0].parent, -1);
  EXPECT_EQ(t.batch.spans[0].span_id.value, 1u);
  EXPECT_EQ(t.spans[1].parent, 0);
  EXPECT_FALSE(t.spans[0].warnings.empty());
}

TEST(TraceAssemblyTest, ServerStartingBeforeClientIsCentredAndSubtreeMoves) {
  TraceBuilder b;
  b.Add("frontend", 1, 0, SpanKind::kServer, 0, 300);
  b.Add("frontend", 2, 1, SpanKind::kClient, 100, 200);   // 100ms call
  b.Add("backend", 3, 2, SpanKind::kServer, 80, 130);     // 50ms, starts 20ms early
  b.Add("backend", 4, 3, SpanKind::kInternal, 90, 100);   // same clock as 3
  b.Add("backend", 5, 3, SpanKind::kClient, 100, 120);
  b.Add("db", 6, 5, SpanKind::kServer, 140, 150);         // its own clock
  auto t = AssembleTrace(b.batch_, {});
  ASSERT_EQ(Ids(t), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  // 3 is centred in 2: start = 100 + (100-50)/2 = 125ms, a +45ms shift.
  EXPECT_EQ(t.spans[2].skew_adjustment_ns, int64_t(45 * kMs));
  EXPECT_EQ(t.batch.spans[2].start_time_unix_nano, 125 * kMs);
  EXPECT_EQ(t.batch.spans[2].end_time_unix_nano, 175 * kMs);
  EXPECT_EQ(t.spans[2].warnings, std::vector<std::string>{"clock skew adjustment applied: 45ms"});
  // Descendants in backend move with it.
  EXPECT_EQ(t.batch.spans[3].start_time_unix_nano, 135 * kMs);
  EXPECT_EQ(t.spans[3].skew_adjustment_ns, int64_t(45 * kMs));
  EXPECT_EQ(t.batch.spans[4].start_time_unix_nano, 145 * kMs);
  // db's span (10ms) against the adjusted client 145..165: already inside? 140 < 145, so
  // it is centred: 145 + (20-10)/2 = 150, a +10ms shift of its own.
  EXPECT_EQ(t.spans[5].skew_adjustment_ns, int64_t(10 * kMs));
  EXPECT_EQ(t.batch.spans[5].start_time_unix_nano, 150 * kMs);
  EXPECT_EQ(t.spans[0].skew_adjustment_ns, 0);
  EXPECT_EQ(t.spans[1].skew_adjustment_ns, 0);
  EXPECT_TRUE(t.spans[1].warnings.empty());
}

TEST(TraceAssemblyTest, NegativeSkewAndLongerChildAlignsStarts) {
  TraceBuilder b;
  b.Add("frontend", 2, 0, SpanKind::kClient, 100, 200);
  b.Add("backend", 3, 2, SpanKind::kServer, 180, 230);   // ends 30ms late
  b.Add("frontend", 12, 0, SpanKind::kClient, 1000, 1010);
  b.Add("backend", 13, 12, SpanKind::kServer, 990, 1030);  // longer than parent
  auto t = AssembleTrace(b.batch_, {});
  ASSERT_EQ(Ids(t), (std::vector<uint64_t>{2, 3, 12, 13}));
  EXPECT_EQ(t.spans[1].skew_adjustment_ns, -int64_t(55 * kMs));
  EXPECT_EQ(t.spans[1].warnings, std::vector<std::string>{"clock skew adjustment applied: -55ms"});
  EXPECT_EQ(t.spans[3].skew_adjustment_ns, int64_t(10 * kMs));
  EXPECT_EQ(t.batch.spans[3].start_time_unix_nano, 1000 * kMs);
}

TEST(TraceAssemblyTest, SkewIsNotAppliedWithinOneServiceOrWhenDisabled) {
  TraceBuilder b;
  b.Add("a", 2, 0, SpanKind::kClient, 100, 200);
  b.Add("a", 3, 2, SpanKind::kServer, 80, 130);
  b.Add("b", 4, 0, SpanKind::kClient, 100, 200);
  b.Add("c", 5, 4, SpanKind::kServer, 80, 130);
  auto t = AssembleTrace(b.batch_, {});
  EXPECT_EQ(t.spans[1].skew_adjustment_ns, 0);
  EXPECT_NE(t.spans[3].skew_adjustment_ns, 0);
  AssemblyOptions off;
  off.adjust_clock_skew = false;
  auto t2 = AssembleTrace(b.batch_, off);
  EXPECT_EQ(t2.spans[3].skew_adjustment_ns, 0);
  EXPECT_EQ(t2.batch.spans[3].start_time_unix_nano, 80 * kMs);
}

TEST(TraceAssemblyTest, TruncatesToEarliestSpansWithWarning) {
  TraceBuilder b;
  for (uint64_t i = 1; i <= 10; ++i) b.Add("a", i, i == 1 ? 0 : 1, SpanKind::kInternal, 100 - i, 200);
  AssemblyOptions o;
  o.max_spans_per_trace = 4;
  auto t = AssembleTrace(b.batch_, o);
  EXPECT_TRUE(t.truncated);
  ASSERT_EQ(t.batch.spans.size(), 4u);
  // Earliest-starting spans are 10, 9, 8, 7; their parent 1 was cut, so they are orphans.
  EXPECT_EQ(Ids(t), (std::vector<uint64_t>{10, 9, 8, 7}));
  ASSERT_EQ(t.warnings.size(), 1u);
  EXPECT_NE(t.warnings[0].find("truncated"), std::string::npos);
}

TEST(TraceAssemblyTest, DeepChainOfHundredThousandSpansDoesNotRecurse) {
  TraceBuilder b;
  for (uint64_t i = 1; i <= 100'000; ++i) b.Add("a", i, i - 1, SpanKind::kInternal, i, 200'000);
  auto t = AssembleTrace(std::move(b.batch_), {.max_spans_per_trace = 200'000});
  ASSERT_EQ(t.spans.size(), 100'000u);
  EXPECT_EQ(t.spans.back().depth, 99'999u);
}

TEST(LoadAssembledTraceTest, FlagsTruncationOnlyWhenTheStoreHasMore) {
  TraceBuilder b;
  for (uint64_t i = 1; i <= 3; ++i) b.Add("a", i, i == 1 ? 0 : 1, SpanKind::kInternal, i, 10);
  storage::testing::MemorySpanStore store;
  ASSERT_TRUE(store.Write(b.batch_).ok());
  const auto id = model::TraceId::FromHighLow(1, 2);
  auto exact = LoadAssembledTrace(store, id, {.max_spans_per_trace = 3});
  ASSERT_TRUE(exact.ok());
  EXPECT_FALSE(exact->truncated);
  EXPECT_EQ(exact->spans.size(), 3u);
  auto cut = LoadAssembledTrace(store, id, {.max_spans_per_trace = 2});
  ASSERT_TRUE(cut.ok());
  EXPECT_TRUE(cut->truncated);
  EXPECT_EQ(cut->spans.size(), 2u);
  auto unlimited = LoadAssembledTrace(store, id, {.max_spans_per_trace = SIZE_MAX});
  ASSERT_TRUE(unlimited.ok());
  EXPECT_EQ(unlimited->spans.size(), 3u);
  auto missing = LoadAssembledTrace(store, model::TraceId::FromHighLow(0, 99), {});
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
}

TEST(FormatDeltaMsTest, Formats) {
  EXPECT_EQ(FormatDeltaMs(-12'300'000), "-12.3ms");
  EXPECT_EQ(FormatDeltaMs(500'000), "0.5ms");
  EXPECT_EQ(FormatDeltaMs(1'500'000'000), "1500ms");
  EXPECT_EQ(FormatDeltaMs(1), "0.000001ms");
}

}  // namespace
}  // namespace tracery::query
