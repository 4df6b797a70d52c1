// ForwardReceiver: the cluster port's handler. Accepts batches forwarded by
// peers (POST kForwardPath, a span_codec-encoded SpanBatch) into the local
// pipeline without routing them again, and answers the peers' health checks
// (GET kHealthPath: 200 once SetReady(true), 503 before and while stopping).
//
// Thread-safety: Handle may be called concurrently.
#pragma once

#include <atomic>

#include "cluster/span_router.h"
#include "collector/span_pipeline.h"
#include "common/http_types.h"

namespace tracery::cluster {

class ForwardReceiver : public HttpHandler {
 public:
  // `local_pipeline` must have no router; neither pointer is owned.
  ForwardReceiver(collector::SpanPipeline* local_pipeline, SpanRouter* router)
      : pipeline_(local_pipeline), router_(router) {}
  void SetReady(bool ready) { ready_.store(ready); }
  std::optional<HttpResponse> Handle(const HttpRequest& req) override;

 private:
  collector::SpanPipeline* pipeline_;
  SpanRouter* router_;
  std::atomic<bool> ready_{false};
};

}  // namespace tracery::cluster
