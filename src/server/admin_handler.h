// AdminHandler: the admin port (14269): /metrics (Prometheus text),
// /healthz (process is alive), /readyz (every listener started and the
// store open; 503 otherwise).
#pragma once

#include <atomic>
#include <functional>

#include "common/http_types.h"
#include "common/metrics_registry.h"

namespace tracery::server {

class AdminHandler : public HttpHandler {
 public:
  explicit AdminHandler(MetricsRegistry* metrics) : metrics_(metrics) {}
  void SetReady(bool ready) { ready_.store(ready); }
  std::optional<HttpResponse> Handle(const HttpRequest& req) override;

 private:
  MetricsRegistry* metrics_;
  std::atomic<bool> ready_{false};
};

}  // namespace tracery::server
