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
  return h;
}

std::vector<HttpHandler*> QueryHandlers::QueryPort() const {
  return {tempo.get(), jaeger_v3.get(), jaeger.get(), analysis.get()};
}

std::vector<HttpHandler*> QueryHandlers::TempoPort() const { return {tempo.get(), jaeger.get()}; }

}  // namespace tracery::server
