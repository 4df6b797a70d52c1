#include "sampling/adaptive_sampler.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "common/json_escape.h"

namespace tracery::sampling {
namespace {

uint64_t SteadyNowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

void AppendDouble(std::string* out, double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", d);
  *out += buf;
}

}  // namespace

AdaptiveSampler::AdaptiveSampler(AdaptiveSamplerOptions options, MetricsRegistry* metrics)
    : options_(std::move(options)) {
  if (!options_.clock_ns) options_.clock_ns = SteadyNowNs;
  if (options_.window_ns == 0) options_.window_ns = 1;
  options_.initial_probability = std::clamp(options_.initial_probability, options_.min_probability, 1.0);
  options_.smoothing = std::clamp(options_.smoothing, 0.01, 1.0);
  if (options_.max_increase_factor < 1) options_.max_increase_factor = 1;
  if (metrics)
    windows_counter_ = metrics->GetCounter("tracery_adaptive_sampling_windows_total",
                                           "Adaptive sampling windows closed (probabilities recomputed)");
}

void AdaptiveSampler::Observe(const model::SpanBatch& batch) {
  const uint64_t now = options_.clock_ns();
  std::lock_guard<std::mutex> lock(mu_);
  AdvanceLocked(now);
  for (const auto& s : batch.spans) {
    if (!s.parent_span_id.IsZero()) continue;
    std::string_view service = batch.ServiceOf(s);
    auto sit = services_.find(service);
    if (sit == services_.end()) {
      if (operations_ >= options_.max_operations) continue;
      sit = services_.emplace(std::string(service), OpMap()).first;
    }
    auto oit = sit->second.find(std::string_view(s.name));
    if (oit == sit->second.end()) {
      if (operations_ >= options_.max_operations) continue;
      OpState st;
      st.probability = st.window_probability = options_.initial_probability;
      oit = sit->second.emplace(s.name, st).first;
      ++operations_;
    }
    ++oit->second.count;
  }
}

void AdaptiveSampler::Advance() {
  const uint64_t now = options_.clock_ns();
  std::lock_guard<std::mutex> lock(mu_);
  AdvanceLocked(now);
}

void AdaptiveSampler::AdvanceLocked(uint64_t now_ns) {
  if (!started_) {
    started_ = true;
    window_start_ns_ = now_ns;
    return;
  }
  if (now_ns - window_start_ns_ < options_.window_ns) return;
  // Close exactly one window; idle gaps longer than a window count as empty
  // windows only once (the estimate then decays by the smoothing weight).
  const double window_s = static_cast<double>(now_ns - window_start_ns_) * 1e-9;
  window_start_ns_ = now_ns;
  if (windows_counter_) windows_counter_->Add();
  const double target = options_.target_traces_per_second;
  for (auto& [service, ops] : services_) {
    for (auto& [name, st] : ops) {
      st.sampled_rate = static_cast<double>(st.count) / window_s;
      const double estimate = st.sampled_rate / std::max(st.window_probability, options_.min_probability);
      st.rate = st.has_rate ? options_.smoothing * estimate + (1 - options_.smoothing) * st.rate : estimate;
      st.has_rate = true;
      double p = st.rate > 0 ? target / st.rate : 1.0;
      p = std::min(p, st.probability * options_.max_increase_factor);
      st.probability = std::clamp(p, options_.min_probability, 1.0);
      st.window_probability = st.probability;
      st.count = 0;
    }
  }
}

ServiceStrategy AdaptiveSampler::StrategyFor(std::string_view service) {
  const uint64_t now = options_.clock_ns();
  std::lock_guard<std::mutex> lock(mu_);
  AdvanceLocked(now);
  ServiceStrategy s;
  s.type = ServiceStrategy::Type::kProbabilistic;
  s.probability = options_.initial_probability;
  s.lower_bound_traces_per_second = options_.lower_bound_traces_per_second;
  auto it = services_.find(service);
  if (it != services_.end()) {
    s.operations.reserve(it->second.size());
    for (const auto& [name, st] : it->second) s.operations.push_back({name, st.probability});
    std::sort(s.operations.begin(), s.operations.end(),
              [](const OperationStrategy& a, const OperationStrategy& b) { return a.operation < b.operation; });
  }
  return s;
}

std::vector<AdaptiveOperation> AdaptiveSampler::Snapshot() {
  const uint64_t now = options_.clock_ns();
  std::lock_guard<std::mutex> lock(mu_);
  AdvanceLocked(now);
  std::vector<AdaptiveOperation> out;
  out.reserve(operations_);
  for (const auto& [service, ops] : services_)
    for (const auto& [name, st] : ops) out.push_back({service, name, st.probability, st.sampled_rate, st.rate});
  std::sort(out.begin(), out.end(), [](const AdaptiveOperation& a, const AdaptiveOperation& b) {
    return a.service != b.service ? a.service < b.service : a.operation < b.operation;
  });
  return out;
}

std::string AdaptiveSampler::RenderJson() {
  auto ops = Snapshot();
  std::string out = "{\"targetTracesPerSecond\":";
  AppendDouble(&out, options_.target_traces_per_second);
  out += ",\"lowerBoundTracesPerSecond\":";
  AppendDouble(&out, options_.lower_bound_traces_per_second);
  out += ",\"windowSeconds\":";
  AppendDouble(&out, static_cast<double>(options_.window_ns) * 1e-9);
  out += ",\"operations\":[";
  bool first = true;
  for (const auto& op : ops) {
    if (!first) out += ',';
    first = false;
    out += "{\"service\":\"";
    AppendJsonEscaped(&out, op.service);
    out += "\",\"operation\":\"";
    AppendJsonEscaped(&out, op.operation);
    out += "\",\"probability\":";
    AppendDouble(&out, op.probability);
    out += ",\"sampledTracesPerSecond\":";
    AppendDouble(&out, op.sampled_traces_per_second);
    out += ",\"estimatedTracesPerSecond\":";
    AppendDouble(&out, op.estimated_traces_per_second);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace tracery::sampling
