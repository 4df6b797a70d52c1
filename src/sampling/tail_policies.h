// Tail-sampling policies: given a whole buffered trace, decide whether to
// keep it and with which adjusted count (1/probability). The facts a
// decision needs are folded into a small TraceSummary as spans arrive, so a
// decision never walks the spans.
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
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "model/span.h"

namespace tracery::sampling {

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

// What the policies need to know about one trace, accumulated span by span
// as spans arrive (TailPolicySet::AddSpan), so the sampler can hold spans in
// encoded form and decide without looking at them again.
struct TraceSummary {
  model::TraceId trace_id;
  uint64_t min_start_ns = UINT64_MAX;
  uint64_t max_end_ns = 0;
  // Bit i: policy i's per-span condition held for some span or resource
  // (latency with a service/operation filter; attribute match).
  uint64_t matched = 0;
  bool any_error = false;
  // (service, operation) keys of the trace's spans, for rare policies only
  // (empty without one). May hold duplicates; Decide deduplicates.
  std::vector<uint64_t> op_keys;

  void Reset(const model::TraceId& id) {
    trace_id = id;
    min_start_ns = UINT64_MAX;
    max_end_ns = 0;
    matched = 0;
    any_error = false;
    op_keys.clear();
  }
};

// The (service, operation) key rare policies count by. A 64-bit hash stands
// in for the strings (no allocation per span); a collision merges two
// operations' counts, which only makes both look less rare.
inline uint64_t RareOperationKey(uint64_t service_hash, std::string_view operation) {
  return service_hash * 0x9E3779B97F4A7C15ULL ^ std::hash<std::string_view>{}(operation);
}

// Parses the policy file. InvalidArgument names the policy and field.
Result<std::vector<TailPolicy>> ParseTailPolicies(std::string_view json);

class TailPolicySet {
 public:
  // At most this many policies (their per-span matches are a 64-bit mask).
  static constexpr size_t kMaxPolicies = 64;

  // An invalid regex, an out-of-range value or more than kMaxPolicies
  // policies is InvalidArgument.
  static Result<std::unique_ptr<TailPolicySet>> Create(std::vector<TailPolicy> policies);

  // Bits of the attribute policies that `resource`'s attributes satisfy. A
  // resource is shared by many spans: callers compute this once per
  // resource and OR it into the summary of every trace with a span of it.
  uint64_t ResourceMatches(const model::Resource& resource);

  // Folds one span into `summary`. `service`: the service of the span's
  // resource; `service_hash`: std::hash of it (computed once per resource).
  // Hot path: evaluates only the configured policies' keys and filters; no
  // allocation except for a non-string attribute value under a policy key
  // (rendered as text) and growing summary->op_keys.
  void AddSpan(const model::Span& span, std::string_view service, uint64_t service_hash,
               TraceSummary* summary);

  // Decides one whole trace from its summary (op_keys is deduplicated in
  // place). `now_ns`: the sampler's clock, used by budgets, rate limits and
  // rare windows.
  TailDecision Decide(TraceSummary& summary, uint64_t now_ns);
  // Summarises `trace` (its buffered spans) and decides it. For tests and
  // callers that hold a trace as a SpanBatch.
  TailDecision Decide(const model::SpanBatch& trace, uint64_t now_ns);

  bool has_rare_policy() const { return has_rare_; }
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
    std::unordered_map<uint64_t, uint32_t> seen;  // RareOperationKey -> traces this window
  };
  // Regex results for short attribute values, keyed by the value's bytes:
  // attribute values are mostly low-cardinality (tiers, regions, flags), and
  // std::regex costs ~100 ns a search, more than the rest of a span.
  struct RegexMemoEntry {
    uint8_t len = 0;
    bool valid = false;
    bool result = false;
    char bytes[29];
  };
  static constexpr size_t kRegexMemoEntries = 64;
  struct Compiled {
    std::unique_ptr<std::regex> regex;
    std::vector<RegexMemoEntry> memo;  // kRegexMemoEntries when regex is set
    Bucket budget;
    Bucket rate_limit;
    RareState rare;
    // kRateLimit adjusted count: traces offered / kept, per second, smoothed.
    double offered_in_second = 0, kept_in_second = 0, adjusted = 1;
    uint64_t second_start_ns = 0;
  };
  explicit TailPolicySet(std::vector<TailPolicy> p) : policies_(std::move(p)) {}
  bool Matches(size_t i, TraceSummary& t, uint64_t now_ns, double* adjusted);
  bool AttributesMatch(size_t i, const model::Attributes& attrs);
  bool ValueMatches(size_t i, std::string_view value);

  std::vector<TailPolicy> policies_;
  std::vector<Compiled> compiled_;
  std::vector<uint64_t> kept_by_policy_;
  // Indexes of policies evaluated per span: attribute policies, and latency
  // policies with a service/operation filter.
  std::vector<uint32_t> attribute_policies_;
  std::vector<uint32_t> latency_filter_policies_;
  bool has_rare_ = false;
  TraceSummary scratch_;  // for Decide(SpanBatch)
};

// Bound on distinct (service, operation) keys a rare policy tracks per
// window; beyond it new keys are not treated as rare (memory stays bounded
// under a flood of unique operation names).
inline constexpr size_t kMaxRareKeysPerWindow = 100'000;

}  // namespace tracery::sampling
