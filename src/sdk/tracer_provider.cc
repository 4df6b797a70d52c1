#include <atomic>

#include "tracer_core.h"
#include "tracery/sdk.h"

namespace tracery {
namespace internal {

TracerCore::TracerCore(const sdk::SdkOptions& options, std::unique_ptr<SpanExporter> exporter,
                       std::unique_ptr<Sampler> sampler)
    : disabled_(options.disabled), sampler_(std::move(sampler)) {
  if (!sampler_) sampler_ = sdk::MakeSampler(options.sampler, options.resource.service_name);
  sampling_plan_ = PlanSampling(*sampler_);
  if (!disabled_) {
    processor_ = std::make_unique<BatchSpanProcessor>(options.batch, std::move(exporter),
                                                      sdk::DetectResource(options.resource));
  }
}

const InstrumentationScope* TracerCore::GetScope(std::string_view name, std::string_view version) {
  const size_t published = published_scopes_.load(std::memory_order_acquire);
  for (size_t i = 0; i < published; ++i) {
    const InstrumentationScope* s = published_[i].load(std::memory_order_relaxed);
    if (s->name == name && s->version == version) return s;
  }
  std::lock_guard<std::mutex> lock(scopes_mu_);
  for (const InstrumentationScope& s : scopes_) {
    if (s.name == name && s.version == version) return &s;
  }
  const InstrumentationScope* added =
      &scopes_.emplace_back(InstrumentationScope{std::string(name), std::string(version)});
  const size_t n = published_scopes_.load(std::memory_order_relaxed);
  if (n < kMaxPublishedScopes) {
    published_[n].store(added, std::memory_order_relaxed);
    published_scopes_.store(n + 1, std::memory_order_release);
  }
  return added;
}

}  // namespace internal

TracerProvider::TracerProvider(const sdk::SdkOptions& options, std::unique_ptr<SpanExporter> exporter,
                               std::unique_ptr<Sampler> sampler)
    : core_(std::make_unique<internal::TracerCore>(options, std::move(exporter), std::move(sampler))) {}


Tracer TracerProvider::GetTracer(std::string_view name, std::string_view version) {
  return Tracer(core_.get(), core_->GetScope(name, version));
}

bool TracerProvider::ForceFlush(std::chrono::milliseconds timeout) {
  return core_->disabled() ? true : core_->processor().ForceFlush(timeout);
}

bool TracerProvider::Shutdown(std::chrono::milliseconds timeout) {
  return core_->disabled() ? true : core_->processor().Shutdown(timeout);
}

ExportStats TracerProvider::Stats() const { return core_->disabled() ? ExportStats{} : core_->processor().Stats(); }

namespace {
std::atomic<TracerProvider*> g_provider{nullptr};
}

TracerProvider::~TracerProvider() {
  TracerProvider* self = this;
  g_provider.compare_exchange_strong(self, nullptr);  // GetTracer must not hand out a dead provider
  Shutdown();
}

void SetGlobalTracerProvider(TracerProvider* provider) { g_provider.store(provider, std::memory_order_release); }

Tracer GetTracer(std::string_view name, std::string_view version) {
  TracerProvider* p = g_provider.load(std::memory_order_acquire);
  return p ? p->GetTracer(name, version) : Tracer();
}

}  // namespace tracery
