// ZipkinApi: Zipkin's v2 read API (what the Zipkin UI and Zipkin clients
// read on port 9411), served from a SpanStore.
//
//   GET /api/v2/services                     ["svc", ...]
//   GET /api/v2/spans?serviceName=           ["span name", ...]
//   GET /api/v2/remoteServices?serviceName=  ["peer", ...]
//   GET /api/v2/traces?serviceName=&spanName=&remoteServiceName=
//       &annotationQuery=&minDuration=&maxDuration= (microseconds)
//       &endTs=&lookback= (milliseconds)&limit=   [[span, ...], ...]
//   GET /api/v2/trace/{traceId}              [span, ...] or 404
//   GET /api/v2/traceMany?traceIds=a,b       [[span, ...], ...] (found ones)
//   GET /api/v2/dependencies?endTs=&lookback=
//                                            [{"parent","child","callCount","errorCount"}]
//   GET /api/v2/autocompleteKeys             ["key", ...]
//   GET /api/v2/autocompleteValues?key=      ["value", ...]
//
// Names: Zipkin's own storage lowercases service and span names. Tracery
// keeps the case the application sent, returns it as stored, and matches
// serviceName and spanName case-insensitively (an exact match wins when
// several stored names differ only in case); remoteServiceName (the
// peer.service attribute) is matched exactly.
//
// Span mapping: kind in upper case (omitted for internal), timestamps and
// durations in microseconds, every attribute as a string tag, status ERROR
// as tag "error" = message (or "true"), otel.status_code, otel.scope.name
// and otel.scope.version tags, events as annotations (value = event name,
// or {"<name>":{attributes}} when it has attributes), remoteEndpoint from
// peer.service, network.peer.address / net.sock.peer.addr / net.peer.ip /
// server.address (IP literals only) and network.peer.port / net.peer.port /
// server.port, shared=true on the server half of a shared span id.
//
// remoteServices, autocompleteKeys and autocompleteValues come from recent
// data: SpanStore::ScanSpans over the last hour (QueryApiOptions), bounded
// in spans read and values returned. Keys are every span attribute key seen.
//
// annotationQuery supports `key=value` terms and the bare term `error`,
// joined by " and "; other bare terms are rejected (400) because the store
// cannot search for a key without a value.
//
// Traces are deduplicated and put in tree order but not clock-skew adjusted
// (the Zipkin UI corrects skew itself). Errors are text/plain messages
// with the HTTP status, as Zipkin sends them.
//
// Thread-safety: Handle may be called concurrently.
#pragma once

#include <functional>

#include "common/http_types.h"
#include "common/json_writer.h"
#include "query/query_api_options.h"
#include "query/trace_assembly.h"
#include "storage/span_store.h"

namespace tracery::query {

class ZipkinApi final : public HttpHandler {
 public:
  // `store` must outlive the handler; `now_ns` is the current Unix time in ns.
  ZipkinApi(storage::SpanStore& store, std::function<uint64_t()> now_ns, QueryApiOptions options = {});

  std::optional<HttpResponse> Handle(const HttpRequest& req) override;

 private:
  HttpResponse Services();
  HttpResponse SpanNames(const HttpRequest& req);
  HttpResponse RemoteServices(const HttpRequest& req);
  HttpResponse Traces(const HttpRequest& req);
  HttpResponse Trace(std::string_view id_hex);
  HttpResponse TraceMany(const HttpRequest& req);
  HttpResponse Dependencies(const HttpRequest& req);
  HttpResponse AutocompleteKeys();
  HttpResponse AutocompleteValues(const HttpRequest& req);

  // The stored service name matching `name` case-insensitively (exact
  // match preferred), or `name` itself when none matches.
  Result<std::string> ResolveService(const std::string& name);
  // Calls fn for every recent span (bounded by the options).
  Status ScanRecent(const std::function<void(const model::SpanBatch&, const model::Span&)>& fn);
  AssemblyOptions ZipkinAssembly() const;
  // 200 with a JSON array holding the assembled traces of `ids` (those
  // found), bounded by the search span and time budgets.
  HttpResponse TracesResponse(const std::vector<model::TraceId>& ids);

  storage::SpanStore& store_;
  std::function<uint64_t()> now_ns_;
  QueryApiOptions options_;
};

// Zipkin's rendering of an assembled trace as a JSON array of v2 spans.
void AppendZipkinTrace(const AssembledTrace& trace, JsonWriter& w);

}  // namespace tracery::query
