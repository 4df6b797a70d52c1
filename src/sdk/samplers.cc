#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <simdjson.h>

#include "http_client.h"
#include "sampling_plan.h"
#include "tracery/sampler.h"

namespace tracery {
namespace {

class AlwaysOnSampler final : public Sampler {
 public:
  SamplingDecision ShouldSample(const SamplingParams&) override { return SamplingDecision::kRecordAndSample; }
  std::string Description() const override { return "AlwaysOnSampler"; }
};

class AlwaysOffSampler final : public Sampler {
 public:
  SamplingDecision ShouldSample(const SamplingParams&) override { return SamplingDecision::kDrop; }
  std::string Description() const override { return "AlwaysOffSampler"; }
};

class TraceIdRatioSampler final : public Sampler {
 public:
  explicit TraceIdRatioSampler(double ratio) : ratio_(std::clamp(std::isnan(ratio) ? 0.0 : ratio, 0.0, 1.0)) {
    // As the Java and Go SDKs: bound = ratio * INT64_MAX; ratio 0 samples nothing.
    bound_ = ratio_ == 0.0 ? std::numeric_limits<int64_t>::min()
             : ratio_ == 1.0
                 ? std::numeric_limits<int64_t>::max()
                 : static_cast<int64_t>(ratio_ * static_cast<double>(std::numeric_limits<int64_t>::max()));
  }
  SamplingDecision ShouldSample(const SamplingParams& p) override { return Decide(p.trace_id); }
  SamplingDecision Decide(const TraceId& id) const {
    if (ratio_ == 1.0) return SamplingDecision::kRecordAndSample;
    return internal::SamplingPlan::TraceIdRatioDecision(id.low, bound_);
  }
  double ratio() const { return ratio_; }
  int64_t bound() const { return bound_; }
  std::string Description() const override { return "TraceIdRatioBased{" + std::to_string(ratio_) + "}"; }

 private:
  double ratio_;
  int64_t bound_;
};

class ParentBasedSampler final : public Sampler {
 public:
  ParentBasedSampler(std::unique_ptr<Sampler> root, ParentBasedOptions d)
      : default_delegates_(!d.remote_parent_sampled && !d.remote_parent_not_sampled && !d.local_parent_sampled &&
                           !d.local_parent_not_sampled),
        root_(std::move(root)),
        remote_sampled_(d.remote_parent_sampled ? std::move(d.remote_parent_sampled) : MakeAlwaysOnSampler()),
        remote_not_sampled_(d.remote_parent_not_sampled ? std::move(d.remote_parent_not_sampled)
                                                        : MakeAlwaysOffSampler()),
        local_sampled_(d.local_parent_sampled ? std::move(d.local_parent_sampled) : MakeAlwaysOnSampler()),
        local_not_sampled_(d.local_parent_not_sampled ? std::move(d.local_parent_not_sampled)
                                                      : MakeAlwaysOffSampler()) {}
  SamplingDecision ShouldSample(const SamplingParams& p) override {
    if (p.parent == nullptr || !p.parent->IsValid()) return root_->ShouldSample(p);
    // The common cases decided without a second virtual call.
    if (p.parent->is_remote) {
      return (p.parent->IsSampled() ? remote_sampled_ : remote_not_sampled_)->ShouldSample(p);
    }
    return (p.parent->IsSampled() ? local_sampled_ : local_not_sampled_)->ShouldSample(p);
  }
  std::string Description() const override { return "ParentBased{root=" + root_->Description() + "}"; }
  bool default_delegates() const { return default_delegates_; }
  Sampler& root() const { return *root_; }

 private:
  bool default_delegates_;  // all four delegates are the spec's defaults
  std::unique_ptr<Sampler> root_, remote_sampled_, remote_not_sampled_, local_sampled_, local_not_sampled_;
};

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// GCRA ("generic cell rate algorithm") token bucket on one atomic: the
// theoretical arrival time of the next admitted trace.
class RateLimitingSampler final : public Sampler {
 public:
  explicit RateLimitingSampler(double per_second) : per_second_(per_second) {
    if (!(per_second > 0)) {
      interval_ns_ = 0;
      return;
    }
    interval_ns_ = static_cast<int64_t>(1e9 / per_second);
    if (interval_ns_ < 1) interval_ns_ = 1;
    burst_ns_ = static_cast<int64_t>(std::max(1.0, per_second) * static_cast<double>(interval_ns_));
    tat_ns_.store(SteadyNowNs() - burst_ns_ + interval_ns_);
  }
  SamplingDecision ShouldSample(const SamplingParams&) override {
    return Admit() ? SamplingDecision::kRecordAndSample : SamplingDecision::kDrop;
  }
  bool Admit() {
    if (interval_ns_ == 0) return false;
    int64_t now = SteadyNowNs();
    int64_t tat = tat_ns_.load(std::memory_order_relaxed);
    for (;;) {
      int64_t new_tat = std::max(tat, now) + interval_ns_;
      if (new_tat - now > burst_ns_) return false;
      if (tat_ns_.compare_exchange_weak(tat, new_tat, std::memory_order_relaxed)) return true;
    }
  }
  std::string Description() const override { return "RateLimitingSampler{" + std::to_string(per_second_) + "}"; }

 private:
  double per_second_;
  int64_t interval_ns_ = 0;
  int64_t burst_ns_ = 0;
  std::atomic<int64_t> tat_ns_{0};
};

// Jaeger per-operation strategy: each operation has a probability and the
// lower-bound limiter guarantees a minimum rate for every operation.
class PerOperationSampler final : public Sampler {
 public:
  PerOperationSampler(double default_probability, double lower_bound_per_second,
                      std::vector<std::pair<std::string, double>> operations)
      : default_(default_probability), lower_bound_per_second_(lower_bound_per_second) {
    for (auto& [op, p] : operations) {
      ops_.emplace(op, Op{std::make_unique<TraceIdRatioSampler>(p),
                          std::make_unique<RateLimitingSampler>(lower_bound_per_second)});
    }
    default_lower_ = std::make_unique<RateLimitingSampler>(lower_bound_per_second);
  }
  SamplingDecision ShouldSample(const SamplingParams& p) override {
    auto it = ops_.find(std::string_view(p.name));
    if (it != ops_.end()) {
      if (it->second.probabilistic->Decide(p.trace_id) == SamplingDecision::kRecordAndSample ||
          it->second.lower_bound->Admit()) {
        return SamplingDecision::kRecordAndSample;
      }
      return SamplingDecision::kDrop;
    }
    if (default_.Decide(p.trace_id) == SamplingDecision::kRecordAndSample || default_lower_->Admit()) {
      return SamplingDecision::kRecordAndSample;
    }
    return SamplingDecision::kDrop;
  }
  std::string Description() const override { return "PerOperationSampler"; }

 private:
  struct Op {
    std::unique_ptr<TraceIdRatioSampler> probabilistic;
    std::unique_ptr<RateLimitingSampler> lower_bound;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  TraceIdRatioSampler default_;
  double lower_bound_per_second_;
  std::unique_ptr<RateLimitingSampler> default_lower_;
  std::unordered_map<std::string, Op, Hash, std::equal_to<>> ops_;
};

bool ReadProbability(simdjson::dom::element e, double* out) {
  double v;
  if (e.get_double().get(v) != simdjson::SUCCESS) {
    int64_t i;
    if (e.get_int64().get(i) != simdjson::SUCCESS) return false;
    v = static_cast<double>(i);
  }
  *out = v;
  return true;
}

}  // namespace

std::unique_ptr<Sampler> MakeAlwaysOnSampler() { return std::make_unique<AlwaysOnSampler>(); }
std::unique_ptr<Sampler> MakeAlwaysOffSampler() { return std::make_unique<AlwaysOffSampler>(); }
std::unique_ptr<Sampler> MakeTraceIdRatioSampler(double ratio) { return std::make_unique<TraceIdRatioSampler>(ratio); }
std::unique_ptr<Sampler> MakeParentBasedSampler(std::unique_ptr<Sampler> root, ParentBasedOptions delegates) {
  return std::make_unique<ParentBasedSampler>(root ? std::move(root) : MakeAlwaysOnSampler(), std::move(delegates));
}
std::unique_ptr<Sampler> MakeRateLimitingSampler(double traces_per_second) {
  return std::make_unique<RateLimitingSampler>(traces_per_second);
}

namespace internal {
namespace {
// The rule for a sampler that ignores the parent.
void PlanRule(Sampler& sampler, SamplingPlan& plan) {
  if (dynamic_cast<AlwaysOnSampler*>(&sampler)) {
    plan.rule = SamplingPlan::Rule::kAlwaysOn;
  } else if (dynamic_cast<AlwaysOffSampler*>(&sampler)) {
    plan.rule = SamplingPlan::Rule::kAlwaysOff;
  } else if (auto* ratio = dynamic_cast<TraceIdRatioSampler*>(&sampler)) {
    plan.rule = ratio->ratio() == 1.0 ? SamplingPlan::Rule::kAlwaysOn : SamplingPlan::Rule::kTraceIdRatio;
    plan.ratio_bound = ratio->bound();
  } else {
    plan.rule = SamplingPlan::Rule::kVirtual;
    plan.virtual_sampler = &sampler;
  }
}
}  // namespace

SamplingPlan PlanSampling(Sampler& sampler) {
  SamplingPlan plan;
  auto* parent_based = dynamic_cast<ParentBasedSampler*>(&sampler);
  if (parent_based && parent_based->default_delegates()) {
    plan.parent_based_defaults = true;
    PlanRule(parent_based->root(), plan);
  } else if (parent_based) {
    plan.rule = SamplingPlan::Rule::kVirtual;  // custom delegates: let it decide
    plan.virtual_sampler = &sampler;
  } else {
    PlanRule(sampler, plan);
  }
  return plan;
}
}  // namespace internal

std::unique_ptr<Sampler> ParseSamplingStrategy(std::string_view json, std::string* error) {
  auto fail = [&](std::string message) -> std::unique_ptr<Sampler> {
    if (error) *error = std::move(message);
    return nullptr;
  };
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json.data(), json.size());
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return fail(std::string("sampling strategy is not JSON: ") + simdjson::error_message(err));
  }
  if (!doc.is_object()) return fail("sampling strategy must be a JSON object");

  simdjson::dom::element ops;
  if (doc["operationSampling"].get(ops) == simdjson::SUCCESS && ops.is_object()) {
    double def = 0, lower = 0;
    simdjson::dom::element e;
    if (ops["defaultSamplingProbability"].get(e) != simdjson::SUCCESS || !ReadProbability(e, &def) || def < 0 ||
        def > 1) {
      return fail("operationSampling.defaultSamplingProbability must be a number in [0, 1]");
    }
    if (ops["defaultLowerBoundTracesPerSecond"].get(e) == simdjson::SUCCESS && !ReadProbability(e, &lower)) {
      return fail("operationSampling.defaultLowerBoundTracesPerSecond must be a number");
    }
    std::vector<std::pair<std::string, double>> per_op;
    simdjson::dom::array arr;
    if (ops["perOperationStrategies"].get(arr) == simdjson::SUCCESS) {
      for (simdjson::dom::element item : arr) {
        std::string_view name;
        double rate;
        simdjson::dom::element rate_el;
        if (item["operation"].get(name) != simdjson::SUCCESS ||
            item["probabilisticSampling"]["samplingRate"].get(rate_el) != simdjson::SUCCESS ||
            !ReadProbability(rate_el, &rate) || rate < 0 || rate > 1) {
          return fail("perOperationStrategies entries need \"operation\" and probabilisticSampling.samplingRate in [0, 1]");
        }
        per_op.emplace_back(std::string(name), rate);
      }
    }
    return std::make_unique<PerOperationSampler>(def, std::max(0.0, lower), std::move(per_op));
  }

  std::string_view type;
  if (doc["strategyType"].get(type) != simdjson::SUCCESS) {
    // Some servers send the type as 0/1 (protobuf enum numbering).
    int64_t t;
    if (doc["strategyType"].get(t) != simdjson::SUCCESS) return fail("sampling strategy has no strategyType");
    type = t == 1 ? "RATE_LIMITING" : "PROBABILISTIC";
  }
  simdjson::dom::element e;
  if (type == "PROBABILISTIC") {
    double rate;
    if (doc["probabilisticSampling"]["samplingRate"].get(e) != simdjson::SUCCESS || !ReadProbability(e, &rate) ||
        rate < 0 || rate > 1) {
      return fail("probabilisticSampling.samplingRate must be a number in [0, 1]");
    }
    return MakeTraceIdRatioSampler(rate);
  }
  if (type == "RATE_LIMITING") {
    double rate;
    if (doc["rateLimitingSampling"]["maxTracesPerSecond"].get(e) != simdjson::SUCCESS ||
        !ReadProbability(e, &rate) || rate < 0) {
      return fail("rateLimitingSampling.maxTracesPerSecond must be a non-negative number");
    }
    return MakeRateLimitingSampler(rate);
  }
  return fail("unknown strategyType '" + std::string(type) + "' (want PROBABILISTIC or RATE_LIMITING)");
}

// Polls the strategy endpoint on its own thread; the current strategy is an
// atomic pointer, so ShouldSample is a load plus the delegate's call.
// Superseded strategies are kept until destruction (they change rarely, and
// a reader may still be inside one).
class RemoteSampler final : public Sampler {
 public:
  explicit RemoteSampler(RemoteSamplerOptions options) : options_(std::move(options)) {
    owned_.push_back(MakeTraceIdRatioSampler(options_.initial_sampling_rate));
    current_.store(owned_.back().get());
    thread_ = std::thread([this] { Poll(); });
  }
  ~RemoteSampler() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  SamplingDecision ShouldSample(const SamplingParams& p) override {
    return current_.load(std::memory_order_acquire)->ShouldSample(p);
  }
  std::string Description() const override { return "JaegerRemoteSampler{" + options_.service_name + "}"; }

 private:
  void FetchOnce() {
    std::string url = options_.endpoint + (options_.endpoint.find('?') == std::string::npos ? "?" : "&") +
                      "service=" + options_.service_name;
    auto parsed = internal::ParseHttpUrl(url);
    if (!parsed.ok()) return;
    auto answer = internal::HttpRoundTrip(*parsed, "GET", {}, {},
                                          std::chrono::steady_clock::now() + std::chrono::seconds(5));
    if (!answer.ok() || answer->status != 200) return;  // keep the last good strategy
    if (answer->body == last_body_) return;
    std::string error;
    std::unique_ptr<Sampler> s = ParseSamplingStrategy(answer->body, &error);
    if (!s) return;  // garbage: keep the last good strategy
    last_body_ = answer->body;
    owned_.push_back(std::move(s));
    current_.store(owned_.back().get(), std::memory_order_release);
  }
  void Poll() {
    for (;;) {
      FetchOnce();
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, options_.poll_interval, [&] { return stop_; })) return;
    }
  }

  RemoteSamplerOptions options_;
  std::atomic<Sampler*> current_{nullptr};
  std::vector<std::unique_ptr<Sampler>> owned_;  // poll thread only (and destructor)
  std::string last_body_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

std::unique_ptr<Sampler> MakeRemoteSampler(RemoteSamplerOptions options) {
  return std::make_unique<RemoteSampler>(std::move(options));
}

}  // namespace tracery
