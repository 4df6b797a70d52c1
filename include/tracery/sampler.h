// Samplers decide, when a span starts, whether it is recorded and exported.
//
// Every sampler here is thread-safe and lock-free on ShouldSample (called
// once per span start: the one virtual call on that path).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tracery/trace.h"

namespace tracery {

enum class SamplingDecision : uint8_t { kDrop, kRecordOnly, kRecordAndSample };

struct SamplingParams {
  const SpanContext* parent = nullptr;  // nullptr when the span is a root
  TraceId trace_id;                     // the new span's trace id
  std::string_view name;
  SpanKind kind = SpanKind::kInternal;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  // REQUIRES: safe to call concurrently from any thread.
  virtual SamplingDecision ShouldSample(const SamplingParams& params) = 0;
  virtual std::string Description() const = 0;
};

std::unique_ptr<Sampler> MakeAlwaysOnSampler();
std::unique_ptr<Sampler> MakeAlwaysOffSampler();
// OTel TraceIdRatioBased, consistent with the other OTel SDKs (Java, Go):
// samples when |low 8 bytes of the trace id as int64| < ratio * INT64_MAX, so
// every service given the same ratio makes the same decision for a trace.
// ratio is clamped to [0, 1].
std::unique_ptr<Sampler> MakeTraceIdRatioSampler(double ratio);

// ParentBased: the root sampler decides for roots; otherwise the decision
// follows the parent via the four delegates (nullptr = the spec's defaults:
// AlwaysOn for sampled parents, AlwaysOff for unsampled ones).
struct ParentBasedOptions {
  std::unique_ptr<Sampler> remote_parent_sampled;
  std::unique_ptr<Sampler> remote_parent_not_sampled;
  std::unique_ptr<Sampler> local_parent_sampled;
  std::unique_ptr<Sampler> local_parent_not_sampled;
};
std::unique_ptr<Sampler> MakeParentBasedSampler(std::unique_ptr<Sampler> root, ParentBasedOptions delegates = {});

// Admits at most `traces_per_second` root decisions per second on average,
// with a burst of max(1, traces_per_second) (a GCRA token bucket on one
// atomic: lock-free). Ignores the parent: wrap it in ParentBased for that.
std::unique_ptr<Sampler> MakeRateLimitingSampler(double traces_per_second);

// Jaeger-style remote sampling: polls `{endpoint}?service={service_name}`
// (e.g. http://collector:5778/api/sampling) every poll_interval on a
// background thread and applies the strategy it returns (probabilistic,
// rate limiting, or per-operation with a default probability and a
// lower-bound rate). Until the first good answer, and whenever the
// collector is away or answers something that is not a valid strategy, the
// last good strategy (or `initial` when none) keeps deciding.
struct RemoteSamplerOptions {
  std::string endpoint = "http://localhost:5778/api/sampling";  // OTEL_TRACES_SAMPLER_ARG endpoint=
  std::string service_name = "unknown_service";
  std::chrono::milliseconds poll_interval{60000};  // OTEL_TRACES_SAMPLER_ARG pollingIntervalMs=
  double initial_sampling_rate = 0.001;            // OTEL_TRACES_SAMPLER_ARG initialSamplingRate=
};
class RemoteSampler;
std::unique_ptr<Sampler> MakeRemoteSampler(RemoteSamplerOptions options);

// Parses a Jaeger sampling strategy JSON document into a sampler. Exposed
// for tests and for callers that fetch strategies themselves. Returns
// nullptr and sets *error when the document is not a valid strategy.
std::unique_ptr<Sampler> ParseSamplingStrategy(std::string_view json, std::string* error);

}  // namespace tracery
