// SamplingPlan: how Tracer::StartSpan decides for the built-in samplers
// without a virtual call. The plan is computed once, when the provider is
// built, from the sampler it was given; samplers the plan does not know
// (remote, rate limiting, user-written, ParentBased with custom delegates)
// keep their virtual ShouldSample.
#pragma once

#include <cstdint>
#include <limits>

#include "tracery/sampler.h"

namespace tracery::internal {

struct SamplingPlan {
  enum class Rule : uint8_t { kVirtual, kAlwaysOn, kAlwaysOff, kTraceIdRatio };
  // ParentBased with the spec's default delegates: a span with a valid
  // parent is sampled exactly when the parent is; `rule` decides roots.
  bool parent_based_defaults = false;
  Rule rule = Rule::kVirtual;
  int64_t ratio_bound = 0;       // kTraceIdRatio: sample when |low 8 bytes| < bound
  Sampler* virtual_sampler = nullptr;  // kVirtual: the sampler to ask (never null then)

  // REQUIRES: `parent` is null or a valid context.
  SamplingDecision Decide(const SpanContext* parent, const SamplingParams& params) const {
    if (parent_based_defaults && parent != nullptr) {
      return parent->IsSampled() ? SamplingDecision::kRecordAndSample : SamplingDecision::kDrop;
    }
    switch (rule) {
      case Rule::kAlwaysOn:
        return SamplingDecision::kRecordAndSample;
      case Rule::kAlwaysOff:
        return SamplingDecision::kDrop;
      case Rule::kTraceIdRatio:
        return TraceIdRatioDecision(params.trace_id.low, ratio_bound);
      case Rule::kVirtual:
        break;
    }
    return virtual_sampler->ShouldSample(params);
  }

  // The OTel TraceIdRatioBased rule (as the Java and Go SDKs).
  static SamplingDecision TraceIdRatioDecision(uint64_t trace_id_low, int64_t bound) {
    const int64_t low = static_cast<int64_t>(trace_id_low);
    // |INT64_MIN| is not representable; treat it as the largest magnitude.
    const int64_t magnitude = low == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max()
                              : low < 0                                  ? -low
                                                                         : low;
    return magnitude < bound ? SamplingDecision::kRecordAndSample : SamplingDecision::kDrop;
  }
};

// The plan for `sampler` (which must outlive the plan).
SamplingPlan PlanSampling(Sampler& sampler);

}  // namespace tracery::internal
