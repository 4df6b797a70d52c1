#include "cluster/forward_receiver.h"

#include "cluster/peer_client.h"
#include "storage/span_codec.h"

namespace tracery::cluster {

namespace {

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

}  // namespace

std::optional<HttpResponse> ForwardReceiver::Handle(const HttpRequest& req) {
  if (req.path == kHealthPath) {
    return ready_.load() ? Text(200, "ok\n") : Text(503, "not ready\n");
  }
  if (req.path != kForwardPath) return std::nullopt;
  if (req.method != "POST") return Text(405, "use POST\n");
  if (!ready_.load()) return Text(503, "collector is not ready; retry on another member\n");
  auto batch = storage::DecodeSpanBatch(req.body);
  if (!batch.ok()) return Text(400, "malformed forwarded batch: " + batch.status().message() + "\n");
  if (router_ != nullptr) router_->NoteHeldLocally(*batch);
  auto outcome = pipeline_->Accept(std::move(batch).value(), 0, "", "cluster");
  if (outcome.status.ok()) return Text(200, "ok\n");
  const auto code = outcome.status.code();
  HttpResponse r = Text(code == Status::Code::kResourceExhausted ? 429
                        : code == Status::Code::kUnavailable     ? 503
                                                                 : 500,
                        outcome.status.message() + "\n");
  if (outcome.retry_after_s > 0) r.headers.emplace_back("Retry-After", std::to_string(outcome.retry_after_s));
  return r;
}

}  // namespace tracery::cluster
