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
#include "server/query_response_cache.h"
#include "storage/span_store.h"
#include "traceql/tempo_api.h"

namespace tracery::server {

struct QueryHandlers {
  std::unique_ptr<query::JaegerApi> jaeger;
  std::unique_ptr<query::JaegerV3Api> jaeger_v3;
  std::unique_ptr<query::ZipkinApi> zipkin;
  std::unique_ptr<traceql::TempoApiHandler> tempo;
  std::unique_ptr<analysis::AnalysisApi> analysis;
  // In front of the handlers of each port (options.response_cache_*).
  std::unique_ptr<QueryResponseCache> query_port_cache;
  std::unique_ptr<QueryResponseCache> tempo_port_cache;

  // `store` and `span_metrics` are not owned and must outlive the handlers;
  // `span_metrics` may be null (the metrics routes then answer 503).
  static QueryHandlers Build(storage::SpanStore* store, analysis::SpanMetricsAggregator* span_metrics,
                             const query::QueryApiOptions& options, std::function<uint64_t()> clock_ns);

  // The handlers of the query port: its response cache, in front of (in
  // the order a request is offered to them) Tempo (it takes trace-by-id
  // only when protobuf is asked for), Jaeger v3, Jaeger and analysis.
  std::vector<HttpHandler*> QueryPort() const;
  // Tempo's own port: its cache in front of TraceQL search, then Jaeger for
  // JSON trace-by-id.
  std::vector<HttpHandler*> TempoPort() const;

  // True for the requests of these APIs that are cheap and bounded (a trace
  // by id, service and operation lists, anything outside /api such as the
  // UI's files); false for searches, dependencies, tag scans and analysis.
  // The query port runs the two kinds on separate worker pools.
  static bool IsLightRequest(const HttpRequest& req);
};

}  // namespace tracery::server
