// BASELINE, benchmark only: the tail sampler as it was before spans were
// held encoded (commit f4e60b7), frozen in namespace sampling::baseline so
// tracery_sampling_bench can compare old and new in one run on a noisy
// machine. Not linked into the server; delete once the comparison is no
// longer wanted.
// Tail-sampling policies: given a whole buffered trace, decide whether to
// keep it and with which adjusted count (1/probability).
//
// Policies are evaluated in order; the first that matches AND has budget
// left keeps the trace. A policy's optional `max_traces_per_second` budget
// (token bucket, burst = one second of budget) lets e.g. "errors up to 100
// traces/s" fall through to "the rest at 10%" once spent. No policy keeping
// the trace drops it.
//
// Policy file (JSON, the `--tail-sampling-policy-file`):
//   {"policies": [
//     {"name": "errors", "type": "error", "max_traces_per_second": 100},
//     {"name": "slow", "type": "latency", "threshold_ms": 500,
//      "service": "api", "operation": "GET /x"},   // service/op optional
//     {"name": "rare", "type": "rare", "per_window": 5, "window_s": 60},
//     {"name": "vip", "type": "attribute", "key": "user.tier",
//      "value": "gold"},                         // or "regex": "^gold|plat"
//     {"name": "base", "type": "probabilistic", "probability": 0.1},
//     {"name": "cap", "type": "rate_limit", "traces_per_second": 50}]}
//
// Thread-safety: TailPolicySet is NOT thread-safe (budgets and rare counters
// change on every Decide); the tail sampler calls it under its own mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "model/span.h"

namespace tracery::sampling::baseline {

struct TailPolicy {
  enum class Type : uint8_t { kError, kLatency, kRare, kAttribute, kProbabilistic, kRateLimit };
  std::string name;
  Type type = Type::kProbabilistic;
  // 0: unlimited. Otherwise at most this many traces/s are kept by this policy.
  double max_traces_per_second = 0;

  // kLatency: the whole trace (earliest start to latest end) lasts at least
  // threshold_ns; with service and/or operation set, some span of that
  // service/operation lasts at least threshold_ns instead.
  uint64_t threshold_ns = 0;
  std::string service;
  std::string operation;

  // kRare: the first `per_window` traces of each (service, operation) of any
  // span in each window of `window_ns` are kept.
  uint32_t per_window = 1;
  uint64_t window_ns = 60'000'000'000ULL;

  // kAttribute: some span attribute or resource attribute `key` whose
  // rendered value equals `value`, or (if regex set) matches `regex`.
  std::string key;
  std::string value;
  std::string regex;

  // kProbabilistic: consistent on trace id (TraceIdSampled).
  double probability = 1.0;

  // kRateLimit: at most this many traces/s, first come first kept.
  double traces_per_second = 0;
};

struct TailDecision {
  bool keep = false;
  double adjusted_count = 1.0;  // 1/probability of the policy that kept it
  int policy_index = -1;        // index into the policy list, -1 when dropped
  // Kept by an error, latency, rare or attribute policy: traces load
  // shedding must not drop.
  bool priority = false;
};

// Parses the policy file. InvalidArgument names the policy and field.
Result<std::vector<TailPolicy>> ParseTailPolicies(std::string_view json);

class TailPolicySet {
 public:
  // An invalid regex or an out-of-range value is InvalidArgument.
  static Result<std::unique_ptr<TailPolicySet>> Create(std::vector<TailPolicy> policies);

  // Decides one whole trace (`trace`: its buffered spans). `now_ns`: the
  // sampler's clock, used by budgets, rate limits and rare windows.
  TailDecision Decide(const model::SpanBatch& trace, uint64_t now_ns);

  const std::vector<TailPolicy>& policies() const { return policies_; }
  // Traces kept by each policy since creation, by policy index.
  const std::vector<uint64_t>& kept_by_policy() const { return kept_by_policy_; }

 private:
  struct Bucket {
    double tokens = 0;
    uint64_t last_ns = 0;
    bool started = false;
    bool Take(double rate_per_s, uint64_t now_ns);
  };
  struct RareState {
    uint64_t window_start_ns = 0;
    // hash(service, operation) -> traces this window. A 64-bit hash stands
    // in for the strings (no allocation per span); a collision merges two
    // operations' counts, which only makes both look less rare.
    std::unordered_map<uint64_t, uint32_t> seen;
  };
  struct Compiled {
    std::unique_ptr<std::regex> regex;
    Bucket budget;
    Bucket rate_limit;
    RareState rare;
    // kRateLimit adjusted count: traces offered / kept, per second, smoothed.
    double offered_in_second = 0, kept_in_second = 0, adjusted = 1;
    uint64_t second_start_ns = 0;
  };
  explicit TailPolicySet(std::vector<TailPolicy> p) : policies_(std::move(p)) {}
  bool Matches(size_t i, const model::SpanBatch& trace, uint64_t now_ns, double* adjusted);

  std::vector<TailPolicy> policies_;
  std::vector<Compiled> compiled_;
  std::vector<uint64_t> kept_by_policy_;
};

// Bound on distinct (service, operation) keys a rare policy tracks per
// window; beyond it new keys are not treated as rare (memory stays bounded
// under a flood of unique operation names).
inline constexpr size_t kMaxRareKeysPerWindow = 100'000;

}  // namespace tracery::sampling::baseline
