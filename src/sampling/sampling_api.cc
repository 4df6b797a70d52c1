#include "sampling/sampling_api.h"

#include <chrono>

#include "common/json_escape.h"

namespace tracery::sampling {
namespace {

HttpResponse JsonError(int status, std::string_view message) {
  std::string body = "{\"error\":\"";
  AppendJsonEscaped(&body, message);
  body += "\"}";
  return HttpResponse::Json(status, std::move(body));
}

}  // namespace

SamplingApi::SamplingApi(SamplingApiOptions options, StrategiesFile* file, AdaptiveSampler* adaptive,
                         LoadShedder* shedder)
    : options_(std::move(options)), file_(file), adaptive_(adaptive), shedder_(shedder) {
  if (!options_.clock_ns)
    options_.clock_ns = [] {
      return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::steady_clock::now().time_since_epoch())
                                       .count());
    };
}

ServiceStrategy SamplingApi::StrategyFor(std::string_view service) {
  std::shared_ptr<const StrategiesConfig> cfg;
  if (file_) {
    file_->MaybeReload(options_.clock_ns(), options_.file_poll_interval_ns);
    cfg = file_->Current();
    auto it = cfg->services.find(std::string(service));
    if (it != cfg->services.end()) return it->second;
  }
  if (adaptive_) return adaptive_->StrategyFor(service);
  return cfg ? cfg->default_strategy : options_.default_strategy;
}

std::optional<HttpResponse> SamplingApi::Handle(const HttpRequest& req) {
  const bool strategy_path = req.path == "/sampling" || req.path == "/api/sampling";
  const bool adaptive_path = req.path == "/api/sampling/adaptive";
  if (!strategy_path && !adaptive_path) return std::nullopt;
  if (req.method != "GET" && req.method != "HEAD") {
    HttpResponse r = JsonError(405, "only GET is allowed on " + req.path);
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  if (adaptive_path) {
    if (!adaptive_) return JsonError(404, "adaptive sampling is not enabled (start with --adaptive-sampling)");
    return HttpResponse::Json(200, adaptive_->RenderJson());
  }
  auto services = req.Params("service");
  if (services.size() != 1)
    return JsonError(400, services.empty() ? "'service' parameter must be provided"
                                           : "'service' parameter must occur only once");
  if (services[0].empty()) return JsonError(400, "'service' parameter must not be empty");
  const double factor = shedder_ ? shedder_->keep_fraction() : 1.0;
  return HttpResponse::Json(200, RenderJaegerStrategyJson(StrategyFor(services[0]), factor));
}

}  // namespace tracery::sampling
