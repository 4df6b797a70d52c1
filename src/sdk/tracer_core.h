// TracerCore: the state behind a TracerProvider that spans need while they
// run (sampler, processor, scopes). Spans hold a raw pointer to it; the
// provider guarantees it outlives them (documented in sdk.h).
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "batch_span_processor.h"
#include "sampling_plan.h"
#include "span_record.h"
#include "tracery/sampler.h"
#include "tracery/sdk.h"

namespace tracery::internal {

class TracerCore {
 public:
  TracerCore(const sdk::SdkOptions& options, std::unique_ptr<SpanExporter> exporter, std::unique_ptr<Sampler> sampler);

  bool disabled() const { return disabled_; }
  Sampler& sampler() { return *sampler_; }
  const SamplingPlan& sampling_plan() const { return sampling_plan_; }
  BatchSpanProcessor& processor() { return *processor_; }
  // Interns (name, version); the returned pointer lives as long as the core.
  // Lock-free when the scope exists (instrumentation such as
  // tracery::http::TraceServer asks for its tracer on every request); the
  // first request for a scope takes scopes_mu_.
  const InstrumentationScope* GetScope(std::string_view name, std::string_view version);

 private:
  bool disabled_;
  std::unique_ptr<Sampler> sampler_;
  SamplingPlan sampling_plan_;  // decides for sampler_ without virtual calls where it can
  std::unique_ptr<BatchSpanProcessor> processor_;
  std::mutex scopes_mu_;
  std::deque<InstrumentationScope> scopes_;  // GUARDED_BY(scopes_mu_); deque: stable addresses
  // The first kMaxPublishedScopes entries of scopes_, readable without the
  // lock: slot i is written before published_scopes_ is raised past i.
  static constexpr size_t kMaxPublishedScopes = 64;
  std::atomic<const InstrumentationScope*> published_[kMaxPublishedScopes] = {};
  std::atomic<size_t> published_scopes_{0};
};

}  // namespace tracery::internal
