// Head-sampling strategies as Jaeger serves them to SDKs, parsed from
// Jaeger's file-based strategies format and rendered in the JSON shape of
// Jaeger's `/api/sampling?service=NAME` (jaeger-idl sampling.proto).
//
// File format (every field optional except `type`/`param` of a strategy):
//   {"default_strategy": {"type": "probabilistic", "param": 0.5,
//                         "operation_strategies": [...]},
//    "default_lower_bound_traces_per_second": 0.016,
//    "service_strategies": [
//      {"service": "foo", "type": "probabilistic" | "ratelimiting",
//       "param": 0.8,
//       "operation_strategies": [
//         {"operation": "op1", "type": "probabilistic", "param": 0.2}]}]}
// Probabilistic params are probabilities in [0, 1]; rate-limiting params are
// traces per second (>= 0). Operation strategies must be probabilistic.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tracery::sampling {

struct OperationStrategy {
  std::string operation;
  double probability = 1.0;
  friend bool operator==(const OperationStrategy&, const OperationStrategy&) = default;
};

// What one service's SDKs are told.
struct ServiceStrategy {
  enum class Type : uint8_t { kProbabilistic, kRateLimiting };
  Type type = Type::kProbabilistic;
  double probability = 0.001;           // kProbabilistic
  double max_traces_per_second = 0;     // kRateLimiting
  // Per-operation probabilities (served under "operationSampling"), and the
  // floor each operation keeps regardless of its probability.
  std::vector<OperationStrategy> operations;
  double lower_bound_traces_per_second = 1.0 / 60;
  friend bool operator==(const ServiceStrategy&, const ServiceStrategy&) = default;
};

struct StrategiesConfig {
  ServiceStrategy default_strategy;                    // for services not listed
  std::map<std::string, ServiceStrategy> services;     // by service name
  // The strategy for `service`: its own, or the default.
  const ServiceStrategy& For(std::string_view service) const;
};

// Parses the file format above. InvalidArgument names the offending field
// (e.g. "service_strategies[2].param: probability 1.5 is outside [0, 1]").
Result<StrategiesConfig> ParseStrategiesJson(std::string_view json);

// Jaeger's /api/sampling response for one service. `probability_factor`
// (0, 1] multiplies every probability and rate served (load shedding asks
// SDKs to sample harder); 1 serves the strategy unchanged.
std::string RenderJaegerStrategyJson(const ServiceStrategy& strategy, double probability_factor = 1.0);

// Keeps the last good StrategiesConfig read from a file and reloads it when
// the file's modification time or size changes. A file that fails to read or
// parse leaves the previous config in force; the error is kept in
// last_error() and logged once per change.
//
// Thread-safety: all methods may be called concurrently. Current() returns a
// snapshot that stays valid while the caller holds it.
class StrategiesFile {
 public:
  explicit StrategiesFile(std::string path);

  // Reads the file now. Returns the parse/read error, and keeps the previous
  // config (an empty default config before the first good read) on error.
  Status Load();
  // Reloads if the file changed since the last attempt and at least
  // `poll_interval_ns` passed since the last check (cheap: one stat(2) per
  // interval). Call it on every request; `now_ns` is any monotonic clock.
  void MaybeReload(uint64_t now_ns, uint64_t poll_interval_ns = 5'000'000'000ULL);

  std::shared_ptr<const StrategiesConfig> Current() const;
  std::string last_error() const;
  uint64_t reloads() const { return reloads_.load(std::memory_order_relaxed); }

 private:
  const std::string path_;
  mutable std::mutex mu_;
  std::shared_ptr<const StrategiesConfig> current_;  // GUARDED_BY(mu_)
  std::string last_error_;                           // GUARDED_BY(mu_)
  int64_t last_mtime_ns_ = -1;                       // GUARDED_BY(mu_)
  int64_t last_size_ = -1;                           // GUARDED_BY(mu_)
  uint64_t last_check_ns_ = 0;                       // GUARDED_BY(mu_)
  bool checked_once_ = false;                        // GUARDED_BY(mu_)
  std::atomic<uint64_t> reloads_{0};
};

}  // namespace tracery::sampling
