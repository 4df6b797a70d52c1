// Sampling benchmarks: tail sampler cost per span, memory per buffered
// trace, policy evaluation cost. (The sampler before spans were held
// encoded was compared in the same binary up to commit f01f54c; its figures
// are in docs/sampling.md.) Run:
//   build/bench/tracery_sampling_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "sampling/held_span.h"
#include "sampling/load_shedder.h"
#include "sampling/tail_sampler.h"
#include "sampling/test_traces.h"
#include "storage/span_codec.h"

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

constexpr const char* kTypicalPolicies = R"({"policies":[
    {"name":"errors","type":"error","max_traces_per_second":100},
    {"name":"slow","type":"latency","threshold_ms":500},
    {"name":"rare","type":"rare","per_window":5,"window_s":60},
    {"name":"vip","type":"attribute","key":"user.tier","regex":"^(gold|platinum)$"},
    {"name":"base","type":"probabilistic","probability":0.1}]})";
constexpr const char* kOneProbabilisticPolicy =
    R"({"policies":[{"name":"base","type":"probabilistic","probability":0.1}]})";

// The sampler behind the few calls the benchmarks make.
struct Current {
  using Sampler = TailSampler;
  using Options = TailSamplerOptions;
  static std::unique_ptr<TailPolicySet> Policies(const char* json) {
    return std::move(TailPolicySet::Create(std::move(*ParseTailPolicies(json)))).value();
  }
  // The pipeline frees the batch after Offer either way.
  static void Offer(Sampler& s, model::SpanBatch& b) { s.Offer(b); }
};

// Offer + decision + hand-off of kept traces, per span. Traces complete in
// one batch; the clock advances 1 ms per batch; Tick every 100 batches.
// range(1) = 1: the five typical policies; 0: one probabilistic policy (the
// sampler's own cost without policy evaluation).
// range(2) = 0: the offered batch is freed outside the timed region, as the
// pipeline frees it whether or not tail sampling is on (the sampler's
// marginal cost); 1: freeing the batch is timed too (how the sampler that
// took the spans over was measured: compare its figures with free_batch:1).
// range(3): batches built ahead, outside the timed region. 256 (~13 MB of
// spans) means every offered batch is cold in the CPU caches, the harsher
// and original setting; 4 keeps it in cache, like the pipeline, where the
// receiver has just decoded the batch and the observers have just read it
// (the rebuild every 4 batches adds pause/resume overhead to this variant).
template <typename Impl>
void TailSamplerPerSpan(benchmark::State& state) {
  const int traces_per_batch = 10, spans_per_trace = static_cast<int>(state.range(0));
  uint64_t now = 0;
  typename Impl::Options o;
  o.clock_ns = [&] { return now; };
  o.completion_grace_ns = 10 * kMs;
  size_t written = 0;
  typename Impl::Sampler sampler(o, Impl::Policies(state.range(1) ? kTypicalPolicies : kOneProbabilisticPolicy),
                                 [&](const model::SpanBatch& b) {
                                   written += b.size();
                                   return Status::Ok();
                                 });
  const int pool_size = static_cast<int>(state.range(3));
  std::vector<model::SpanBatch> pool;
  uint64_t next_trace = 1;
  int used = pool_size;
  uint64_t offered = 0;
  for (auto _ : state) {
    if (used == pool_size) {
      state.PauseTiming();
      pool.clear();
      for (int i = 0; i < pool_size; ++i) {
        pool.push_back(MakeBatch(next_trace, traces_per_batch, spans_per_trace));
        next_trace += traces_per_batch;
      }
      used = 0;
      state.ResumeTiming();
    }
    if (state.range(2)) {
      model::SpanBatch b = std::move(pool[used++]);
      Impl::Offer(sampler, b);
    } else {
      Impl::Offer(sampler, pool[used++]);
    }
    now += kMs;
    if (++offered % 100 == 0) sampler.Tick();
  }
  state.SetItemsProcessed(state.iterations() * traces_per_batch * spans_per_trace);
  state.counters["kept_spans"] = static_cast<double>(written);
}
void BM_TailSamplerPerSpan(benchmark::State& state) { TailSamplerPerSpan<Current>(state); }
BENCHMARK(BM_TailSamplerPerSpan)
    ->ArgNames({"spans_per_trace", "policies5", "free_batch", "pool"})
    ->Args({5, 0, 0, 256})
    ->Args({5, 1, 0, 256})
    ->Args({20, 0, 0, 256})
    ->Args({20, 1, 0, 256})
    ->Args({5, 0, 1, 256})
    ->Args({5, 1, 1, 256})
    ->Args({20, 1, 1, 256})
    ->Args({5, 0, 0, 4})
    ->Args({5, 1, 0, 4});

// Freeing a decoded batch's model objects, per span, for the batches above:
// what any consumer of a decoded batch pays, with or without tail sampling
// (the difference between free_batch:0 and free_batch:1 above).
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
// sampler's own estimate (what max_buffered_bytes bounds), and the heap it
// really holds: heap in use (mallinfo2, whatever malloc keeps cached) with
// the sampler, minus after destroying it. The sampler copies what it holds;
// the offered batches stay with the caller.
template <typename Impl>
void MemoryPerBufferedTrace(benchmark::State& state) {
  const int spans_per_trace = static_cast<int>(state.range(0));
  constexpr int kTraces = 20'000;
  double estimate = 0, heap = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<model::SpanBatch> batches;
    for (int i = 0; i < kTraces / 10; ++i) batches.push_back(MakeBatch(1 + i * 10, 10, spans_per_trace));
    typename Impl::Options o;
    o.clock_ns = [] { return uint64_t{0}; };
    auto sampler = std::make_unique<typename Impl::Sampler>(o, Impl::Policies(kTypicalPolicies),
                                                            [](const model::SpanBatch&) { return Status::Ok(); });
    state.ResumeTiming();
    for (auto& b : batches) Impl::Offer(*sampler, b);
    state.PauseTiming();
    const size_t heap_with = HeapInUseBytes();
    auto st = sampler->stats();
    sampler.reset();
    const size_t heap_without = HeapInUseBytes();
    estimate = static_cast<double>(st.buffered_bytes) / static_cast<double>(st.buffered_traces);
    heap = static_cast<double>(heap_with - heap_without) / kTraces;
    state.ResumeTiming();
  }
  state.counters["est_bytes_per_trace"] = estimate;
  state.counters["heap_bytes_per_trace"] = heap;
}
void BM_MemoryPerBufferedTrace(benchmark::State& state) { MemoryPerBufferedTrace<Current>(state); }
BENCHMARK(BM_MemoryPerBufferedTrace)->Arg(5)->Arg(20)->Iterations(1);

// Appending one span (6 attributes) to a per-trace buffer: range(0) = 0 in
// span_codec's encoding (storage::EncodeSpan, the WAL's), 1 in the
// held-span layout the tail sampler uses. Buffers are reused, as the
// sampler's grow once per trace.
void BM_HoldSpan(benchmark::State& state) {
  const model::SpanBatch batch = MakeBatch(1, 64, 4);
  std::string codec;
  HeldBytes held;
  HeldSpanWriter writer;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const model::Span& span = batch.spans[i++ % batch.spans.size()];
    if (state.range(0) == 0) {
      if (codec.size() > (1 << 16)) codec.clear();
      storage::EncodeSpan(span, 0, 0, &codec);
      bytes = codec.size();
    } else {
      if (held.size() > (1 << 16)) held.Clear();
      writer.Append(span, &held);
      bytes = held.size();
    }
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HoldSpan)->ArgName("held_layout")->Arg(0)->Arg(1);

// One Decide over a whole trace with five policies (the last matching):
// TraceSummary-based for the current sampler (summarising included).
template <typename Impl>
void PolicyEvaluation(benchmark::State& state) {
  auto policies = Impl::Policies(kTypicalPolicies);
  model::SpanBatch trace = MakeBatch(1, 1, static_cast<int>(state.range(0)));
  uint64_t now = 0;
  for (auto _ : state) {
    for (auto& s : trace.spans) s.trace_id.bytes[15]++;  // a new trace id each time
    benchmark::DoNotOptimize(policies->Decide(trace, now));
    now += 1000;
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_PolicyEvaluation(benchmark::State& state) { PolicyEvaluation<Current>(state); }
BENCHMARK(BM_PolicyEvaluation)->Arg(5)->Arg(20);

}  // namespace
}  // namespace tracery::sampling

BENCHMARK_MAIN();
