// SpanRouter: sends each span to the collector that owns its trace on the
// hash ring, so that tail sampling sees whole traces. Used as the
// SpanPipeline's router on every collector in a cluster.
//
// Route() keeps in the batch the spans this node owns and forwards the
// rest, one request per owner, synchronously: the client's request is
// acknowledged only once every owner acknowledged its part, so a collector
// crash never loses spans a client saw acknowledged (docs/cluster.md).
//  - An owner that cannot be reached after `attempts` tries is reported to
//    Membership (it leaves the ring) and its spans go to the next owner on
//    the ring; when no peer is reachable the spans stay here.
//  - A trace this node held recently ("recently owned": spans accepted
//    here in the last `recently_owned_ttl_ms`) stays here even when the
//    ring now names another owner, so a membership change does not split a
//    trace the local tail sampler is still deciding.
//  - At most `max_in_flight_per_peer` forwards to one peer at once; past
//    that Route returns ResourceExhausted (the client retries), which
//    bounds the memory held for a slow peer.
//
// Thread-safety: Route may be called concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cluster/membership.h"
#include "cluster/peer_client.h"
#include "common/metrics_registry.h"
#include "common/status.h"
#include "model/ids.h"
#include "model/span.h"

namespace tracery::cluster {

struct SpanRouterOptions {
  int attempts = 2;                     // per owner, before failing over
  uint64_t retry_backoff_ms = 50;
  int max_in_flight_per_peer = 64;
  uint64_t recently_owned_ttl_ms = 15'000;  // >= the tail sampler's decision wait
  size_t max_recently_owned = 1'000'000;    // traces remembered at most
};

class SpanRouter {
 public:
  // Neither pointer is owned; both must outlive the router.
  SpanRouter(SpanRouterOptions options, Membership* membership, const PeerClient* peers, MetricsRegistry* metrics);

  // Leaves in *batch the spans to keep here; forwards the others. On a
  // non-OK status *batch is unchanged except that spans already accepted by
  // peers may have been forwarded (a retry of the whole request then
  // duplicates them; the query side removes duplicates).
  Status Route(model::SpanBatch* batch);

  // Records that the traces of `batch` are held here (spans forwarded to
  // this node by a peer are noted too).
  void NoteHeldLocally(const model::SpanBatch& batch);

 private:
  bool RecentlyOwned(const model::TraceId& id, uint64_t now_ms);
  Status ForwardWithRetries(const std::string& member, const std::string& encoded);

  const SpanRouterOptions options_;
  Membership* membership_;
  const PeerClient* peers_;
  Counter* forwarded_spans_;
  Counter* failovers_;
  Counter* kept_recently_owned_;

  std::mutex held_mu_;
  std::unordered_map<model::TraceId, uint64_t, model::TraceIdHash> held_until_ms_;  // GUARDED_BY(held_mu_)
  uint64_t next_sweep_ms_ = 0;                                                     // GUARDED_BY(held_mu_)

  std::mutex in_flight_mu_;
  std::unordered_map<std::string, int> in_flight_;  // GUARDED_BY(in_flight_mu_)
};

}  // namespace tracery::cluster
