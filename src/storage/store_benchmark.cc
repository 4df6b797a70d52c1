// Benchmarks of the embedded trace store (figures for docs/benchmarks.md).
//
//   build/bench/tracery_store_bench                       # everything
//   build/bench/tracery_store_bench --benchmark_filter=Write
//   TRACERY_BENCH_SPANS=3000000 build/bench/tracery_store_bench --benchmark_filter='Get|Find'
//
// Data: SpanGenerator (HTTP/gRPC/DB spans of a Kubernetes microservice shop,
// 5-50 spans per trace, heavy-tailed durations). Bytes on disk are compared
// with the OTLP protobuf encoding (ExportTraceServiceRequest, one
// ResourceSpans per resource per 500-span batch, as an SDK exporter sends).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "storage/embedded_store.h"
#include "storage/memtable.h"
#include "storage/span_codec.h"
#include "storage/testing/span_generator.h"

namespace tracery::storage {
namespace {

namespace otlp = opentelemetry::proto;

void ToOtlp(const model::AnyValue& v, otlp::common::v1::AnyValue* out);
void ToOtlp(const model::Attributes& attrs,
            google::protobuf::RepeatedPtrField<otlp::common::v1::KeyValue>* out) {
  for (const auto& kv : attrs) {
    auto* o = out->Add();
    o->set_key(kv.key);
    ToOtlp(kv.value, o->mutable_value());
  }
}
void ToOtlp(const model::AnyValue& v, otlp::common::v1::AnyValue* out) {
  using T = model::AnyValue::Type;
  switch (v.type) {
    case T::kString: out->set_string_value(v.str); break;
    case T::kBytes: out->set_bytes_value(v.str); break;
    case T::kBool: out->set_bool_value(v.bool_value); break;
    case T::kInt: out->set_int_value(v.int_value); break;
    case T::kDouble: out->set_double_value(v.double_value); break;
    case T::kArray:
      for (const auto& e : v.array) ToOtlp(e, out->mutable_array_value()->add_values());
      break;
    case T::kMap: ToOtlp(v.map, out->mutable_kvlist_value()->mutable_values()); break;
    case T::kEmpty: break;
  }
}

// OTLP protobuf bytes of `batch`, grouped by resource then scope.
size_t OtlpBytes(const model::SpanBatch& batch) {
  otlp::collector::trace::v1::ExportTraceServiceRequest req;
  std::map<std::pair<uint32_t, uint32_t>, otlp::trace::v1::ScopeSpans*> groups;
  std::map<uint32_t, otlp::trace::v1::ResourceSpans*> resources;
  for (const auto& s : batch.spans) {
    auto& rs = resources[s.resource_index];
    if (!rs) {
      rs = req.add_resource_spans();
      ToOtlp(batch.ResourceOf(s).attributes, rs->mutable_resource()->mutable_attributes());
      rs->set_schema_url(batch.ResourceOf(s).schema_url);
    }
    auto& ss = groups[{s.resource_index, s.scope_index}];
    if (!ss) {
      ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name(batch.ScopeOf(s).name);
      ss->mutable_scope()->set_version(batch.ScopeOf(s).version);
    }
    auto* o = ss->add_spans();
    o->set_trace_id(std::string(reinterpret_cast<const char*>(s.trace_id.bytes.data()), 16));
    uint8_t id[8];
    s.span_id.ToBytes(id);
    o->set_span_id(std::string(reinterpret_cast<char*>(id), 8));
    if (!s.parent_span_id.IsZero()) {
      s.parent_span_id.ToBytes(id);
      o->set_parent_span_id(std::string(reinterpret_cast<char*>(id), 8));
    }
    o->set_trace_state(s.trace_state);
    o->set_flags(s.flags);
    o->set_name(s.name);
    o->set_kind(static_cast<otlp::trace::v1::Span::SpanKind>(s.kind));
    o->set_start_time_unix_nano(s.start_time_unix_nano);
    o->set_end_time_unix_nano(s.end_time_unix_nano);
    ToOtlp(s.attributes, o->mutable_attributes());
    for (const auto& e : s.events) {
      auto* oe = o->add_events();
      oe->set_time_unix_nano(e.time_unix_nano);
      oe->set_name(e.name);
      ToOtlp(e.attributes, oe->mutable_attributes());
    }
    if (s.status_code != model::StatusCode::kUnset) {
      o->mutable_status()->set_code(static_cast<otlp::trace::v1::Status::StatusCode>(s.status_code));
      o->mutable_status()->set_message(s.status_message);
    }
  }
  return req.ByteSizeLong();
}

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string BenchDir(const std::string& name) {
  const char* base = std::getenv("TRACERY_BENCH_DIR");
  std::string dir = std::string(base ? base : "/tmp") + "/tracery_store_bench_" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

std::vector<model::SpanBatch> MakeBatches(size_t spans, size_t per_batch, uint64_t seed) {
  testing::SpanGeneratorOptions go;
  go.seed = seed;
  testing::SpanGenerator gen(go);
  std::vector<model::SpanBatch> out;
  for (size_t n = 0; n < spans;) {
    out.push_back(gen.NextBatch(per_batch));
    n += out.back().spans.size();
  }
  return out;
}

// Write throughput with durable group commit; then flush everything and
// report bytes on disk per span against OTLP protobuf.
void BM_Write(benchmark::State& state) {
  const bool fsync = state.range(0) != 0;
  const size_t total_spans = 400'000;
  auto batches = MakeBatches(total_spans, 500, 7);
  size_t otlp_bytes = 0, spans = 0;
  for (const auto& b : batches) {
    otlp_bytes += OtlpBytes(b);
    spans += b.spans.size();
  }
  for (auto _ : state) {
    state.PauseTiming();
    EmbeddedStoreOptions o;
    o.data_dir = BenchDir("write");
    o.wal_sync = fsync ? WalSyncPolicy::kGroupCommit : WalSyncPolicy::kNone;
    o.compaction = false;
    auto store = EmbeddedStore::Open(o).value();
    double cpu0 = ProcessCpuSeconds();
    state.ResumeTiming();
    for (const auto& b : batches) {
      Status st = store->Write(b);
      if (!st.ok()) state.SkipWithError(st.ToString().c_str());
    }
    Status st = store->Flush();
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
    state.PauseTiming();
    double cpu = ProcessCpuSeconds() - cpu0;
    StoreStats stats = store->Stats();
    state.counters["cpu_us_per_span"] = cpu * 1e6 / static_cast<double>(spans);
    state.counters["disk_bytes_per_span"] = static_cast<double>(stats.bytes_on_disk) / static_cast<double>(spans);
    state.counters["otlp_bytes_per_span"] = static_cast<double>(otlp_bytes) / static_cast<double>(spans);
    state.counters["ratio_vs_otlp"] = static_cast<double>(otlp_bytes) / static_cast<double>(stats.bytes_on_disk);
    store.reset();
    std::filesystem::remove_all(o.data_dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * spans));
}
BENCHMARK(BM_Write)->Arg(1)->Arg(0)->ArgName("fsync")->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// Concurrent writers (as the collector's receiver threads), group commit.
void BM_WriteConcurrent(benchmark::State& state) {
  static std::unique_ptr<EmbeddedStore> store;
  static std::vector<model::SpanBatch> batches;
  if (state.thread_index() == 0) {
    EmbeddedStoreOptions o;
    o.data_dir = BenchDir("concurrent");
    o.compaction = false;
    store = EmbeddedStore::Open(o).value();
    batches = MakeBatches(100'000, 200, 11);
  }
  size_t spans = 0, i = state.thread_index();
  for (auto _ : state) {
    const auto& b = batches[i++ % batches.size()];
    Status st = store->Write(b);
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
    spans += b.spans.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(spans));
  if (state.thread_index() == 0) {
    store.reset();
    batches.clear();
  }
}
BENCHMARK(BM_WriteConcurrent)->Threads(4)->UseRealTime()->MinTime(2.0);

// A read store with TRACERY_BENCH_SPANS spans (default 2,000,000), built once.
struct ReadStore {
  std::unique_ptr<EmbeddedStore> store;
  std::vector<model::TraceId> ids;
  uint64_t t_min = 0, t_max = 0;
};
ReadStore& GetReadStore() {
  static ReadStore rs = [] {
    ReadStore r;
    const char* env = std::getenv("TRACERY_BENCH_SPANS");
    size_t total = env ? std::strtoull(env, nullptr, 10) : 2'000'000;
    EmbeddedStoreOptions o;
    o.data_dir = BenchDir("read");
    o.wal_sync = WalSyncPolicy::kNone;
    o.retention_period_ns = 0;  // the generator's spans are from 2023: retention would drop them mid-run
    r.store = EmbeddedStore::Open(o).value();
    testing::SpanGenerator gen;
    r.t_min = gen.now_ns();
    std::mt19937_64 pick(3);
    for (size_t n = 0; n < total;) {
      model::SpanBatch b = gen.NextBatch(1000);
      n += b.spans.size();
      if (pick() % 20 == 0) r.ids.push_back(b.spans[pick() % b.spans.size()].trace_id);
      (void)r.store->Write(b);
    }
    (void)r.store->Flush();
    r.t_max = gen.now_ns();
    return r;
  }();
  return rs;
}

void BM_GetTrace(benchmark::State& state) {
  ReadStore& rs = GetReadStore();
  size_t i = 0, spans = 0;
  for (auto _ : state) {
    auto r = rs.store->GetTrace(rs.ids[i++ % rs.ids.size()], 100000);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    spans += r->spans.size();
  }
  StoreStats s = rs.store->Stats();
  state.counters["store_spans"] = static_cast<double>(s.spans_stored);
  state.counters["segments"] = static_cast<double>(s.segments);
  state.counters["disk_bytes_per_span"] = static_cast<double>(s.bytes_on_disk) / static_cast<double>(s.spans_stored);
}
BENCHMARK(BM_GetTrace)->Unit(benchmark::kMicrosecond);

void BM_FindTraces(benchmark::State& state) {
  ReadStore& rs = GetReadStore();
  TraceQuery q;
  uint64_t span = rs.t_max - rs.t_min;
  q.limit = 20;
  switch (state.range(0)) {
    case 0:  // last 10% of the time range, most recent
      q.start_time_min_ns = rs.t_max - span / 10;
      break;
    case 1: {  // service + tag, 10% of range
      q.start_time_min_ns = rs.t_max - span / 10;
      SpanCondition c;
      c.service = "payment";
      c.tags = {{"rpc.method", "Charge"}};
      q.span_conditions = {c};
      break;
    }
    case 2: {  // errors with a slow DB call, longest first, whole range
      SpanCondition err;
      err.error_only = true;
      SpanCondition db;
      db.tags = {{"db.system", "postgresql"}};
      db.min_duration_ns = 5'000'000;
      q.span_conditions = {err, db};
      q.order = TraceOrder::kLongestFirst;
      break;
    }
    // The Jaeger UI's searches for the busiest service, whole range (as
    // /tmp probes and bench/ingest_query_bench issue them).
    case 3: {  // service=frontend
      SpanCondition c;
      c.service = "frontend";
      q.span_conditions = {c};
      break;
    }
    case 4: {  // service=frontend&tags={"error":"true"}
      SpanCondition c;
      c.service = "frontend";
      c.tags = {{"error", "true"}};
      q.span_conditions = {c};
      break;
    }
    case 5: {  // service=frontend&minDuration=50ms&orderBy=longest
      SpanCondition c;
      c.service = "frontend";
      c.min_duration_ns = 50'000'000;
      q.span_conditions = {c};
      q.order = TraceOrder::kLongestFirst;
      break;
    }
  }
  q.start_time_max_ns = rs.t_max;
  const bool exhaustive = state.range(1) != 0;
  size_t found = 0;
  for (auto _ : state) {
    auto r = exhaustive ? rs.store->FindTracesExhaustive(q) : rs.store->FindTraces(q);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    found = r->traces.size();
  }
  state.counters["found"] = static_cast<double>(found);
}
// exhaustive=1: the reference implementation, for comparison in one run.
BENCHMARK(BM_FindTraces)
    ->ArgsProduct({{0, 1, 2, 3, 4, 5}, {0, 1}})
    ->ArgNames({"query", "exhaustive"})
    ->Unit(benchmark::kMillisecond);

// FindTraces over spans still in the memtable (not yet in segments): the
// memtable keeps spans encoded, so a search decodes the traces it cannot
// rule out from their summaries. TRACERY_BENCH_MEM_SPANS (default 300,000)
// spans, about what a 64 MiB memtable holds.
void BM_FindTracesMemtable(benchmark::State& state) {
  static std::unique_ptr<EmbeddedStore> store;
  static uint64_t t_min = 0, t_max = 0;
  if (!store) {
    const char* env = std::getenv("TRACERY_BENCH_MEM_SPANS");
    size_t total = env ? std::strtoull(env, nullptr, 10) : 300'000;
    EmbeddedStoreOptions o;
    o.data_dir = BenchDir("memsearch");
    o.wal_sync = WalSyncPolicy::kNone;
    o.retention_period_ns = 0;
    o.memtable_max_bytes = size_t{1} << 34;
    o.memtable_flush_interval_ms = 3'600'000;
    store = EmbeddedStore::Open(o).value();
    testing::SpanGenerator gen;
    t_min = gen.now_ns();
    for (size_t n = 0; n < total;) {
      model::SpanBatch b = gen.NextBatch(1000);
      n += b.spans.size();
      (void)store->Write(b);
    }
    t_max = gen.now_ns();
  }
  TraceQuery q;
  q.limit = 20;
  q.start_time_min_ns = t_min;
  q.start_time_max_ns = t_max;
  SpanCondition c;
  switch (state.range(0)) {
    case 0:  // service + tag
      c.service = "payment";
      c.tags = {{"rpc.method", "Charge"}};
      break;
    case 1:  // tag only: every trace is decoded
      c.tags = {{"db.system", "postgresql"}};
      break;
  }
  q.span_conditions = {c};
  const bool exhaustive = state.range(1) != 0;
  size_t found = 0;
  for (auto _ : state) {
    auto r = exhaustive ? store->FindTracesExhaustive(q) : store->FindTraces(q);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    found = r->traces.size();
  }
  state.counters["found"] = static_cast<double>(found);
  StoreStats st = store->Stats();
  state.counters["memtable_spans"] = static_cast<double>(st.memtable_spans);
  // Nothing is in segments yet: these are WAL bytes, ~ the memtable's encoded bytes.
  state.counters["wal_bytes_per_span"] = static_cast<double>(st.bytes_on_disk) / static_cast<double>(st.memtable_spans);
}
BENCHMARK(BM_FindTracesMemtable)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->ArgNames({"query", "exhaustive"})
    ->Unit(benchmark::kMillisecond);

// Memtable::AddEncoded as the WAL group-commit leader calls it (span bytes
// copied from the WAL record): the memtable's share of the ingest hot path,
// and the time a writer holds the memtable's lock per batch.
//   wal_encode:0  AddEncoded alone over 200,000 pre-encoded spans; the
//                 batches are cold in cache (worst case for anything Add
//                 reads from the batch beyond what the old code read).
//   wal_encode:1  EncodeSpanBatch (the WAL record, as Write does) then
//                 AddEncoded, so the batch is warm as it is on ingest; the
//                 difference between versions is the memtable's.
void BM_MemtableAdd(benchmark::State& state) {
  struct Record {
    std::string bytes;
    std::vector<EncodedSpanRange> ranges;
  };
  static std::vector<model::SpanBatch> batches;
  static std::vector<Record> records;
  static size_t spans = 0;
  if (batches.empty()) {
    batches = MakeBatches(200'000, 500, 11);
    for (const auto& b : batches) {
      records.emplace_back();
      EncodeSpanBatch(b, &records.back().bytes, &records.back().ranges);
      spans += b.spans.size();
    }
  }
  const bool encode = state.range(0) != 0;
  Record scratch;
  for (auto _ : state) {
    auto mem = std::make_unique<Memtable>(10'000, 0);
    for (size_t i = 0; i < batches.size(); ++i) {
      if (encode) {
        scratch.bytes.clear();
        scratch.ranges.clear();
        EncodeSpanBatch(batches[i], &scratch.bytes, &scratch.ranges);
        mem->AddEncoded(batches[i], scratch.bytes, scratch.ranges);
      } else {
        mem->AddEncoded(batches[i], records[i].bytes, records[i].ranges);
      }
    }
    benchmark::DoNotOptimize(mem->SpanCount());
    state.PauseTiming();  // freeing the memtable is not part of Add
    mem.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * spans));
  state.counters["ns_per_span"] = benchmark::Counter(
      static_cast<double>(state.iterations() * spans), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_MemtableAdd)->Arg(0)->Arg(1)->ArgName("wal_encode")->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The catalog queries the UI issues on every page load (services, one
// service's operations, the dependency graph) over a store whose spans are
// all in its active memtable: TRACERY_BENCH_MEM_SPANS (default 300,000).
void BM_CatalogQueryMemtable(benchmark::State& state) {
  static std::unique_ptr<EmbeddedStore> store;
  if (!store) {
    const char* env = std::getenv("TRACERY_BENCH_MEM_SPANS");
    size_t total = env ? std::strtoull(env, nullptr, 10) : 300'000;
    EmbeddedStoreOptions o;
    o.data_dir = BenchDir("catalog");
    o.wal_sync = WalSyncPolicy::kNone;
    o.memtable_max_bytes = size_t{1} << 34;
    o.memtable_flush_interval_ms = 3'600'000;
    store = EmbeddedStore::Open(o).value();
    testing::SpanGenerator gen;
    for (size_t n = 0; n < total;) {
      model::SpanBatch b = gen.NextBatch(1000);
      n += b.spans.size();
      (void)store->Write(b);
    }
  }
  size_t items = 0;
  for (auto _ : state) {
    switch (state.range(0)) {
      case 0: items = store->GetServices()->size(); break;
      case 1: items = store->GetOperations("frontend", std::nullopt)->size(); break;
      case 2: items = store->GetDependencies(0, UINT64_MAX)->size(); break;
    }
  }
  state.counters["items"] = static_cast<double>(items);
  state.counters["memtable_spans"] = static_cast<double>(store->Stats().memtable_spans);
}
BENCHMARK(BM_CatalogQueryMemtable)->Arg(0)->Arg(1)->Arg(2)->ArgName("services_ops_deps")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tracery::storage

BENCHMARK_MAIN();
