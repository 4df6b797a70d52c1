#include "server/admin_handler.h"

namespace tracery::server {

std::optional<HttpResponse> AdminHandler::Handle(const HttpRequest& req) {
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  HttpResponse r;
  if (req.path == "/metrics") {
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics_->RenderPrometheus();
    return r;
  }
  if (req.path == "/healthz") {
    r.body = "{\"status\":\"ok\"}";
    return r;
  }
  if (req.path == "/readyz") {
    bool ready = ready_.load();
    r.status = ready ? 200 : 503;
    r.body = ready ? "{\"status\":\"ready\"}" : "{\"status\":\"starting\"}";
    return r;
  }
  return std::nullopt;
}

}  // namespace tracery::server
