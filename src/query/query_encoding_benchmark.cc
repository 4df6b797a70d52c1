// Measures the query side's per-trace costs: assembling a large trace
// (dedup, tree, skew) and encoding it as Jaeger JSON, OTLP JSON and Zipkin
// JSON. Run: build/bench/query_encoding_benchmark --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include "query/jaeger_api.h"
#include "query/otlp_json_encoder.h"
#include "query/trace_assembly.h"
#include "query/zipkin_api.h"

namespace tracery::query {
namespace {

// A trace of `n` spans over 10 services: a fan-out tree (each span has up to
// 4 children), client/server pairs across services, 5 attributes and one
// event per span, and 1% duplicate copies.
model::SpanBatch MakeTrace(size_t n) {
  model::SpanBatch b;
  for (int s = 0; s < 10; ++s)
    b.resources.push_back({{{"service.name", model::AnyValue::String("service-" + std::to_string(s))},
                            {"host.name", model::AnyValue::String("host-" + std::to_string(s))}}});
  b.scopes.push_back({"bench", "1.0"});
  const uint64_t base = 1'700'000'000'000'000'000ULL;
  for (size_t i = 0; i < n; ++i) {
    model::Span s;
    s.trace_id = model::TraceId::FromHighLow(1, 2);
    s.span_id.value = i + 1;
    s.parent_span_id.value = i == 0 ? 0 : (i - 1) / 4 + 1;
    s.name = "operation-" + std::to_string(i % 50);
    s.kind = i % 2 ? model::SpanKind::kServer : model::SpanKind::kClient;
    s.start_time_unix_nano = base + i * 1000;
    s.end_time_unix_nano = base + i * 1000 + 500'000;
    s.resource_index = static_cast<uint32_t>(i % 10);
    s.attributes = {{"http.method", model::AnyValue::String("GET")},
                    {"http.status_code", model::AnyValue::Int(200)},
                    {"http.url", model::AnyValue::String("https://example.com/api/v1/items/" + std::to_string(i))},
                    {"retry", model::AnyValue::Bool(false)},
                    {"ratio", model::AnyValue::Double(0.5)}};
    s.events.push_back({s.start_time_unix_nano + 10, "cache.miss", {{"key", model::AnyValue::String("k")}}});
    b.spans.push_back(s);
    if (i % 100 == 0) b.spans.push_back(s);
  }
  return b;
}

void BM_AssembleTrace(benchmark::State& state) {
  const model::SpanBatch raw = MakeTrace(static_cast<size_t>(state.range(0)));
  AssemblyOptions o;
  o.max_spans_per_trace = raw.spans.size();
  for (auto _ : state) {
    auto t = AssembleTrace(raw, o);  // includes copying the input, as a store read would
    benchmark::DoNotOptimize(t.spans.data());
  }
  state.SetItemsProcessed(state.iterations() * raw.spans.size());
}
BENCHMARK(BM_AssembleTrace)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

template <typename Encode>
void EncodeBench(benchmark::State& state, Encode encode) {
  AssemblyOptions o;
  o.max_spans_per_trace = 1'000'000;
  const AssembledTrace t = AssembleTrace(MakeTrace(static_cast<size_t>(state.range(0))), o);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out;
    encode(t, out);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * t.spans.size());
  state.SetBytesProcessed(state.iterations() * bytes);
}

void BM_EncodeJaeger(benchmark::State& state) {
  EncodeBench(state, [](const AssembledTrace& t, std::string& out) {
    JsonWriter w(&out);
    AppendJaegerTrace(t, w);
  });
}
void BM_EncodeOtlpJson(benchmark::State& state) {
  EncodeBench(state, [](const AssembledTrace& t, std::string& out) { out = EncodeOtlpJson(t.batch); });
}
void BM_EncodeZipkin(benchmark::State& state) {
  EncodeBench(state, [](const AssembledTrace& t, std::string& out) {
    JsonWriter w(&out);
    AppendZipkinTrace(t, w);
  });
}
BENCHMARK(BM_EncodeJaeger)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeOtlpJson)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeZipkin)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tracery::query

BENCHMARK_MAIN();
