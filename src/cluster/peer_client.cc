#include "cluster/peer_client.h"

#include <chrono>

#include "sdk/http_client.h"

namespace tracery::cluster {

namespace {

Result<internal::HttpUrl> UrlFor(const std::string& member, std::string_view path) {
  return internal::ParseHttpUrl("http://" + member + std::string(path));
}

}  // namespace

Status PeerClient::Forward(const std::string& member, std::string_view encoded_batch) const {
  auto url = UrlFor(member, kForwardPath);
  if (!url.ok()) return Status::InvalidArgument("cluster member " + member + ": " + url.status().message());
  auto answer = internal::HttpRoundTrip(
      *url, "POST", {{"Content-Type", "application/x-tracery-span-batch"}}, encoded_batch,
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.forward_timeout_ms));
  if (!answer.ok()) return Status::Unavailable("forwarding to " + member + ": " + answer.status().message());
  if (answer->status == 200) return Status::Ok();
  if (answer->status == 429 || answer->status == 503) {
    return Status::ResourceExhausted("peer " + member + " is shedding load: " + answer->body);
  }
  if (answer->status >= 400 && answer->status < 500) {
    return Status::InvalidArgument("peer " + member + " rejected a forwarded batch: " + answer->body);
  }
  return Status::Unavailable("peer " + member + " answered " + std::to_string(answer->status) + ": " + answer->body);
}

bool PeerClient::Healthy(const std::string& member) const {
  auto url = UrlFor(member, kHealthPath);
  if (!url.ok()) return false;
  auto answer = internal::HttpRoundTrip(
      *url, "GET", {}, {}, std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.health_timeout_ms));
  return answer.ok() && answer->status == 200;
}

}  // namespace tracery::cluster
