// TraceQL costs: parsing a typical query, and evaluating queries on
// 50-span traces (reported as ns per span via the items counter).
//
//   build/bench/tracery_traceql_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include "traceql/evaluator.h"
#include "traceql/parser.h"

namespace tracery::traceql {
namespace {

constexpr const char* kTypicalQuery =
    R"({ resource.service.name = "checkout" && span.http.status_code >= 500 && duration > 100ms } >> { status = error } | count() > 1)";

void BM_Parse(benchmark::State& state) {
  for (auto _ : state) {
    auto q = ParseTraceQL(kTypicalQuery);
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(BM_Parse);

// A 50-span trace: a root with 7 children each with 6 grandchildren
// (1 + 7 + 42 = 50), 5 services, a few attributes per span.
model::SpanBatch FiftySpanTrace() {
  model::SpanBatch b;
  for (int s = 0; s < 5; ++s) {
    model::Resource r;
    r.attributes.push_back({"service.name", model::AnyValue::String("svc-" + std::to_string(s))});
    r.attributes.push_back({"host.name", model::AnyValue::String("host-1")});
    b.resources.push_back(r);
  }
  b.scopes.emplace_back();
  uint64_t next_id = 1;
  auto add = [&](uint64_t parent, int i) {
    model::Span sp;
    sp.span_id.value = next_id++;
    sp.parent_span_id.value = parent;
    sp.name = "op-" + std::to_string(i % 9);
    sp.resource_index = static_cast<uint32_t>(i % 5);
    sp.kind = i % 2 ? model::SpanKind::kClient : model::SpanKind::kServer;
    sp.start_time_unix_nano = 1'000'000'000ULL + static_cast<uint64_t>(i) * 1000;
    sp.end_time_unix_nano = sp.start_time_unix_nano + static_cast<uint64_t>(i % 7) * 40'000'000ULL;
    sp.attributes.push_back({"http.method", model::AnyValue::String("GET")});
    sp.attributes.push_back({"http.status_code", model::AnyValue::Int(i % 11 == 0 ? 503 : 200)});
    sp.attributes.push_back({"http.url", model::AnyValue::String("/api/item/" + std::to_string(i))});
    if (i % 13 == 0) sp.status_code = model::StatusCode::kError;
    b.spans.push_back(sp);
    return sp.span_id.value;
  };
  int i = 0;
  uint64_t root = add(0, i++);
  for (int c = 0; c < 7; ++c) {
    uint64_t child = add(root, i++);
    for (int g = 0; g < 6; ++g) add(child, i++);
  }
  return b;
}

void RunEval(benchmark::State& state, const char* query) {
  auto q = ParseTraceQL(query);
  if (!q.ok()) {
    state.SkipWithError(q.status().message().c_str());
    return;
  }
  model::SpanBatch trace = FiftySpanTrace();
  Evaluator ev(*q);
  size_t matched = 0;
  for (auto _ : state) {
    auto sets = ev.Evaluate(trace);
    matched += sets.size();
    benchmark::DoNotOptimize(sets);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(trace.spans.size()));
  state.counters["matching_traces"] = static_cast<double>(matched) / static_cast<double>(state.iterations());
}

void BM_EvalFilter(benchmark::State& state) {
  RunEval(state, R"({ resource.service.name = "svc-3" && span.http.status_code >= 500 })");
}
BENCHMARK(BM_EvalFilter);

void BM_EvalTypicalStructural(benchmark::State& state) { RunEval(state, kTypicalQuery); }
BENCHMARK(BM_EvalTypicalStructural);

void BM_EvalRegexBy(benchmark::State& state) {
  RunEval(state, R"({ span.http.url =~ "/api/item/1.*" } | by(resource.service.name) | avg(duration) > 10ms)");
}
BENCHMARK(BM_EvalRegexBy);

}  // namespace
}  // namespace tracery::traceql

BENCHMARK_MAIN();
