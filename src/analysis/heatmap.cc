#include "analysis/heatmap.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace tracery::analysis {

Result<Heatmap> BuildHeatmap(const std::vector<HeatmapPoint>& points, uint64_t start_ns, uint64_t end_ns,
                             uint64_t step_ns, int buckets) {
  if (end_ns <= start_ns) return Status::InvalidArgument("end must be after start");
  if (step_ns == 0) return Status::InvalidArgument("step: must be positive");
  if (buckets < 1 || buckets > 200) return Status::InvalidArgument("buckets: must be between 1 and 200");
  const uint64_t n_columns = (end_ns - start_ns + step_ns - 1) / step_ns;
  if (n_columns > 10'000) return Status::InvalidArgument("step: too small for the time range (over 10000 columns)");

  double min_us = 0, max_us = 0;
  bool any = false;
  for (const auto& p : points) {
    if (p.ts_ns < start_ns || p.ts_ns >= end_ns) continue;
    double us = std::max(1.0, double(p.duration_ns) / 1000.0);
    min_us = any ? std::min(min_us, us) : us;
    max_us = any ? std::max(max_us, us) : us;
    any = true;
  }
  const double lo_exp = any ? std::floor(std::log10(min_us)) : 0;
  double hi_exp = any ? std::floor(std::log10(max_us)) + 1 : 3;
  if (hi_exp <= lo_exp) hi_exp = lo_exp + 1;
  const double lo = std::pow(10.0, lo_exp), span_log = (hi_exp - lo_exp) * std::log(10.0);

  Heatmap h;
  h.start_ns = start_ns;
  h.step_ns = step_ns;
  for (int i = 0; i <= buckets; ++i)
    h.bucket_bounds_us.push_back(std::pow(10.0, lo_exp + (hi_exp - lo_exp) * double(i) / buckets));
  h.columns.resize(n_columns);
  for (uint64_t k = 0; k < n_columns; ++k) {
    h.columns[k].ts_ns = start_ns + k * step_ns;
    h.columns[k].counts.assign(buckets, 0);
  }
  for (const auto& p : points) {
    if (p.ts_ns < start_ns || p.ts_ns >= end_ns) continue;
    double us = std::max(1.0, double(p.duration_ns) / 1000.0);
    int b = static_cast<int>(std::floor(double(buckets) * std::log(us / lo) / span_log));
    b = std::clamp(b, 0, buckets - 1);
    // Floating point at a bound: make [b_i, b_{i+1}) exact.
    if (b + 1 < buckets && us >= h.bucket_bounds_us[b + 1]) ++b;
    if (b > 0 && us < h.bucket_bounds_us[b]) --b;
    uint64_t& cell = h.columns[(p.ts_ns - start_ns) / step_ns].counts[b];
    ++cell;
    h.max_count = std::max(h.max_count, cell);
  }
  return h;
}

}  // namespace tracery::analysis
