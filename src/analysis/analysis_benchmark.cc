// Measures the analysis costs that sit on hot paths:
//   BM_Observe            SpanMetricsAggregator::Observe per span (ingest path)
//   BM_SketchAdd/Merge    LatencySketch insert and merge
//   BM_LatencyQuery7Days  a week of minute buckets, merged (warm cache)
// Run: build/bench/tracery_analysis_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "analysis/metrics_queries.h"
#include "analysis/span_metrics.h"
#include "analysis/testing/trace_builder.h"

namespace tracery::analysis {
namespace {

namespace fs = std::filesystem;
constexpr uint64_t kT0 = 1704067200ULL * 1'000'000'000ULL;

std::string TempDir(const char* name) {
  auto p = fs::temp_directory_path() / (std::string("tracery_bench_") + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p.string();
}

// A batch like one SDK export: one service, 20 operations, 1,000 spans,
// 1% errors, a quarter of them client calls to a peer.
model::SpanBatch MakeBatch(uint64_t base_ns, uint64_t seed) {
  testing::TraceBuilder b(seed, base_ns);
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dur(7, 1);
  model::SpanId root;
  for (int i = 0; i < 1000; ++i) {
    auto kind = i % 4 == 0 ? model::SpanKind::kClient : model::SpanKind::kServer;
    uint64_t d = 1 + uint64_t(dur(rng));
    auto id = b.Add("checkout", "op-" + std::to_string(i % 20), i, i + d, i % 10 ? root : model::SpanId{}, kind,
                    i % 100 == 7);
    if (i % 10 == 0) root = id;
    if (kind == model::SpanKind::kClient) b.last().attributes.push_back({"peer.service", model::AnyValue::String("cart")});
    if (i % 100 == 7) b.last().status_message = "order " + std::to_string(i) + " failed";
  }
  return b.batch();
}

void BM_Observe(benchmark::State& state) {
  std::string dir = TempDir("observe");
  SpanMetricsOptions o;
  o.dir = dir;
  o.clock_ns = [] { return kT0 + 30'000'000'000ULL; };
  auto agg = std::move(SpanMetricsAggregator::Open(o)).value();
  auto batch = MakeBatch(kT0, 1);
  for (auto _ : state) agg->Observe(batch);
  state.SetItemsProcessed(int64_t(state.iterations() * batch.size()));
  agg.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_Observe);

void BM_SketchAdd(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> dist(14, 1.5);
  std::vector<double> values(4096);
  for (auto& v : values) v = dist(rng);
  LatencySketch s;
  size_t i = 0;
  for (auto _ : state) s.Add(values[i++ & 4095]);
  benchmark::DoNotOptimize(s.count());
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_SketchAdd);

void BM_SketchMerge(benchmark::State& state) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> dist(14, 1.5);
  LatencySketch a, b;
  for (int i = 0; i < 1000; ++i) b.Add(dist(rng));
  for (auto _ : state) a.Merge(b);
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_SketchMerge);

void BM_LatencyQuery7Days(benchmark::State& state) {
  std::string dir = TempDir("query");
  uint64_t now = kT0;
  SpanMetricsOptions o;
  o.dir = dir;
  o.clock_ns = [&now] { return now; };
  auto agg = std::move(SpanMetricsAggregator::Open(o)).value();
  const uint64_t minutes = 7 * 24 * 60;
  for (uint64_t m = 0; m < minutes; ++m) {
    now = kT0 + m * kNanosPerMinute;
    testing::TraceBuilder b(m + 1, now);
    for (int i = 0; i < 20; ++i) b.Add("checkout", "op-" + std::to_string(i % 5), i, i + 100 + m % 1000);
    agg->Observe(b.batch());
  }
  now = kT0 + (minutes + 5) * kNanosPerMinute;
  (void)agg->FlushAll();
  for (auto _ : state) {
    auto r = QueryLatency(*agg, "checkout", std::nullopt, kT0, kT0 + minutes * kNanosPerMinute, 168 * kNanosPerMinute);
    benchmark::DoNotOptimize(r.ok());
    if (!r.ok() || r->overall.count != minutes * 20) state.SkipWithError("wrong answer");
  }
  agg.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_LatencyQuery7Days)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tracery::analysis

BENCHMARK_MAIN();
