// AnalysisApi: the /api/analysis/* HTTP routes (JSON; contract in
// docs/analysis-api.md): latency, red, errors, service-map (from the
// SpanMetricsAggregator's minute buckets), and critical-path, bottlenecks,
// flamegraph, heatmap, compare/traces, compare/groups (from traces read
// through the SpanStore).
//
// Bounds: a search-based route reads at most `max_traces` traces (default
// 2,000; `default_traces` when the request has no limit) and stops at
// `time_budget_ms`, answering with what it has and "truncated": true.
//
// Thread-safety: Handle may be called concurrently; the aggregator and the
// store must be thread-safe (they are) and outlive the handler.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "analysis/span_metrics.h"
#include "common/http_types.h"
#include "storage/span_store.h"

namespace tracery::analysis {

// Jaeger search parameters -> TraceQuery. In production this is
// query::ParseTraceQuery; a seam so this module does not link tracery_query.
using SearchParser = std::function<Result<storage::TraceQuery>(const HttpRequest&, uint64_t now_ns)>;

struct AnalysisApiOptions {
  SpanMetricsAggregator* metrics = nullptr;  // not owned; null: metrics routes answer 503
  storage::SpanStore* store = nullptr;       // not owned; null: trace routes answer 503
  SearchParser parse_search;                 // required for search-based routes
  std::function<uint64_t()> clock_ns;        // default: system clock
  size_t max_traces = 2000;
  size_t default_traces = 500;
  uint64_t time_budget_ms = 10'000;
  size_t max_spans_per_trace = 50'000;
};

class AnalysisApi : public HttpHandler {
 public:
  explicit AnalysisApi(AnalysisApiOptions options);
  // nullopt for paths outside /api/analysis/.
  std::optional<HttpResponse> Handle(const HttpRequest& req) override;

 private:
  AnalysisApiOptions options_;
};

}  // namespace tracery::analysis
