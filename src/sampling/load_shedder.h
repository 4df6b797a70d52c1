// LoadShedder: graceful degradation when offered load exceeds what the store
// can take or process memory nears its limit. It keeps one number, the keep
// fraction in [min_keep_fraction, 1], lowered multiplicatively on overload
// signals and raised additively when calm (AIMD, at most one step per
// adjust interval so it neither oscillates nor reacts to one slow write).
//
// Users of the fraction:
//  - the tail sampler keeps a trace its policies kept for a non-priority
//    reason only if TraceIdSampled(trace_id, keep_fraction) — whole traces,
//    consistently by trace id; errors, slow and rare traces are exempt — and
//    multiplies the adjusted count by 1/keep_fraction;
//  - without a tail sampler the pipeline drops whole traces by the same hash;
//  - /api/sampling multiplies served head-sampling rates by it, so SDKs
//    send less;
//  - AdmitBatch refuses whole batches (ResourceExhausted, retryable: a
//    client retries, nothing is lost at random) when memory is over the hard
//    limit or the store keeps refusing at the minimum keep fraction.
//
// Thread-safety: every method may be called from any thread; the hot-path
// readers (keep_fraction, AdmitBatch) are lock-free atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/metrics_registry.h"
#include "common/status.h"
#include "model/ids.h"

namespace tracery::sampling {

struct LoadShedderOptions {
  // Process memory limit (`--memory-limit-bytes`); 0 disables memory checks.
  uint64_t memory_limit_bytes = 0;
  // Shedding starts above soft * limit; batches are refused above hard * limit.
  double memory_soft_fraction = 0.80;
  double memory_hard_fraction = 0.95;
  // A store write slower than this is an overload signal; 0 ignores latency.
  uint64_t store_latency_target_ns = 500'000'000;
  double min_keep_fraction = 0.01;
  double decrease_factor = 0.5;   // keep *= this on an overload interval
  double increase_step = 0.05;    // keep += this on a calm interval
  uint64_t adjust_interval_ns = 1'000'000'000;
  // Bytes in use by the process; the default reads the resident set size
  // from /proc/self/statm. Tests inject a fake.
  std::function<uint64_t()> memory_usage_bytes;
  // Monotonic clock in ns for callers that report to the shedder (the
  // pipeline); default std::chrono::steady_clock. Tests inject.
  std::function<uint64_t()> clock_ns;
};

class LoadShedder {
 public:
  // `metrics` may be null; otherwise gauges/counters are registered on it
  // (their values stay readable after the shedder is destroyed).
  explicit LoadShedder(LoadShedderOptions options, MetricsRegistry* metrics = nullptr);

  // Reports one store write: a ResourceExhausted status or a latency above
  // target marks the current interval as overloaded. Unavailable (disk full,
  // backend down) does not: shedding cannot help a store that refuses all.
  void RecordStoreWrite(const Status& status, uint64_t latency_ns, uint64_t now_ns);
  // Samples memory and, once per adjust interval, moves the keep fraction.
  // Cheap to call often (returns at once inside an interval).
  void Update(uint64_t now_ns);

  double keep_fraction() const { return keep_fraction_.load(std::memory_order_relaxed); }
  // Whether a non-priority trace survives shedding (consistent by id).
  bool KeepTrace(const model::TraceId& id) const;
  // OK, or ResourceExhausted whose message says why and when to retry.
  Status AdmitBatch() const;
  // Seconds a refused client should wait (the adjust interval, at least 1).
  uint64_t retry_after_s() const;
  // The configured clock (see LoadShedderOptions::clock_ns).
  uint64_t NowNs() const { return options_.clock_ns(); }
  uint64_t last_memory_bytes() const { return memory_bytes_.load(std::memory_order_relaxed); }

 private:
  LoadShedderOptions options_;
  std::atomic<double> keep_fraction_{1.0};
  std::atomic<uint64_t> memory_bytes_{0};
  std::atomic<bool> memory_hard_{false};
  std::atomic<bool> store_saturated_{false};  // refusing at min keep fraction
  std::mutex mu_;
  uint64_t interval_start_ns_ = 0;      // GUARDED_BY(mu_)
  bool started_ = false;                // GUARDED_BY(mu_)
  bool overloaded_in_interval_ = false; // GUARDED_BY(mu_)
  bool refused_in_interval_ = false;    // GUARDED_BY(mu_)
  Counter* overload_intervals_ = nullptr;
  std::shared_ptr<std::atomic<double>> shared_fraction_;  // read by the gauge
};

// Resident set size of this process in bytes (0 if unknown).
uint64_t ProcessResidentBytes();

}  // namespace tracery::sampling
