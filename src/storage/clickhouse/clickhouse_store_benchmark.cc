// Measures ClickHouseStore on a private clickhouse-server (or the one in
// TRACERY_CLICKHOUSE_URL) with synthetic traces from TraceSynthesizer:
//   BM_Ingest         spans/s through Write() (batches of ~1,000 spans,
//                     as a collector sends them), and bytes per span on disk
//                     (system.parts, after the benchmark's inserts merged)
//   BM_GetTrace       latency of one GetTrace of a random stored trace
//   BM_FindTraces*    latency of a service search, most recent and top-K
//
//   build/bench/tracery_clickhouse_bench --benchmark_min_time=2s
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "loadgen/trace_synthesizer.h"
#include "storage/clickhouse/clickhouse_store.h"
#include "storage/clickhouse/clickhouse_test_server.h"

namespace tracery::storage {
namespace {

struct Fixture {
  std::unique_ptr<clickhouse::ClickHouseTestServer> server;
  std::unique_ptr<ClickHouseStore> store;
  std::vector<model::TraceId> ids;
  std::vector<std::string> services;
  uint64_t base_ns = 0;
  uint64_t next_start_ns = 0;
  uint64_t spans = 0;
};

Fixture& F() {
  static Fixture* f = [] {
    auto* f = new Fixture;
    auto server = clickhouse::ClickHouseTestServer::Start();
    if (!server.ok()) {
      std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
      std::exit(1);
    }
    f->server = std::move(server).value();
    ClickHouseStoreOptions o;
    o.url = f->server->url();
    o.database = "tracery_bench";
    o.min_insert_interval_ms = 0;
    o.retention_days = 0;
    auto store = ClickHouseStore::Open(o);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      std::exit(1);
    }
    f->store = std::move(store).value();
    f->base_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count()) -
                 3'600'000'000'000ULL;
    f->next_start_ns = f->base_ns;
    return f;
  }();
  return *f;
}

void BM_Ingest(benchmark::State& state) {
  Fixture& f = F();
  loadgen::TraceSynthesizer synth({.seed = 42});
  f.services = synth.service_names();
  // Every iteration writes new traces (synthesised outside the timing):
  // repeating a few batches would flatter compression.
  uint64_t spans = 0;
  model::SpanBatch batch;
  for (auto _ : state) {
    state.PauseTiming();
    batch = model::SpanBatch{};
    while (batch.spans.size() < 1000) {
      f.ids.push_back(synth.AppendTrace(f.next_start_ns, &batch));
      f.next_start_ns += 1'000'000;  // a trace per millisecond
    }
    state.ResumeTiming();
    Status st = f.store->Write(batch);
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
    spans += batch.spans.size();
  }
  f.spans += spans;
  state.counters["spans/s"] = benchmark::Counter(static_cast<double>(spans), benchmark::Counter::kIsRate);
  // Merge parts so bytes on disk reflect the steady state, not a pile of
  // small fresh parts.
  (void)f.store->Flush();
  clickhouse::HttpClientOptions http;
  http.port = static_cast<uint16_t>(std::stoi(f.server->url().substr(f.server->url().rfind(':') + 1)));
  http.request_timeout_ms = 300'000;
  clickhouse::ClickHouseHttpClient client(http);
  for (const char* t : {"spans", "trace_index", "operations"})
    (void)client.Query(std::string("OPTIMIZE TABLE tracery_bench.") + t + " FINAL");
  auto cols = client.Query(
      "SELECT table, name, sum(data_compressed_bytes), sum(data_uncompressed_bytes) FROM system.columns"
      " WHERE database = 'tracery_bench' GROUP BY table, name ORDER BY table, name FORMAT TSV");
  if (cols.ok())
    std::fprintf(stderr, "table\tcolumn\tcompressed_bytes\tuncompressed_bytes\n%s", cols->c_str());
  StoreStats s = f.store->Stats();
  if (s.spans_stored > 0) {
    state.counters["bytes/span"] = static_cast<double>(s.bytes_on_disk) / static_cast<double>(s.spans_stored);
    state.counters["stored_spans"] = static_cast<double>(s.spans_stored);
  }
}
BENCHMARK(BM_Ingest)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GetTrace(benchmark::State& state) {
  Fixture& f = F();
  if (f.ids.empty()) {
    state.SkipWithError("run BM_Ingest first");
    return;
  }
  std::mt19937_64 rng(7);
  for (auto _ : state) {
    auto r = f.store->GetTrace(f.ids[rng() % f.ids.size()], 10'000);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_GetTrace)->Unit(benchmark::kMillisecond)->UseRealTime();

void FindBench(benchmark::State& state, TraceOrder order) {
  Fixture& f = F();
  if (f.services.empty()) {
    state.SkipWithError("run BM_Ingest first");
    return;
  }
  std::mt19937_64 rng(9);
  for (auto _ : state) {
    TraceQuery q;
    q.start_time_min_ns = f.base_ns;
    q.start_time_max_ns = f.next_start_ns;
    q.span_conditions = {SpanCondition{.service = f.services[rng() % f.services.size()]}};
    q.order = order;
    q.limit = 20;
    auto r = f.store->FindTraces(q);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    benchmark::DoNotOptimize(r);
  }
}
void BM_FindTracesMostRecent(benchmark::State& state) {
  FindBench(state, TraceOrder::kMostRecent);
}
void BM_FindTracesLongest(benchmark::State& state) {
  FindBench(state, TraceOrder::kLongestFirst);
}
BENCHMARK(BM_FindTracesMostRecent)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FindTracesLongest)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tracery::storage

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  tracery::storage::F().store.reset();
  tracery::storage::F().server.reset();  // stops the private server
  return 0;
}
