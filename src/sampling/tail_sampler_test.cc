#include "sampling/tail_sampler.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sampling/test_traces.h"

namespace tracery::sampling {
namespace {

using testing::AddSpan;
using testing::AdjustedCountOf;
using testing::Tid;

constexpr uint64_t kS = 1'000'000'000;

// Records what the sampler writes, by trace.
struct RecordingStore {
  std::map<model::TraceId, std::vector<model::Span>> traces;
  int writes = 0;
  Status next = Status::Ok();
  Status Write(const model::SpanBatch& b) {
    ++writes;
    if (!next.ok()) return next;
    for (const auto& s : b.spans) {
      traces[s.trace_id].push_back(s);
      EXPECT_LT(s.resource_index, b.resources.size());
      EXPECT_LT(s.scope_index, b.scopes.size());
    }
    return Status::Ok();
  }
};

struct Fixture {
  uint64_t now = 1000 * kS;
  RecordingStore store;
  std::unique_ptr<TailSampler> sampler;

  explicit Fixture(const std::string& policies_json, TailSamplerOptions opts = {}) {
    opts.clock_ns = [this] { return now; };
    auto p = ParseTailPolicies(policies_json);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    auto set = TailPolicySet::Create(std::move(*p));
    sampler = std::make_unique<TailSampler>(std::move(opts), std::move(*set),
                                            [this](const model::SpanBatch& b) { return store.Write(b); });
  }
};

const char* kKeepErrors = R"({"policies":[{"type":"error"}]})";
const char* kKeepAll = R"({"policies":[{"type":"probabilistic","probability":1}]})";

TEST(TailSampler, CompleteTraceIsDecidedAfterGraceNotDecisionWait) {
  Fixture f(kKeepErrors);
  model::SpanBatch b;
  AddSpan(b, 1, 1, 0, "a", "root");
  AddSpan(b, 1, 2, 1, "a", "child");
  AddSpan(b, 1, 3, 2, "b", "grandchild", 0, 10, /*error=*/true);
  f.sampler->Offer(std::move(b));
  EXPECT_EQ(f.sampler->Tick(), 0u) << "within the grace period";
  f.now += 1 * kS;
  EXPECT_EQ(f.sampler->Tick(), 1u);
  ASSERT_EQ(f.store.traces.count(Tid(1)), 1u);
  EXPECT_EQ(f.store.traces[Tid(1)].size(), 3u);
  EXPECT_EQ(f.sampler->stats().decided_complete, 1u);
  EXPECT_EQ(f.sampler->stats().buffered_spans, 0u);
}

TEST(TailSampler, TraceWithOpenSpanWaitsForDecisionWait) {
  Fixture f(kKeepAll);
  model::SpanBatch b;
  AddSpan(b, 1, 1, 0, "a", "root");
  AddSpan(b, 1, 3, 2, "a", "child of missing span 2");
  f.sampler->Offer(std::move(b));
  f.now += 2 * kS;
  EXPECT_EQ(f.sampler->Tick(), 0u) << "span 2 has not arrived: not complete";
  model::SpanBatch no_root;
  AddSpan(no_root, 2, 5, 4, "a", "no root yet");
  f.sampler->Offer(std::move(no_root));
  f.now += 8 * kS;  // 10 s after the first trace
  EXPECT_EQ(f.sampler->Tick(), 1u);
  EXPECT_EQ(f.sampler->stats().decided_wait, 1u);
  f.now += 2 * kS;
  EXPECT_EQ(f.sampler->Tick(), 1u);
  EXPECT_EQ(f.store.traces.size(), 2u);
}

TEST(TailSampler, MissingParentArrivingCompletesTheTraceEarly) {
  Fixture f(kKeepAll);
  model::SpanBatch b;
  AddSpan(b, 1, 1, 0, "a", "root");
  AddSpan(b, 1, 3, 2, "a", "child of span 2");
  f.sampler->Offer(std::move(b));
  f.now += 2 * kS;
  EXPECT_EQ(f.sampler->Tick(), 0u);
  model::SpanBatch missing;
  AddSpan(missing, 1, 2, 1, "b", "span 2");
  f.sampler->Offer(std::move(missing));
  f.now += 1 * kS;
  EXPECT_EQ(f.sampler->Tick(), 1u) << "complete 1 s after the last span, 7 s before the decision wait";
  EXPECT_EQ(f.store.traces[Tid(1)].size(), 3u);
  EXPECT_EQ(f.sampler->stats().decided_complete, 1u);
}

TEST(TailSampler, LateSpansFollowTheDecision) {
  Fixture f(kKeepErrors);
  model::SpanBatch b;
  AddSpan(b, 1, 1, 0, "a", "root", 0, 10, true);  // kept
  AddSpan(b, 2, 1, 0, "a", "root");               // dropped
  f.sampler->Offer(std::move(b));
  f.now += 2 * kS;
  EXPECT_EQ(f.sampler->Tick(), 2u);
  model::SpanBatch late;
  AddSpan(late, 1, 7, 1, "a", "late kept");
  AddSpan(late, 2, 7, 1, "a", "late dropped");
  f.sampler->Offer(std::move(late));
  f.sampler->Tick();
  EXPECT_EQ(f.store.traces[Tid(1)].size(), 2u);
  EXPECT_EQ(f.store.traces.count(Tid(2)), 0u);
  auto st = f.sampler->stats();
  EXPECT_EQ(st.late_spans_kept, 1u);
  EXPECT_EQ(st.late_spans_dropped, 1u);
  EXPECT_EQ(st.buffered_traces, 0u) << "a late span must not reopen a decided trace";
}

TEST(TailSampler, KeptSpansCarryAdjustedCountMultipliedWithPriorCount) {
  Fixture f(R"({"policies":[{"type":"probabilistic","probability":0.5}]})");
  uint64_t kept_id = 0;
  for (uint64_t i = 1; i < 100 && kept_id == 0; ++i)
    if (TraceIdSampled(Tid(i), 0.5)) kept_id = i;
  model::SpanBatch b;
  AddSpan(b, kept_id, 1, 0, "a", "root");
  AddSpan(b, kept_id, 2, 1, "a", "head-sampled at 10%")
      .attributes.push_back({std::string(model::keys::kAdjustedCount), model::AnyValue::Double(10)});
  f.sampler->Offer(std::move(b));
  f.sampler->Flush();
  auto& spans = f.store.traces[Tid(kept_id)];
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_DOUBLE_EQ(AdjustedCountOf(spans[0]), 2.0);
  EXPECT_DOUBLE_EQ(AdjustedCountOf(spans[1]), 20.0);
}

TEST(TailSampler, MemoryBoundDecidesOldestFirstInsteadOfGrowing) {
  TailSamplerOptions o;
  o.max_buffered_spans = 100;
  Fixture f(kKeepAll, o);
  for (uint64_t t = 1; t <= 60; ++t) {
    model::SpanBatch b;
    AddSpan(b, t, 1, 0, "a", "root");
    AddSpan(b, t, 2, 1, "a", "child");
    AddSpan(b, t, 3, 99, "a", "child of a span that never comes");
    f.sampler->Offer(std::move(b));
    f.now += 1'000'000;  // 1 ms
    EXPECT_LE(f.sampler->stats().buffered_spans, 100u);
  }
  auto st = f.sampler->stats();
  EXPECT_GT(st.decided_pressure, 0u);
  f.sampler->Tick();
  // The oldest traces went first, whole.
  EXPECT_EQ(f.store.traces.count(Tid(1)), 1u);
  EXPECT_EQ(f.store.traces[Tid(1)].size(), 3u);
  EXPECT_EQ(f.store.traces.count(Tid(60)), 0u);

  TailSamplerOptions by_bytes;
  by_bytes.max_buffered_bytes = 20'000;
  Fixture g(kKeepAll, by_bytes);
  for (uint64_t t = 1; t <= 200; ++t) {
    model::SpanBatch b;
    AddSpan(b, t, 1, 0, "a", std::string(200, 'x'));
    g.sampler->Offer(std::move(b));
    EXPECT_LE(g.sampler->stats().buffered_bytes, 20'000u);
  }
}

TEST(TailSampler, RefusedWritesAreRetriedAndGivenUpWhole) {
  TailSamplerOptions o;
  o.max_pending_write_spans = 4;
  Fixture f(kKeepAll, o);
  f.store.next = Status::ResourceExhausted("full");
  for (uint64_t t = 1; t <= 2; ++t) {
    model::SpanBatch b;
    AddSpan(b, t, 1, 0, "a", "root");
    AddSpan(b, t, 2, 1, "a", "child");
    f.sampler->Offer(std::move(b));
  }
  f.now += 2 * kS;
  f.sampler->Tick();
  EXPECT_TRUE(f.store.traces.empty());
  EXPECT_EQ(f.sampler->stats().pending_write_spans, 4u);
  f.store.next = Status::Ok();
  f.now += 1 * kS;
  f.sampler->Tick();
  EXPECT_EQ(f.store.traces.size(), 2u);
  EXPECT_EQ(f.sampler->stats().pending_write_spans, 0u);

  // Over the pending bound: whole traces are given up, and their late spans
  // are dropped so no partial trace is stored afterwards.
  f.store.next = Status::ResourceExhausted("full");
  for (uint64_t t = 10; t <= 12; ++t) {
    model::SpanBatch b;
    AddSpan(b, t, 1, 0, "a", "root");
    AddSpan(b, t, 2, 1, "a", "child");
    f.sampler->Offer(std::move(b));
    f.now += 2 * kS;
    f.sampler->Tick();
  }
  EXPECT_GT(f.sampler->stats().traces_lost_store_refused, 0u);
  f.store.next = Status::Ok();
  for (uint64_t t = 10; t <= 12; ++t) {
    model::SpanBatch late;
    AddSpan(late, t, 3, 1, "a", "late");
    f.sampler->Offer(std::move(late));
  }
  f.now += 2 * kS;
  f.sampler->Flush();
  for (uint64_t t = 10; t <= 12; ++t) {
    if (f.store.traces.count(Tid(t)) == 0) continue;
    EXPECT_EQ(f.store.traces[Tid(t)].size(), 3u) << "trace " << t << " stored incomplete";
  }
}

TEST(TailSampler, BackgroundTickerDecidesWithoutTraffic) {
  TailSamplerOptions o;
  o.tick_interval_ns = 1'000'000;  // 1 ms
  o.completion_grace_ns = 0;
  RecordingStore store;
  std::mutex mu;
  auto p = ParseTailPolicies(kKeepAll);
  auto set = TailPolicySet::Create(std::move(*p));
  TailSampler sampler(o, std::move(*set), [&](const model::SpanBatch& b) {
    std::lock_guard<std::mutex> l(mu);
    return store.Write(b);
  });
  sampler.Start();
  model::SpanBatch b;
  AddSpan(b, 1, 1, 0, "a", "root");
  sampler.Offer(std::move(b));
  for (int i = 0; i < 2000; ++i) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (!store.traces.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  sampler.Stop();
  EXPECT_EQ(store.traces.size(), 1u);
}

// Spans written by the sampler with the service and scope they were
// written under (resolved through the written batch's tables).
struct WrittenSpan {
  model::Span span;
  model::Resource resource;
  model::Scope scope;
};

TEST(TailSampler, KeptTraceIsWrittenAsOfferedWithItsResourcesAndScopes) {
  TailSamplerOptions o;
  o.clock_ns = [] { return uint64_t{0}; };
  std::vector<WrittenSpan> written;
  auto set = TailPolicySet::Create(std::move(*ParseTailPolicies(kKeepAll)));
  TailSampler sampler(o, std::move(*set), [&](const model::SpanBatch& b) {
    for (const auto& s : b.spans) written.push_back({s, b.ResourceOf(s), b.ScopeOf(s)});
    return Status::Ok();
  });
  // Two batches whose resource tables list the services in opposite order,
  // with a second scope, events, links and every kind of attribute value.
  model::SpanBatch first, second;
  AddSpan(first, 1, 1, 0, "frontend", "GET /").attributes.push_back({"n", model::AnyValue::Int(-3)});
  AddSpan(first, 1, 2, 1, "backend", "query")
      .events.push_back({5, "retry", {{"k", model::AnyValue::Bool(true)}}, 0});
  AddSpan(second, 1, 4, 2, "backend", "cache")
      .links.push_back({Tid(9), model::SpanId{77}, "ts", {{"l", model::AnyValue::Double(1.5)}}, 1, 0});
  AddSpan(second, 1, 3, 1, "frontend", "render").status_message = "slow";
  second.scopes.push_back(model::Scope{"other-lib", "2.0", {}, 0, ""});
  second.spans.back().scope_index = 1;
  std::vector<model::Span> offered = first.spans;
  offered.insert(offered.end(), second.spans.begin(), second.spans.end());
  const std::vector<std::string> services = {"frontend", "backend", "backend", "frontend"};
  const std::vector<std::string> scopes = {"test", "test", "test", "other-lib"};

  sampler.Offer(first);
  sampler.Offer(second);
  EXPECT_EQ(first.spans.size(), 2u) << "the caller's batch is left alone";
  sampler.Flush();

  ASSERT_EQ(written.size(), offered.size());
  for (size_t i = 0; i < written.size(); ++i) {
    SCOPED_TRACE(i);
    model::Span got = written[i].span;
    EXPECT_EQ(AdjustedCountOf(got), 1.0);
    got.attributes.pop_back();  // the adjusted count stamped on keep
    got.resource_index = offered[i].resource_index = 0;
    got.scope_index = offered[i].scope_index = 0;
    EXPECT_EQ(got, offered[i]);
    EXPECT_EQ(written[i].resource.ServiceName(), services[i]);
    EXPECT_EQ(written[i].scope.name, scopes[i]);
  }
}

// The byte bound relies on the accounting: every byte counted for a held
// trace and for shared resources must be given back when it is decided.
TEST(TailSampler, BufferedBytesReturnToZeroOnceEverythingIsDecided) {
  Fixture f(kKeepErrors);
  for (uint64_t t = 1; t <= 50; ++t) {
    model::SpanBatch b;
    AddSpan(b, t, 1, 0, "svc-" + std::to_string(t % 7), "root", 1000, 1000, t % 3 == 0);
    AddSpan(b, t, 2, 1, "db", "query")
        .attributes.push_back({"q", model::AnyValue::String(std::string(500, 'x'))});
    f.sampler->Offer(b);
  }
  EXPECT_GT(f.sampler->stats().buffered_bytes, 50u * 500);
  f.sampler->Flush();
  auto st = f.sampler->stats();
  EXPECT_EQ(st.buffered_spans, 0u);
  EXPECT_EQ(st.buffered_traces, 0u);
  EXPECT_EQ(st.buffered_bytes, 0u);
  EXPECT_EQ(f.store.traces.size(), 16u);  // t % 3 == 0
}

// Interned resource ids are reused once no held span uses them. A kept
// trace waiting in a write chunk must not pick up the resource that reused
// its id: both traces below end up in one chunk under the same id number.
TEST(TailSampler, ReusedResourceIdDoesNotMixUpResourcesInOneWriteChunk) {
  TailSamplerOptions o;
  uint64_t now = 0;
  o.clock_ns = [&] { return now; };
  o.completion_grace_ns = 0;
  o.tick_interval_ns = 1000 * kS;  // a refused write is retried only much later
  bool refuse = true;
  std::vector<WrittenSpan> written;
  auto set = TailPolicySet::Create(std::move(*ParseTailPolicies(kKeepAll)));
  TailSampler sampler(o, std::move(*set), [&](const model::SpanBatch& b) {
    if (refuse) return Status::ResourceExhausted("busy");
    for (const auto& s : b.spans) written.push_back({s, b.ResourceOf(s), b.ScopeOf(s)});
    return Status::Ok();
  });
  model::SpanBatch a;
  AddSpan(a, 1, 1, 0, "first-service", "op");
  sampler.Offer(a);
  now += 1;
  sampler.Tick();  // kept, queued, the write refused; its resource is released
  model::SpanBatch b;
  AddSpan(b, 2, 1, 0, "second-service", "op");
  sampler.Offer(b);
  now += 1;
  sampler.Tick();  // kept, appended to the same queued chunk
  refuse = false;
  sampler.Flush();
  ASSERT_EQ(written.size(), 2u);
  for (const auto& w : written)
    EXPECT_EQ(w.resource.ServiceName(), w.span.trace_id == Tid(1) ? "first-service" : "second-service");
}

}  // namespace
}  // namespace tracery::sampling
