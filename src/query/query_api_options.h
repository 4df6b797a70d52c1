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
  // Zipkin's autocompleteKeys/autocompleteValues and remoteServices read
  // recent spans with SpanStore::ScanSpans over the last
  // `recent_scan_window_ns`, stopping after `recent_scan_max_spans` spans;
  // at most `recent_max_values` distinct values are returned.
  uint64_t recent_scan_window_ns = 3600ULL * 1'000'000'000ULL;
  size_t recent_scan_max_spans = 100'000;
  size_t recent_max_values = 1000;
  // The query port's response cache (server::QueryResponseCache): identical
  // GET requests share one computation whose answer is at most
  // `response_cache_max_staleness_ms` older than the request (0: never
  // older). `response_cache_max_bytes` 0 turns it off.
  uint64_t response_cache_max_staleness_ms = 0;
  size_t response_cache_max_bytes = 64u << 20;
};

}  // namespace tracery::query
