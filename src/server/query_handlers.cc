#include "server/query_handlers.h"

#include "query/search_params.h"

namespace tracery::server {

QueryHandlers QueryHandlers::Build(storage::SpanStore* store, analysis::SpanMetricsAggregator* span_metrics,
                                   const query::QueryApiOptions& options, std::function<uint64_t()> clock_ns) {
  QueryHandlers h;
  h.jaeger = std::make_unique<query::JaegerApi>(*store, clock_ns, options);
  h.jaeger_v3 = std::make_unique<query::JaegerV3Api>(*store, clock_ns, options);
  h.zipkin = std::make_unique<query::ZipkinApi>(*store, clock_ns, options);
  traceql::TempoApiOptions to;
  to.max_trace_spans = options.max_spans_per_trace;
  h.tempo = std::make_unique<traceql::TempoApiHandler>(store, to);
  analysis::AnalysisApiOptions ao;
  ao.metrics = span_metrics;
  ao.store = store;
  ao.parse_search = query::ParseTraceQuery;
  ao.clock_ns = std::move(clock_ns);
  ao.max_spans_per_trace = options.max_spans_per_trace;
  h.analysis = std::make_unique<analysis::AnalysisApi>(ao);
  QueryResponseCacheOptions co;
  co.enabled = options.response_cache_max_bytes > 0;
  co.max_staleness_ms = options.response_cache_max_staleness_ms;
  co.max_bytes = options.response_cache_max_bytes;
  co.metrics = &MetricsRegistry::Global();
  h.query_port_cache = std::make_unique<QueryResponseCache>(
      std::vector<HttpHandler*>{h.tempo.get(), h.jaeger_v3.get(), h.jaeger.get(), h.analysis.get()}, co);
  h.tempo_port_cache =
      std::make_unique<QueryResponseCache>(std::vector<HttpHandler*>{h.tempo.get(), h.jaeger.get()}, co);
  return h;
}

std::vector<HttpHandler*> QueryHandlers::QueryPort() const { return {query_port_cache.get()}; }

std::vector<HttpHandler*> QueryHandlers::TempoPort() const { return {tempo_port_cache.get()}; }

bool QueryHandlers::IsLightRequest(const HttpRequest& req) {
  std::string_view p = req.path;
  if (p != "/api" && !p.starts_with("/api/")) return true;  // the UI's files
  // A path with one segment after `prefix` (an id), e.g. /api/traces/{id}.
  auto one_segment_after = [&](std::string_view prefix) {
    if (!p.starts_with(prefix) || p.size() == prefix.size()) return false;
    return p.find('/', prefix.size()) == std::string_view::npos;
  };
  if (p == "/api/services" || p == "/api/operations" || p == "/api/v3/services" || p == "/api/v3/operations" ||
      p == "/api/echo" || p == "/api/status/buildinfo") {
    return true;
  }
  if (p.starts_with("/api/services/") && p.ends_with("/operations")) return true;
  return one_segment_after("/api/traces/") || one_segment_after("/api/v3/traces/") ||
         one_segment_after("/api/v2/traces/");
}

}  // namespace tracery::server
