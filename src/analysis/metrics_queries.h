// Answers over the SpanMetricsAggregator's minute buckets: latency series,
// RED tables, error groups and the service map. Each merges minute buckets
// (and their sketches) in the time range; none reads spans.
//
// Time ranges are [start_ns, end_ns); series points are aligned to whole
// minutes from floor_minute(start_ns), every `step_ns` (rounded up to a
// whole number of minutes, at least one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/span_metrics.h"

namespace tracery::analysis {

struct LatencyPoint {
  uint64_t ts_ns = 0;  // start of the point's interval
  RequestStats stats;
};

struct LatencySeries {
  uint64_t start_ns = 0;  // first point's ts_ns
  uint64_t step_ns = 0;
  std::vector<LatencyPoint> points;  // every step in the range, empty ones too
  RequestStats overall;
};

// The requests of `service` (operation unset), or every span named
// `operation` of `service` (any kind).
Result<LatencySeries> QueryLatency(SpanMetricsAggregator& metrics, const std::string& service,
                                   const std::optional<std::string>& operation, uint64_t start_ns,
                                   uint64_t end_ns, uint64_t step_ns);

struct RedRow {
  std::string service, operation;
  RequestStats stats;  // request spans only
};
// One row per (service, operation) with request spans, sorted by service
// then by count descending. `service` empty: every service.
Result<std::vector<RedRow>> QueryRed(SpanMetricsAggregator& metrics, uint64_t start_ns, uint64_t end_ns,
                                     const std::string& service);

struct ErrorGroupSeries {
  std::string service, operation, exception_type, message;
  uint64_t count = 0;
  std::vector<std::pair<uint64_t, uint64_t>> series;  // (ts_ns, count) for every step
  std::vector<model::TraceId> example_trace_ids;      // at most 3, latest minutes first
};
struct ErrorGroups {
  uint64_t start_ns = 0, step_ns = 0;
  std::vector<ErrorGroupSeries> groups;  // by count, descending
};
Result<ErrorGroups> QueryErrors(SpanMetricsAggregator& metrics, uint64_t start_ns, uint64_t end_ns,
                                uint64_t step_ns, const std::string& service);

struct ServiceMap {
  struct Node {
    std::string id;
    bool instrumented = false;  // reported spans itself in the range
    RequestStats requests;      // its request spans; for an uninstrumented
                                // node, the calls made to it
  };
  struct Edge {
    std::string source, target;
    RequestStats calls;
  };
  std::vector<Node> nodes;  // sorted by id
  std::vector<Edge> edges;  // sorted by source, target
  double instrumented_share = 0;  // instrumented nodes / nodes (1 when none)
};
Result<ServiceMap> QueryServiceMap(SpanMetricsAggregator& metrics, uint64_t start_ns, uint64_t end_ns);

// The step for about `points` points over [start, end), whole minutes.
uint64_t DefaultStepNs(uint64_t start_ns, uint64_t end_ns, uint64_t points = 60);

}  // namespace tracery::analysis
