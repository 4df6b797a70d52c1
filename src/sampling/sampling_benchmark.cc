// Sampling benchmarks: tail sampler cost per span, memory per buffered
// trace, policy evaluation cost. Run:
//   build/bench/tracery_sampling_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <string>
#include <vector>

#include "sampling/load_shedder.h"
#include "sampling/tail_sampler.h"
#include "sampling/test_traces.h"

namespace tracery::sampling {
namespace {

constexpr uint64_t kMs = 1'000'000;

// Bytes of heap allocated and not freed (small blocks plus mmapped ones).
size_t HeapInUseBytes() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

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
// range(2) = 0: the offered batch is freed outside the timed region, as the
// pipeline frees it whether or not tail sampling is on (the sampler's
// marginal cost); 1: freeing the batch is timed too (comparable with the
// first sampler, which took ownership of the spans and freed them itself).
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
    if (state.range(2)) {
      model::SpanBatch b = std::move(pool[used++]);
      sampler.Offer(b);
    } else {
      sampler.Offer(pool[used++]);
    }
    now += kMs;
    if (used % 100 == 0) sampler.Tick();
  }
  state.SetItemsProcessed(state.iterations() * traces_per_batch * spans_per_trace);
  state.counters["kept_spans"] = static_cast<double>(written);
}
BENCHMARK(BM_TailSamplerPerSpan)
    ->ArgNames({"spans_per_trace", "policies5", "free_batch"})
    ->Args({5, 0, 0})
    ->Args({5, 1, 0})
    ->Args({20, 0, 0})
    ->Args({20, 1, 0})
    ->Args({5, 0, 1})
    ->Args({5, 1, 1});

// Cost of building the spans' model objects and freeing them, per span, for
// the batches above: what any consumer of a decoded batch pays, with or
// without tail sampling (context for the figures above).
void BM_FreeDecodedBatchPerSpan(benchmark::State& state) {
  std::vector<model::SpanBatch> pool;
  uint64_t next_trace = 1;
  for (auto _ : state) {
    state.PauseTiming();
    pool.clear();
    for (int i = 0; i < 256; ++i) {
      pool.push_back(MakeBatch(next_trace, 10, 5));
      next_trace += 10;
    }
    state.ResumeTiming();
    for (auto& b : pool) b = model::SpanBatch();
  }
  state.SetItemsProcessed(state.iterations() * 256 * 10 * 5);
}
BENCHMARK(BM_FreeDecodedBatchPerSpan);

// Bytes held per buffered trace while 20,000 traces wait for a decision: the
// sampler's own estimate (what max_buffered_bytes bounds), the growth of the
// heap in use (mallinfo2: exact, independent of what malloc keeps cached),
// and the growth of the resident set (includes freed input batches that
// malloc keeps for reuse, so it overstates the sampler's share).
void BM_MemoryPerBufferedTrace(benchmark::State& state) {
  const int spans_per_trace = static_cast<int>(state.range(0));
  constexpr int kTraces = 20'000;
  double estimate = 0, heap = 0, rss = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const uint64_t rss_before = ProcessResidentBytes();
    std::vector<model::SpanBatch> batches;
    for (int i = 0; i < kTraces / 10; ++i) batches.push_back(MakeBatch(1 + i * 10, 10, spans_per_trace));
    const size_t heap_before = HeapInUseBytes();
    TailSamplerOptions o;
    o.clock_ns = [] { return uint64_t{0}; };
    TailSampler sampler(o, TypicalPolicies(), [](const model::SpanBatch&) { return Status::Ok(); });
    state.ResumeTiming();
    for (auto& b : batches) sampler.Offer(b);
    state.PauseTiming();
    const size_t heap_after = HeapInUseBytes();
    batches.clear();
    batches.shrink_to_fit();
    const uint64_t rss_after = ProcessResidentBytes();
    auto st = sampler.stats();
    estimate = static_cast<double>(st.buffered_bytes) / static_cast<double>(st.buffered_traces);
    heap = heap_after > heap_before ? static_cast<double>(heap_after - heap_before) / kTraces : 0;
    rss = rss_after > rss_before ? static_cast<double>(rss_after - rss_before) / kTraces : 0;
    state.ResumeTiming();
  }
  state.counters["est_bytes_per_trace"] = estimate;
  state.counters["heap_bytes_per_trace"] = heap;
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
