// PeerClient: how one collector talks to another over the cluster port:
// forwarding a batch of spans the peer owns (POST kForwardPath, the body a
// span_codec-encoded SpanBatch, docs/formats/wal.md's payload format) and
// the health check (GET kHealthPath, 200 when the peer accepts spans).
//
// Thread-safety: every method may be called concurrently. One short-lived
// connection per request (loopback or LAN; see docs/cluster.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tracery::cluster {

inline constexpr std::string_view kForwardPath = "/cluster/v1/spans";
inline constexpr std::string_view kHealthPath = "/cluster/health";

struct PeerClientOptions {
  uint64_t forward_timeout_ms = 5'000;
  uint64_t health_timeout_ms = 500;
};

class PeerClient {
 public:
  explicit PeerClient(PeerClientOptions options = {}) : options_(options) {}

  // Sends the encoded batch to `member` (host:port). OK once the peer has
  // accepted it (durable by the peer's policy). Unavailable when the peer
  // cannot be reached or answers 5xx other than 503; ResourceExhausted when
  // it sheds load (429/503); InvalidArgument when it rejected the body.
  Status Forward(const std::string& member, std::string_view encoded_batch) const;
  bool Healthy(const std::string& member) const;

 private:
  PeerClientOptions options_;
};

}  // namespace tracery::cluster
