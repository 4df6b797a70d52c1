// AdaptiveSampler: computes per-operation head-sampling probabilities from
// the traffic the collector sees, aiming at a target number of sampled traces
// per second for every (service, root operation).
//
// Each window (default 60 s) it counts root spans (spans without a parent:
// where SDKs make the head-sampling decision) per service and operation. The
// true rate is estimated as sampled / window / probability-served and
// smoothed (exponentially weighted, `smoothing` = weight of the newest
// window); the next probability is target / true rate, clamped to
// [min_probability, 1] and raised by at most `max_increase_factor` per window
// (decreases apply at once: an overloaded operation is thinned immediately).
// Rare operations keep `lower_bound_traces_per_second`, served to SDKs as
// Jaeger's guaranteed-throughput lower bound.
//
// Thread-safety: all methods may be called concurrently (one mutex; Observe
// takes it once per batch and looks at root spans only).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/metrics_registry.h"
#include "model/span.h"
#include "sampling/sampling_strategies.h"

namespace tracery::sampling {

struct AdaptiveSamplerOptions {
  double target_traces_per_second = 1.0;        // per operation
  double lower_bound_traces_per_second = 1.0 / 60;
  double initial_probability = 1.0;             // for operations not seen yet
  double min_probability = 1e-5;
  uint64_t window_ns = 60'000'000'000ULL;
  double smoothing = 0.5;
  double max_increase_factor = 2.0;
  size_t max_operations = 10'000;               // beyond: served the default
  std::function<uint64_t()> clock_ns;           // default steady_clock
};

struct AdaptiveOperation {
  std::string service;
  std::string operation;
  double probability = 1.0;                   // served now
  double sampled_traces_per_second = 0;       // root spans received, last window
  double estimated_traces_per_second = 0;     // smoothed true rate
};

class AdaptiveSampler {
 public:
  explicit AdaptiveSampler(AdaptiveSamplerOptions options, MetricsRegistry* metrics = nullptr);

  // The pipeline observer: counts root spans of `batch`.
  void Observe(const model::SpanBatch& batch);
  // Closes every window that has elapsed and recomputes probabilities.
  // Observe and the read methods call it; tests may call it directly.
  void Advance();

  // The strategy to serve `service`: probabilistic at the initial
  // probability with one entry per known root operation.
  ServiceStrategy StrategyFor(std::string_view service);
  std::vector<AdaptiveOperation> Snapshot();
  // {"targetTracesPerSecond":..,"windowSeconds":..,"operations":[{"service":..,
  //   "operation":..,"probability":..,"sampledTracesPerSecond":..,
  //   "estimatedTracesPerSecond":..}]}
  std::string RenderJson();

 private:
  struct OpState {
    double probability = 1.0;
    double window_probability = 1.0;  // what was served while this window ran
    uint64_t count = 0;               // root spans this window
    double sampled_rate = 0;
    double rate = 0;
    bool has_rate = false;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using OpMap = std::unordered_map<std::string, OpState, StringHash, std::equal_to<>>;

  void AdvanceLocked(uint64_t now_ns);  // REQUIRES: mu_ held

  AdaptiveSamplerOptions options_;
  std::mutex mu_;
  std::unordered_map<std::string, OpMap, StringHash, std::equal_to<>> services_;  // GUARDED_BY(mu_)
  size_t operations_ = 0;            // GUARDED_BY(mu_)
  uint64_t window_start_ns_ = 0;     // GUARDED_BY(mu_)
  bool started_ = false;             // GUARDED_BY(mu_)
  Counter* windows_counter_ = nullptr;
};

}  // namespace tracery::sampling
