// JaegerV3Api: Jaeger's api_v3 HTTP gateway (JSON), which returns spans as
// OTLP/JSON. Served from a SpanStore.
//
//   GET /api/v3/services                    {"services":["svc",...]}
//   GET /api/v3/operations?service=&span_kind=
//                                           {"operations":[{"name","spanKind"}]}
//   GET /api/v3/traces?query.service_name=&query.operation_name=
//       &query.start_time_min=&query.start_time_max= (RFC 3339)
//       &query.duration_min=&query.duration_max= (Go durations)
//       &query.search_depth= (or query.num_traces; default 20, max 1500)
//       &query.attributes={"k":"v"} (or query.attributes[k]=v)
//       &query.raw_traces=true (no clock-skew adjustment; duplicates are
//       still merged)
//                                           {"result":{"resourceSpans":[...]}}
//   GET /api/v3/traces/{traceID}            {"result":{"resourceSpans":[...]}}
//
// Errors are {"error":{"httpCode":N,"httpStatus":"...","message":"..."}}
// with that HTTP status. As in Jaeger, a search or lookup that finds no
// trace is a 404 "No traces found" / "trace not found". Unlike Jaeger, the
// start_time bounds are optional (default: the last hour).
//
// Thread-safety: Handle may be called concurrently.
#pragma once

#include <functional>

#include "common/http_types.h"
#include "query/query_api_options.h"
#include "storage/span_store.h"

namespace tracery::query {

class JaegerV3Api final : public HttpHandler {
 public:
  // `store` must outlive the handler; `now_ns` is the current Unix time in ns.
  JaegerV3Api(storage::SpanStore& store, std::function<uint64_t()> now_ns, QueryApiOptions options = {});

  std::optional<HttpResponse> Handle(const HttpRequest& req) override;

 private:
  HttpResponse Services();
  HttpResponse Operations(const HttpRequest& req);
  HttpResponse FindTraces(const HttpRequest& req);
  HttpResponse GetTrace(std::string_view id_hex, const HttpRequest& req);

  storage::SpanStore& store_;
  std::function<uint64_t()> now_ns_;
  QueryApiOptions options_;
};

// An RFC 3339 timestamp ("2024-05-01T12:00:00.5Z", "...+02:00") as Unix
// nanoseconds; InvalidArgument for anything else or a time before 1970.
Result<uint64_t> ParseRfc3339(std::string_view text);

}  // namespace tracery::query
