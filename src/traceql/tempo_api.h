// TempoApiHandler: the Grafana Tempo HTTP query API over a SpanStore, so
// Grafana's Tempo data source (and Tracery's UI) can search with TraceQL.
//
//   GET /api/echo                          "echo"
//   GET /api/status/buildinfo              {"version":"tracery-0.1.0",...}
//   GET /api/search?q=&limit=&spss=&start=&end=&minDuration=&maxDuration=&tags=
//   GET /api/search/tags                   {"tagNames":[...]}
//   GET /api/v2/search/tags[?scope=]       {"scopes":[{"name":..,"tags":[..]}]}
//   GET /api/search/tag/<tag>/values       {"tagValues":["..."]}
//   GET /api/v2/search/tag/<scoped>/values {"tagValues":[{"type":..,"value":..}]}
//   GET /api/v2/traces/<id>                {"trace":{"resourceSpans":[...]}} (OTLP JSON),
//                                          or TraceByIDResponse protobuf with
//                                          Accept: application/protobuf
//   GET /api/traces/<id>                   OTLP TracesData protobuf, only with
//                                          Accept: application/protobuf (otherwise
//                                          nullopt: the Jaeger API answers that path)
// A bad query or parameter is a 400 with the message as plain text, as
// Tempo does. Search work is bounded (TempoApiOptions). Tag names and values
// come from a bounded sample of the last hour's traces, cached 30 s.
//
// Thread-safety: Handle may be called concurrently. The store must outlive
// the handler.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/http_types.h"
#include "storage/span_store.h"

namespace tracery::traceql {

struct TempoApiOptions {
  size_t max_inspected_traces = 5000;     // candidates evaluated per search
  uint64_t search_time_budget_ms = 10'000;
  size_t max_limit = 1000;                // cap on ?limit=
  size_t default_spans_per_spanset = 3;   // ?spss= default
  size_t max_trace_spans = 100'000;       // spans returned by trace-by-id
  uint64_t tag_lookback_ns = 3600ULL * 1'000'000'000ULL;  // tag sample window
  size_t tag_sample_traces = 500;         // traces read to build the tag cache
  size_t max_tag_values = 1000;           // distinct values kept per tag
  uint64_t tag_cache_ttl_ms = 30'000;
};

class TempoApiHandler : public HttpHandler {
 public:
  explicit TempoApiHandler(storage::SpanStore* store, TempoApiOptions options = {});
  std::optional<HttpResponse> Handle(const HttpRequest& req) override;

 private:
  // value -> type ("string", "int", "float", "bool")
  using ValueSet = std::map<std::string, std::string>;
  struct TagSnapshot {
    std::map<std::string, ValueSet> resource;  // attribute key -> values
    std::map<std::string, ValueSet> span;
    std::set<std::string> names;               // span names
    std::set<std::string> status_messages;
  };

  HttpResponse Search(const HttpRequest& req);
  HttpResponse TraceById(const std::string& hex, bool v2, bool protobuf);
  HttpResponse TagNames(const HttpRequest& req, bool v2);
  HttpResponse TagValues(const std::string& tag, bool v2);
  Result<std::shared_ptr<const TagSnapshot>> Tags();

  storage::SpanStore* store_;
  TempoApiOptions options_;
  std::mutex mu_;
  std::shared_ptr<const TagSnapshot> tags_;              // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point tags_built_at_;  // GUARDED_BY(mu_)
};

// Tempo's legacy `tags` parameter (logfmt: `service.name=cart http.status_code=500
// name="GET /x"`) as a TraceQL query: attributes compared with `.key` (a value
// that is an integer compares as an integer, true/false as a bool, anything
// else as a string), `name` as the span name, `error=true` as status = error.
// InvalidArgument on malformed logfmt.
Result<std::string> TagsToTraceQL(std::string_view logfmt);

}  // namespace tracery::traceql
