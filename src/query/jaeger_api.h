// JaegerApi: the Jaeger query service's HTTP JSON API (the one the Jaeger UI
// and Grafana's Jaeger data source read), served from a SpanStore.
//
//   GET /api/services                       data: ["svc", ...]
//   GET /api/services/{service}/operations  data: ["op", ...]
//   GET /api/operations?service=&spanKind=  data: [{"name","spanKind"}]
//   GET /api/traces?...                     data: [trace, ...] (+ "nextCursor")
//   GET /api/traces/{traceID}               data: [trace] or 404
//   GET /api/dependencies?endTs=&lookback=  data: [{"parent","child","callCount"}]
//
// Every response uses Jaeger's envelope {"data","total","limit","offset",
// "errors"}; a failure has data null and errors [{"code","msg"}] with the
// same HTTP status. Search parameters are those of search_params.h;
// unlike Jaeger, `service` is optional (searches all services). Extra
// top-level fields the UI ignores: "nextCursor" (pass as cursor= for the
// next page) and "warnings" (results cut by a limit or timeout).
//
// Thread-safety: Handle may be called concurrently; the handler holds no
// mutable state besides the store reference.
#pragma once

#include <functional>

#include "common/http_types.h"
#include "common/json_writer.h"
#include "query/query_api_options.h"
#include "query/trace_assembly.h"
#include "storage/span_store.h"

namespace tracery::query {

class JaegerApi final : public HttpHandler {
 public:
  // `store` must outlive the handler. `now_ns` gives the current Unix time
  // in nanoseconds (for lookback).
  JaegerApi(storage::SpanStore& store, std::function<uint64_t()> now_ns, QueryApiOptions options = {});

  std::optional<HttpResponse> Handle(const HttpRequest& req) override;

 private:
  HttpResponse Services();
  HttpResponse ServiceOperations(const std::string& service);
  HttpResponse Operations(const HttpRequest& req);
  HttpResponse Traces(const HttpRequest& req);
  HttpResponse Trace(std::string_view id_hex);
  HttpResponse Dependencies(const HttpRequest& req);

  storage::SpanStore& store_;
  std::function<uint64_t()> now_ns_;
  QueryApiOptions options_;
};

// Jaeger's rendering of a trace id: 16 hex digits when the high half is
// zero (a 64-bit id), else 32.
std::string JaegerTraceIdHex(const model::TraceId& id);

// One trace in Jaeger's JSON model ({"traceID","spans","processes",
// "warnings"}), from an assembled trace, mapping OTLP fields as Jaeger's
// OTLP translator does (span.kind, otel.status_code, error, otel.scope.*,
// events as logs, links as FOLLOWS_FROM references, w3c.tracestate).
void AppendJaegerTrace(const AssembledTrace& trace, JsonWriter& w);

// Jaeger's error envelope with `status` as both HTTP status and error code.
HttpResponse JaegerError(int status, std::string_view message);

}  // namespace tracery::query
