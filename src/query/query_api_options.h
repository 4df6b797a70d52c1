// Limits shared by the query APIs (Jaeger, Jaeger v3, Zipkin). Every
// response is bounded by these, whatever the request asks for.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tracery::query {

struct QueryApiOptions {
  // Spans of one trace returned by any API; a larger trace is cut to its
  // earliest spans and carries a truncation warning.
  size_t max_spans_per_trace = 10'000;
  // Spans across all traces of one search response; once reached, further
  // traces are left out and the response says so.
  size_t max_spans_per_search = 200'000;
  // Budget for one search (passed to SpanStore::FindTraces and checked
  // between trace loads).
  uint64_t timeout_ms = 10'000;
  // Jaeger-style clock-skew correction of assembled traces.
  bool adjust_clock_skew = true;
  // Autocomplete (Zipkin) scans at most this many recent traces.
  size_t autocomplete_max_traces = 200;
};

}  // namespace tracery::query
