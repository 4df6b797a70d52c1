// SamplingApi: Jaeger's remote-sampling endpoint and Tracery's view of its
// adaptive decisions, as an HttpHandler (mounted on 5778 and 4318).
//
//   GET /sampling?service=NAME       Jaeger strategy JSON (sampling.proto shape)
//   GET /api/sampling?service=NAME   the same
//   GET /api/sampling/adaptive       current adaptive probabilities and the
//                                    observed rates behind them
//
// Which strategy a service gets: its own entry in the strategies file, else
// the adaptive sampler's (when enabled), else the file's default strategy
// (else `default_strategy`). Every served rate is multiplied by the load
// shedder's keep fraction, so SDKs sample harder while the collector sheds.
// A request without exactly one non-empty `service` parameter is a 400.
//
// Thread-safety: Handle may be called concurrently.
#pragma once

#include <functional>
#include <optional>

#include "common/http_types.h"
#include "sampling/adaptive_sampler.h"
#include "sampling/load_shedder.h"
#include "sampling/sampling_strategies.h"

namespace tracery::sampling {

struct SamplingApiOptions {
  ServiceStrategy default_strategy;  // used when no file is configured
  uint64_t file_poll_interval_ns = 5'000'000'000ULL;
  std::function<uint64_t()> clock_ns;  // default steady_clock
};

class SamplingApi : public HttpHandler {
 public:
  // Every pointer may be null (that source is then not used) and must
  // outlive the handler.
  SamplingApi(SamplingApiOptions options, StrategiesFile* file, AdaptiveSampler* adaptive, LoadShedder* shedder);

  std::optional<HttpResponse> Handle(const HttpRequest& req) override;

  // The strategy served to `service` before load-shedding scaling.
  ServiceStrategy StrategyFor(std::string_view service);

 private:
  SamplingApiOptions options_;
  StrategiesFile* file_;
  AdaptiveSampler* adaptive_;
  LoadShedder* shedder_;
};

}  // namespace tracery::sampling
