#include "analysis/metrics_queries.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace tracery::analysis {
namespace {

uint64_t RoundStep(uint64_t step_ns) {
  uint64_t minutes = (step_ns + kNanosPerMinute - 1) / kNanosPerMinute;
  return std::max<uint64_t>(minutes, 1) * kNanosPerMinute;
}

uint64_t AlignedStart(uint64_t start_ns) { return start_ns / kNanosPerMinute * kNanosPerMinute; }

// Number of points of [aligned start, end) in steps; bounded so a tiny step
// over a long range cannot build millions of points.
constexpr uint64_t kMaxPoints = 20'000;

Status CheckRange(uint64_t start_ns, uint64_t end_ns, uint64_t step_ns, uint64_t* points) {
  if (end_ns <= start_ns) return Status::InvalidArgument("end must be after start");
  uint64_t aligned = AlignedStart(start_ns);
  *points = (end_ns - aligned + step_ns - 1) / step_ns;
  if (*points > kMaxPoints)
    return Status::InvalidArgument("step: too small for the time range (over " + std::to_string(kMaxPoints) +
                                   " points); use a larger step");
  return Status::Ok();
}

}  // namespace

uint64_t DefaultStepNs(uint64_t start_ns, uint64_t end_ns, uint64_t points) {
  if (end_ns <= start_ns || points == 0) return kNanosPerMinute;
  return RoundStep((end_ns - start_ns + points - 1) / points);
}

Result<LatencySeries> QueryLatency(SpanMetricsAggregator& metrics, const std::string& service,
                                   const std::optional<std::string>& operation, uint64_t start_ns,
                                   uint64_t end_ns, uint64_t step_ns) {
  LatencySeries out;
  out.step_ns = RoundStep(step_ns);
  out.start_ns = AlignedStart(start_ns);
  uint64_t points = 0;
  TRACERY_RETURN_IF_ERROR(CheckRange(start_ns, end_ns, out.step_ns, &points));
  out.points.resize(points);
  for (uint64_t k = 0; k < points; ++k) out.points[k].ts_ns = out.start_ns + k * out.step_ns;
  TRACERY_RETURN_IF_ERROR(metrics.ForEachMinute(start_ns, end_ns, [&](const MinuteBucket& b) {
    uint64_t ts = static_cast<uint64_t>(b.minute) * kNanosPerMinute;
    if (ts < out.start_ns) return;
    uint64_t k = (ts - out.start_ns) / out.step_ns;
    if (k >= points) return;
    RequestStats& p = out.points[k].stats;
    if (operation) {
      for (const auto& o : b.operations)
        if (o.service == service && o.operation == *operation) p.Merge(o.stats);
    } else {
      for (const auto& s : b.services)
        if (s.service == service) p.Merge(s.requests);
    }
  }));
  for (const auto& p : out.points) out.overall.Merge(p.stats);
  return out;
}

Result<std::vector<RedRow>> QueryRed(SpanMetricsAggregator& metrics, uint64_t start_ns, uint64_t end_ns,
                                     const std::string& service) {
  if (end_ns <= start_ns) return Status::InvalidArgument("end must be after start");
  std::map<std::pair<std::string, std::string>, RequestStats> rows;
  TRACERY_RETURN_IF_ERROR(metrics.ForEachMinute(start_ns, end_ns, [&](const MinuteBucket& b) {
    for (const auto& o : b.operations) {
      if (!o.request || (!service.empty() && o.service != service)) continue;
      rows[{o.service, o.operation}].Merge(o.stats);
    }
  }));
  std::vector<RedRow> out;
  out.reserve(rows.size());
  for (auto& [k, v] : rows) out.push_back(RedRow{k.first, k.second, std::move(v)});
  std::stable_sort(out.begin(), out.end(), [](const RedRow& a, const RedRow& b) {
    return std::tie(a.service, b.stats.count) < std::tie(b.service, a.stats.count);
  });
  return out;
}

Result<ErrorGroups> QueryErrors(SpanMetricsAggregator& metrics, uint64_t start_ns, uint64_t end_ns,
                                uint64_t step_ns, const std::string& service) {
  ErrorGroups out;
  out.step_ns = RoundStep(step_ns);
  out.start_ns = AlignedStart(start_ns);
  uint64_t points = 0;
  TRACERY_RETURN_IF_ERROR(CheckRange(start_ns, end_ns, out.step_ns, &points));
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  struct Acc {
    uint64_t count = 0;
    std::vector<uint64_t> series;
    std::map<int64_t, std::vector<model::TraceId>, std::greater<>> examples;  // latest minute first
  };
  std::map<Key, Acc> groups;
  TRACERY_RETURN_IF_ERROR(metrics.ForEachMinute(start_ns, end_ns, [&](const MinuteBucket& b) {
    uint64_t ts = static_cast<uint64_t>(b.minute) * kNanosPerMinute;
    if (ts < out.start_ns) return;
    uint64_t k = (ts - out.start_ns) / out.step_ns;
    if (k >= points) return;
    for (const auto& e : b.errors) {
      if (!service.empty() && e.service != service) continue;
      Acc& a = groups[Key{e.service, e.operation, e.exception_type, e.message}];
      if (a.series.empty()) a.series.assign(points, 0);
      a.count += e.count;
      a.series[k] += e.count;
      auto& ex = a.examples[b.minute];
      ex.insert(ex.end(), e.example_trace_ids.begin(), e.example_trace_ids.end());
    }
  }));
  for (auto& [key, a] : groups) {
    ErrorGroupSeries g;
    std::tie(g.service, g.operation, g.exception_type, g.message) = key;
    g.count = a.count;
    for (uint64_t k = 0; k < points; ++k) g.series.emplace_back(out.start_ns + k * out.step_ns, a.series[k]);
    for (const auto& [m, ids] : a.examples)
      for (const auto& id : ids)
        if (g.example_trace_ids.size() < SpanMetricsAggregator::kMaxExamples &&
            std::find(g.example_trace_ids.begin(), g.example_trace_ids.end(), id) == g.example_trace_ids.end())
          g.example_trace_ids.push_back(id);
    out.groups.push_back(std::move(g));
  }
  std::stable_sort(out.groups.begin(), out.groups.end(),
                   [](const ErrorGroupSeries& a, const ErrorGroupSeries& b) { return a.count > b.count; });
  return out;
}

Result<ServiceMap> QueryServiceMap(SpanMetricsAggregator& metrics, uint64_t start_ns, uint64_t end_ns) {
  if (end_ns <= start_ns) return Status::InvalidArgument("end must be after start");
  std::map<std::string, ServiceMap::Node> nodes;
  std::map<std::pair<std::string, std::string>, RequestStats> edges;
  TRACERY_RETURN_IF_ERROR(metrics.ForEachMinute(start_ns, end_ns, [&](const MinuteBucket& b) {
    for (const auto& s : b.services) {
      ServiceMap::Node& n = nodes[s.service];
      n.instrumented = true;
      n.requests.Merge(s.requests);
    }
    for (const auto& e : b.edges) edges[{e.source, e.target}].Merge(e.stats);
  }));
  // A callee that never reported spans is known only by the calls to it.
  for (const auto& [k, stats] : edges) {
    auto it = nodes.find(k.second);
    if (it == nodes.end() || !it->second.instrumented) nodes[k.second].requests.Merge(stats);
    nodes.try_emplace(k.first);
  }
  ServiceMap out;
  size_t instrumented = 0;
  for (auto& [id, n] : nodes) {
    n.id = id;
    instrumented += n.instrumented ? 1 : 0;
    out.nodes.push_back(std::move(n));
  }
  for (auto& [k, v] : edges) out.edges.push_back(ServiceMap::Edge{k.first, k.second, std::move(v)});
  out.instrumented_share = out.nodes.empty() ? 1.0 : double(instrumented) / double(out.nodes.size());
  return out;
}

}  // namespace tracery::analysis
