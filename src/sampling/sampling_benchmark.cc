// Sampling benchmarks: tail sampler cost per span, memory per buffered
// trace, policy evaluation cost. Run:
//   build/bench/tracery_sampling_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "sampling/load_shedder.h"
#include "sampling/tail_sampler.h"
#include "sampling/test_traces.h"

namespace tracery::sampling {
namespace {

constexpr uint64_t kMs = 1'000'000;

// A batch of `traces` traces x `spans_per_trace` spans, as an SDK exporter
// sends them: one resource, spans grouped by trace, 6 attributes per span.
model::SpanBatch MakeBatch(uint64_t first_trace, int traces, int spans_per_trace) {
  model::SpanBatch b;
  b.spans.reserve(static_cast<size_t>(traces * spans_per_trace));
  for (int t = 0; t < traces; ++t) {
    for (int s = 0; s < spans_per_trace; ++s) {
      auto& span = testing::AddSpan(b, first_trace + t, s + 1, s == 0 ? 0 : 1, "checkout",
                                    s == 0 ? "POST /cart" : "SELECT items", 1000, 5 * kMs, false);
      span.attributes.push_back({"http.method", model::AnyValue::String("POST")});
      span.attributes.push_back({"http.route", model::AnyValue::String("/cart/{id}")});
      span.attributes.push_back({"http.status_code", model::AnyValue::Int(200)});
      span.attributes.push_back({"net.peer.name", model::AnyValue::String("db-17.internal")});
      span.attributes.push_back({"db.system", model::AnyValue::String("postgresql")});
      span.attributes.push_back({"user.tier", model::AnyValue::String("silver")});
    }
  }
  return b;
}

std::unique_ptr<TailPolicySet> TypicalPolicies() {
  auto p = ParseTailPolicies(R"({"policies":[
    {"name":"errors","type":"error","max_traces_per_second":100},
    {"name":"slow","type":"latency","threshold_ms":500},
    {"name":"rare","type":"rare","per_window":5,"window_s":60},
    {"name":"vip","type":"attribute","key":"user.tier","regex":"^(gold|platinum)$"},
    {"name":"base","type":"probabilistic","probability":0.1}]})");
  return std::move(TailPolicySet::Create(std::move(*p))).value();
}

// Offer + decision + hand-off of kept traces, per span. Traces complete in
// one batch; the clock advances 1 ms per batch; Tick every 100 batches.
// range(1) = 1: the five typical policies; 0: one probabilistic policy (the
// sampler's own cost without policy evaluation).
void BM_TailSamplerPerSpan(benchmark::State& state) {
  const int traces_per_batch = 10, spans_per_trace = static_cast<int>(state.range(0));
  auto policies = state.range(1) ? TypicalPolicies()
                                 : std::move(TailPolicySet::Create({TailPolicy{.name = "base",
                                                                              .type = TailPolicy::Type::kProbabilistic,
                                                                              .probability = 0.1}}))
                                       .value();
  uint64_t now = 0;
  TailSamplerOptions o;
  o.clock_ns = [&] { return now; };
  o.completion_grace_ns = 10 * kMs;
  size_t written = 0;
  TailSampler sampler(o, std::move(policies), [&](const model::SpanBatch& b) {
    written += b.size();
    return Status::Ok();
  });
  constexpr int kPool = 256;
  std::vector<model::SpanBatch> pool;
  uint64_t next_trace = 1;
  int used = kPool;
  for (auto _ : state) {
    if (used == kPool) {
      state.PauseTiming();
      pool.clear();
      for (int i = 0; i < kPool; ++i) {
        pool.push_back(MakeBatch(next_trace, traces_per_batch, spans_per_trace));
        next_trace += traces_per_batch;
      }
      used = 0;
      state.ResumeTiming();
    }
    sampler.Offer(std::move(pool[used++]));
    now += kMs;
    if (used % 100 == 0) sampler.Tick();
  }
  state.SetItemsProcessed(state.iterations() * traces_per_batch * spans_per_trace);
  state.counters["kept_spans"] = static_cast<double>(written);
}
BENCHMARK(BM_TailSamplerPerSpan)->Args({5, 0})->Args({5, 1})->Args({20, 0})->Args({20, 1});

// Bytes held per buffered trace: the sampler's own estimate and the growth
// of the process's resident set while 20,000 traces wait for a decision.
void BM_MemoryPerBufferedTrace(benchmark::State& state) {
  const int spans_per_trace = static_cast<int>(state.range(0));
  constexpr int kTraces = 20'000;
  double estimate = 0, rss = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const uint64_t rss_before = ProcessResidentBytes();
    std::vector<model::SpanBatch> batches;
    for (int i = 0; i < kTraces / 10; ++i) batches.push_back(MakeBatch(1 + i * 10, 10, spans_per_trace));
    TailSamplerOptions o;
    o.clock_ns = [] { return uint64_t{0}; };
    TailSampler sampler(o, TypicalPolicies(), [](const model::SpanBatch&) { return Status::Ok(); });
    state.ResumeTiming();
    for (auto& b : batches) sampler.Offer(std::move(b));
    state.PauseTiming();
    batches.clear();
    batches.shrink_to_fit();
    const uint64_t rss_after = ProcessResidentBytes();
    auto st = sampler.stats();
    estimate = static_cast<double>(st.buffered_bytes) / static_cast<double>(st.buffered_traces);
    rss = rss_after > rss_before ? static_cast<double>(rss_after - rss_before) / kTraces : 0;
    state.ResumeTiming();
  }
  state.counters["est_bytes_per_trace"] = estimate;
  state.counters["rss_bytes_per_trace"] = rss;
}
BENCHMARK(BM_MemoryPerBufferedTrace)->Arg(5)->Arg(20)->Iterations(1);

// One Decide over a whole trace with five policies (the last matching).
void BM_PolicyEvaluation(benchmark::State& state) {
  auto policies = TypicalPolicies();
  model::SpanBatch trace = MakeBatch(1, 1, static_cast<int>(state.range(0)));
  uint64_t now = 0;
  for (auto _ : state) {
    trace.spans[0].trace_id.bytes[15]++;  // a new trace id each time
    benchmark::DoNotOptimize(policies->Decide(trace, now));
    now += 1000;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolicyEvaluation)->Arg(5)->Arg(20);

}  // namespace
}  // namespace tracery::sampling

BENCHMARK_MAIN();
