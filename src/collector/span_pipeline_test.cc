#include "collector/span_pipeline.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

namespace tracery::collector {
namespace {

// A store that records what it is given and can be told to refuse.
class RecordingStore final : public storage::SpanStore {
 public:
  Status Write(const model::SpanBatch& batch) override {
    std::lock_guard<std::mutex> l(mu);
    if (!refuse_with.ok()) return refuse_with;
    for (const auto& s : batch.spans) by_trace[s.trace_id].push_back(s);
    spans += batch.spans.size();
    return Status::Ok();
  }
  Result<model::SpanBatch> GetTrace(const model::TraceId&, size_t) override { return Status::NotFound("n/a"); }
  Result<storage::FindResult> FindTraces(const storage::TraceQuery&) override { return storage::FindResult{}; }
  Result<std::vector<std::string>> GetServices() override { return std::vector<std::string>{}; }
  Result<std::vector<storage::Operation>> GetOperations(const std::string&, std::optional<model::SpanKind>) override {
    return std::vector<storage::Operation>{};
  }
  Result<std::vector<storage::DependencyLink>> GetDependencies(uint64_t, uint64_t) override {
    return std::vector<storage::DependencyLink>{};
  }
  Status ScanSpans(uint64_t, uint64_t, const std::function<bool(const model::SpanBatch&)>&) override {
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }
  storage::StoreStats Stats() override { return {}; }

  std::mutex mu;
  Status refuse_with;
  std::map<model::TraceId, std::vector<model::Span>> by_trace;
  size_t spans = 0;
};

model::SpanBatch Batch(std::initializer_list<std::tuple<uint64_t, uint64_t, uint64_t, bool>> spans) {
  model::SpanBatch b;
  model::Resource r;
  r.attributes.push_back({"service.name", model::AnyValue::String("svc")});
  b.resources.push_back(r);
  b.scopes.emplace_back();
  for (auto [trace, id, parent, error] : spans) {
    model::Span s;
    s.trace_id = model::TraceId::FromHighLow(7, trace);
    s.span_id.value = id;
    s.parent_span_id.value = parent;
    s.name = "op";
    s.start_time_unix_nano = 1;
    s.end_time_unix_nano = 2;
    s.status_code = error ? model::StatusCode::kError : model::StatusCode::kUnset;
    b.spans.push_back(s);
  }
  return b;
}

double AdjustedCount(const model::Span& s) {
  auto* v = model::FindAttribute(s.attributes, model::keys::kAdjustedCount);
  return v ? v->double_value : 1.0;
}

TEST(SpanPipeline, WithoutSamplingWritesThenObserves) {
  RecordingStore store;
  MetricsRegistry metrics;
  SpanPipeline p(&store, &metrics);
  size_t observed = 0;
  p.AddObserver([&](const model::SpanBatch& b) { observed += b.size(); });
  auto out = p.Accept(Batch({{1, 1, 0, false}, {1, 2, 1, false}}), 0, "", "test");
  EXPECT_TRUE(out.status.ok());
  EXPECT_EQ(out.accepted_spans, 2);
  EXPECT_EQ(store.spans, 2u);
  EXPECT_EQ(observed, 2u);
  store.refuse_with = Status::ResourceExhausted("full");
  out = p.Accept(Batch({{2, 1, 0, false}}), 0, "", "test");
  EXPECT_EQ(out.status.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(observed, 2u) << "a refused batch is not observed (the client retries it)";
}

TEST(SpanPipeline, ObserversSeeEverySpanBeforeTheTailSamplerDrops) {
  RecordingStore store;
  MetricsRegistry metrics;
  SpanPipeline p(&store, &metrics);
  uint64_t now = 0;
  sampling::TailSamplerOptions to;
  to.clock_ns = [&] { return now; };
  auto policies = sampling::ParseTailPolicies(R"({"policies":[{"type":"error"}]})");
  auto set = sampling::TailPolicySet::Create(std::move(*policies));
  sampling::TailSampler tail(to, std::move(*set), [&](const model::SpanBatch& b) { return store.Write(b); });
  p.EnableSampling(&tail, nullptr);
  size_t observed = 0;
  size_t stored_when_observed = 0;
  p.AddObserver([&](const model::SpanBatch& b) {
    observed += b.size();
    stored_when_observed = store.spans;
  });
  auto out = p.Accept(Batch({{1, 1, 0, true}, {1, 2, 1, false}, {2, 1, 0, false}}), 0, "", "test");
  EXPECT_TRUE(out.status.ok());
  EXPECT_EQ(out.accepted_spans, 3);
  EXPECT_EQ(observed, 3u);
  EXPECT_EQ(stored_when_observed, 0u);
  now += 2'000'000'000;
  tail.Tick();
  EXPECT_EQ(store.by_trace.size(), 1u) << "only the error trace is kept";
  EXPECT_EQ(store.by_trace[model::TraceId::FromHighLow(7, 1)].size(), 2u);
}

TEST(SpanPipeline, SheddingRefusesWithRetryHintBeforeObservers) {
  RecordingStore store;
  MetricsRegistry metrics;
  SpanPipeline p(&store, &metrics);
  uint64_t used = 0;
  sampling::LoadShedderOptions so;
  so.memory_limit_bytes = 100;
  so.memory_usage_bytes = [&] { return used; };
  so.adjust_interval_ns = 1;
  sampling::LoadShedder shedder(so);
  p.EnableSampling(nullptr, &shedder);
  size_t observed = 0;
  p.AddObserver([&](const model::SpanBatch& b) { observed += b.size(); });
  used = 99;
  shedder.Update(1);
  shedder.Update(2);
  auto out = p.Accept(Batch({{1, 1, 0, false}}), 0, "", "test");
  EXPECT_EQ(out.status.code(), Status::Code::kResourceExhausted);
  EXPECT_GE(out.retry_after_s, 1u);
  EXPECT_EQ(observed, 0u);
  EXPECT_EQ(store.spans, 0u);
}

TEST(SpanPipeline, SheddingWithoutTailSamplerDropsWholeTracesConsistently) {
  RecordingStore store;
  MetricsRegistry metrics;
  SpanPipeline p(&store, &metrics);
  uint64_t now = 0;
  sampling::LoadShedderOptions so;
  so.adjust_interval_ns = 1;
  so.store_latency_target_ns = 0;
  so.clock_ns = [&] { return now; };
  sampling::LoadShedder shedder(so);
  shedder.RecordStoreWrite(Status::ResourceExhausted("full"), 0, 1);
  shedder.RecordStoreWrite(Status::ResourceExhausted("full"), 0, 3);
  ASSERT_DOUBLE_EQ(shedder.keep_fraction(), 0.5);
  // The clock stays at 3: no further adjustment while the traces arrive.
  now = 3;
  p.EnableSampling(nullptr, &shedder);
  size_t observed = 0;
  p.AddObserver([&](const model::SpanBatch& b) { observed += b.size(); });
  // Each trace's root and child arrive in different batches.
  for (uint64_t t = 1; t <= 200; ++t) ASSERT_TRUE(p.Accept(Batch({{t, 1, 0, false}}), 0, "", "test").status.ok());
  for (uint64_t t = 1; t <= 200; ++t) ASSERT_TRUE(p.Accept(Batch({{t, 2, 1, false}}), 0, "", "test").status.ok());
  EXPECT_EQ(observed, 400u) << "observers see shed spans too";
  EXPECT_GT(store.by_trace.size(), 60u);
  EXPECT_LT(store.by_trace.size(), 140u);
  for (const auto& [id, spans] : store.by_trace) {
    EXPECT_EQ(spans.size(), 2u) << "trace stored without all its spans";
    for (const auto& s : spans) EXPECT_DOUBLE_EQ(AdjustedCount(s), 2.0);
  }
}

TEST(SpanPipelineRouterTest, RouterKeepsOnlyLocalSpansAndForwardedOnesCountAsAccepted) {
  RecordingStore store;
  MetricsRegistry metrics;
  SpanPipeline pipeline(&store, &metrics);
  std::vector<model::SpanBatch> forwarded;
  pipeline.SetRouter([&](model::SpanBatch* b) {
    model::SpanBatch local, remote;
    for (const auto& s : b->spans) (s.trace_id.Low() == 1 ? local : remote).AppendFrom(*b, s);
    forwarded.push_back(std::move(remote));
    *b = std::move(local);
    return Status::Ok();
  });
  auto out = pipeline.Accept(Batch({{1, 1, 0, false}, {2, 2, 0, false}, {2, 3, 2, false}}), 0, "", "test");
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.accepted_spans, 3);
  EXPECT_EQ(store.spans, 1u);
  ASSERT_EQ(forwarded.size(), 1u);
  EXPECT_EQ(forwarded[0].spans.size(), 2u);
}

TEST(SpanPipelineRouterTest, RouterErrorRefusesTheBatchRetryably) {
  RecordingStore store;
  MetricsRegistry metrics;
  SpanPipeline pipeline(&store, &metrics);
  pipeline.SetRouter([](model::SpanBatch*) { return Status::ResourceExhausted("peer busy"); });
  auto out = pipeline.Accept(Batch({{1, 1, 0, false}}), 0, "", "test");
  EXPECT_EQ(out.status.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(store.spans, 0u);
}

}  // namespace
}  // namespace tracery::collector
