// QueryHandlers: the read-side API handlers over one store — Jaeger,
// Jaeger v3, Zipkin read, Grafana Tempo (TraceQL) and analysis — built the
// same way by all-in-one, the query role and each tenant.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "analysis/analysis_api.h"
#include "common/http_types.h"
#include "query/jaeger_api.h"
#include "query/jaeger_v3_api.h"
#include "query/query_api_options.h"
#include "query/zipkin_api.h"
#include "storage/span_store.h"
#include "traceql/tempo_api.h"

namespace tracery::server {

struct QueryHandlers {
  std::unique_ptr<query::JaegerApi> jaeger;
  std::unique_ptr<query::JaegerV3Api> jaeger_v3;
  std::unique_ptr<query::ZipkinApi> zipkin;
  std::unique_ptr<traceql::TempoApiHandler> tempo;
  std::unique_ptr<analysis::AnalysisApi> analysis;

  // `store` and `span_metrics` are not owned and must outlive the handlers;
  // `span_metrics` may be null (the metrics routes then answer 503).
  static QueryHandlers Build(storage::SpanStore* store, analysis::SpanMetricsAggregator* span_metrics,
                             const query::QueryApiOptions& options, std::function<uint64_t()> clock_ns);

  // The handlers of the query port, in the order a request is offered to
  // them: Tempo first (it takes trace-by-id only when protobuf is asked
  // for), then Jaeger v3, Jaeger and analysis.
  std::vector<HttpHandler*> QueryPort() const;
  // Tempo's own port: TraceQL search, then Jaeger for JSON trace-by-id.
  std::vector<HttpHandler*> TempoPort() const;
};

}  // namespace tracery::server
