#include "cluster/span_router.h"

#include <algorithm>
#include <map>
#include <thread>

#include "storage/span_codec.h"

namespace tracery::cluster {

namespace {

uint64_t SteadyMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

bool Retryable(const Status& st) {
  return st.code() == Status::Code::kUnavailable || st.code() == Status::Code::kDeadlineExceeded;
}

}  // namespace

SpanRouter::SpanRouter(SpanRouterOptions options, Membership* membership, const PeerClient* peers,
                       MetricsRegistry* metrics)
    : options_(options),
      membership_(membership),
      peers_(peers),
      forwarded_spans_(metrics->GetCounter("tracery_cluster_forwarded_spans_total",
                                           "Spans forwarded to the collector owning their trace")),
      failovers_(metrics->GetCounter("tracery_cluster_failovers_total",
                                     "Forwards re-routed to the next owner because the owner was unreachable")),
      kept_recently_owned_(metrics->GetCounter("tracery_cluster_kept_recently_owned_spans_total",
                                               "Spans kept here because their trace was held here when the ring changed")) {}

bool SpanRouter::RecentlyOwned(const model::TraceId& id, uint64_t now_ms) {
  std::lock_guard<std::mutex> lock(held_mu_);
  auto it = held_until_ms_.find(id);
  return it != held_until_ms_.end() && it->second > now_ms;
}

void SpanRouter::NoteHeldLocally(const model::SpanBatch& batch) {
  const uint64_t now = SteadyMs();
  const uint64_t until = now + options_.recently_owned_ttl_ms;
  std::lock_guard<std::mutex> lock(held_mu_);
  if (now >= next_sweep_ms_ || held_until_ms_.size() >= options_.max_recently_owned) {
    next_sweep_ms_ = now + 1'000;
    for (auto it = held_until_ms_.begin(); it != held_until_ms_.end();) {
      it = it->second <= now ? held_until_ms_.erase(it) : std::next(it);
    }
    // Still full: forget everything rather than grow without bound; the
    // cost is a possible split of traces in flight during a ring change.
    if (held_until_ms_.size() >= options_.max_recently_owned) held_until_ms_.clear();
  }
  for (const auto& s : batch.spans) held_until_ms_[s.trace_id] = until;
}

Status SpanRouter::ForwardWithRetries(const std::string& member, const std::string& encoded) {
  {
    std::lock_guard<std::mutex> lock(in_flight_mu_);
    int& n = in_flight_[member];
    if (n >= options_.max_in_flight_per_peer) {
      return Status::ResourceExhausted("too many batches in flight to cluster peer " + member +
                                       "; retry after a short wait");
    }
    ++n;
  }
  Status st;
  for (int attempt = 0; attempt < std::max(1, options_.attempts); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options_.retry_backoff_ms));
    st = peers_->Forward(member, encoded);
    if (!Retryable(st)) break;
  }
  std::lock_guard<std::mutex> lock(in_flight_mu_);
  --in_flight_[member];
  return st;
}

Status SpanRouter::Route(model::SpanBatch* batch) {
  const auto ring = membership_->ring();
  const std::string& self = membership_->self();
  if (ring->members().size() <= 1) {
    NoteHeldLocally(*batch);
    return Status::Ok();
  }
  const uint64_t now = SteadyMs();
  // Owner per span; spans of one trace always get the same owner.
  std::vector<std::string> unreachable;
  // The ring holds only live members; those found unreachable during this
  // call are skipped as well.
  auto usable = [&](const std::string& m) {
    return std::find(unreachable.begin(), unreachable.end(), m) == unreachable.end();
  };
  model::SpanBatch local;
  std::map<std::string, model::SpanBatch> remote;
  for (const auto& s : batch->spans) {
    const std::string* owner = ring->OwnerWhere(s.trace_id, usable);
    if (owner == nullptr || *owner == self) {
      local.AppendFrom(*batch, s);
    } else if (RecentlyOwned(s.trace_id, now)) {
      kept_recently_owned_->Add(1);
      local.AppendFrom(*batch, s);
    } else {
      remote[*owner].AppendFrom(*batch, s);
    }
  }
  std::string encoded;
  while (!remote.empty()) {
    auto node = remote.extract(remote.begin());
    const std::string& member = node.key();
    model::SpanBatch& part = node.mapped();
    encoded.clear();
    storage::EncodeSpanBatch(part, &encoded);
    Status st = ForwardWithRetries(member, encoded);
    if (st.ok()) {
      forwarded_spans_->Add(part.spans.size());
      continue;
    }
    if (!Retryable(st)) return st;
    // The owner is down: it leaves the ring and its spans go to the next
    // owner clockwise (or stay here).
    membership_->ReportUnreachable(member);
    unreachable.push_back(member);
    failovers_->Add(1);
    for (const auto& s : part.spans) {
      const std::string* next = ring->OwnerWhere(s.trace_id, usable);
      if (next == nullptr || *next == self) {
        local.AppendFrom(part, s);
      } else {
        remote[*next].AppendFrom(part, s);
      }
    }
  }
  NoteHeldLocally(local);
  *batch = std::move(local);
  return Status::Ok();
}

}  // namespace tracery::cluster
