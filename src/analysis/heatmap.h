// Latency heatmap: counts of durations per time column and log-scale
// duration bucket.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"

namespace tracery::analysis {

struct Heatmap {
  uint64_t start_ns = 0;
  uint64_t step_ns = 0;
  // N+1 bounds in microseconds, log-spaced from a power of ten at or below
  // the smallest duration to one above the largest; cell i counts
  // durations in [bounds[i], bounds[i+1]).
  std::vector<double> bucket_bounds_us;
  struct Column {
    uint64_t ts_ns = 0;
    std::vector<uint64_t> counts;  // N
  };
  std::vector<Column> columns;  // every step of [start, end)
  uint64_t max_count = 0;
};

struct HeatmapPoint {
  uint64_t ts_ns = 0;        // span (or trace) start
  uint64_t duration_ns = 0;
};

// InvalidArgument for an empty range, zero step, buckets outside [1, 200]
// or more than 10,000 columns. Points outside [start, end) are ignored.
// Durations under 1 us count in the first bucket.
Result<Heatmap> BuildHeatmap(const std::vector<HeatmapPoint>& points, uint64_t start_ns, uint64_t end_ns,
                             uint64_t step_ns, int buckets);

}  // namespace tracery::analysis
