// MemorySpanStore must behave as every real backend does (the conformance
// suite), or tests built on it would test against the wrong semantics.
#include "storage/testing/memory_span_store.h"

#include <gtest/gtest.h>

#include "storage/testing/span_store_conformance.h"

namespace tracery::storage::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, SpanStoreConformanceTest,
                         ::testing::Values(SpanStoreFactory{
                             "Memory", [](std::string*) { return std::make_unique<MemorySpanStore>(); }, {}}),
                         SpanStoreFactoryName);

model::SpanBatch OneSpan(uint64_t trace_low, uint64_t start_ns) {
  model::SpanBatch b;
  b.resources.push_back(model::Resource{});
  b.resources[0].attributes.push_back({"service.name", model::AnyValue::String("svc")});
  b.scopes.push_back(model::Scope{});
  model::Span s;
  s.trace_id = model::TraceId::FromHighLow(1, trace_low);
  s.span_id.value = trace_low;
  s.name = "op";
  s.start_time_unix_nano = start_ns;
  s.end_time_unix_nano = start_ns + 10;
  b.spans.push_back(s);
  return b;
}

TEST(MemorySpanStoreTest, RecordsTheLastQueryAndCountsGetTraceCalls) {
  MemorySpanStore store;
  ASSERT_TRUE(store.Write(OneSpan(7, 1000)).ok());
  TraceQuery q;
  q.limit = 3;
  q.span_conditions.push_back(SpanCondition{.service = "svc"});
  ASSERT_TRUE(store.FindTraces(q).ok());
  EXPECT_EQ(store.last_query().limit, 3u);
  ASSERT_EQ(store.last_query().span_conditions.size(), 1u);
  EXPECT_EQ(store.last_query().span_conditions[0].service, "svc");
  EXPECT_EQ(store.get_trace_calls(), 0u);
  ASSERT_TRUE(store.GetTrace(model::TraceId::FromHighLow(1, 7), 10).ok());
  EXPECT_FALSE(store.GetTrace(model::TraceId::FromHighLow(1, 8), 10).ok());
  EXPECT_EQ(store.get_trace_calls(), 2u);
}

TEST(MemorySpanStoreTest, CursorPagesInTraceIdOrderOnEqualStartTimes) {
  MemorySpanStore store;
  for (uint64_t t = 1; t <= 5; ++t) ASSERT_TRUE(store.Write(OneSpan(t, 1000)).ok());
  TraceQuery q;
  q.limit = 2;
  std::vector<uint64_t> seen;
  for (int page = 0; page < 5; ++page) {
    auto r = store.FindTraces(q);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const auto& t : r->traces) seen.push_back(t.trace_id.Low());
    if (r->next_cursor.empty()) break;
    q.cursor = r->next_cursor;
  }
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace tracery::storage::testing
