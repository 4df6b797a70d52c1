// BASELINE, benchmark only: the tail sampler as it was before spans were
// held encoded (commit f4e60b7), frozen in namespace sampling::baseline so
// tracery_sampling_bench can compare old and new in one run on a noisy
// machine. Not linked into the server; delete once the comparison is no
// longer wanted.
// TailSampler: holds spans by trace id, then keeps or drops each whole trace.
//
// A trace is decided at the first of:
//  - completeness: its root span has arrived, every span that is the parent
//    of an arrived span has itself arrived, and no span arrived for
//    `completion_grace_ns`;
//  - `decision_wait_ns` after its first span arrived;
//  - memory pressure: buffered spans or bytes above their bounds decide the
//    oldest traces first (the buffer never grows past its bounds).
// Kept traces are written through `write` (normally SpanStore::Write) with
// every span carrying `tracery.adjusted_count` (times any count it already
// had). Spans arriving after their trace was decided follow the decision,
// remembered in a bounded decision cache (oldest entries expire first).
//
// Kept traces the store refuses stay queued and are retried on later ticks;
// that queue is bounded too (oldest non-priority traces are given up first,
// and a given-up trace's decision becomes "drop" so no partial trace is
// stored later).
//
// Durability: spans held here are acknowledged to clients before they are
// durable; a crash loses up to decision_wait of held spans (as with the
// OpenTelemetry collector's tail sampler). See docs/sampling.md.
//
// Thread-safety: Offer, Tick and Flush may be called concurrently; one mutex
// guards the buffer (taken once per Offer, not per span); store writes run
// outside it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/metrics_registry.h"
#include "common/status.h"
#include "model/span.h"
#include "sampling/consistent_trace_hash.h"
#include "sampling/load_shedder.h"
#include "sampling/baseline/tail_policies.h"

namespace tracery::sampling::baseline {

struct TailSamplerOptions {
  uint64_t decision_wait_ns = 10'000'000'000ULL;      // --tail-decision-wait
  uint64_t completion_grace_ns = 1'000'000'000ULL;
  size_t max_buffered_spans = 500'000;                // --tail-max-buffered-spans
  uint64_t max_buffered_bytes = 512ULL << 20;
  size_t decision_cache_entries = 1'000'000;          // ~40 bytes each
  uint64_t decision_cache_ttl_ns = 300'000'000'000ULL;
  size_t max_write_batch_spans = 8192;                // spans per store write
  size_t max_pending_write_spans = 100'000;           // kept, awaiting the store
  uint64_t tick_interval_ns = 100'000'000ULL;         // background ticker period
  // Monotonic clock in ns; default std::chrono::steady_clock. Tests inject.
  std::function<uint64_t()> clock_ns;
};

struct TailSamplerStats {
  uint64_t buffered_spans = 0, buffered_traces = 0, buffered_bytes = 0, pending_write_spans = 0;
  uint64_t traces_kept = 0, traces_dropped = 0, traces_shed = 0;
  uint64_t decided_complete = 0, decided_wait = 0, decided_pressure = 0, decided_flush = 0;
  uint64_t late_spans_kept = 0, late_spans_dropped = 0;
  uint64_t traces_lost_store_refused = 0;  // kept, then given up (store refused too long)
  uint64_t spans_written = 0, store_refusals = 0;
};

class TailSampler {
 public:
  using WriteFn = std::function<Status(const model::SpanBatch&)>;

  // `shedder` and `metrics` may be null and, if not, must outlive this.
  TailSampler(TailSamplerOptions options, std::unique_ptr<TailPolicySet> policies, WriteFn write,
              LoadShedder* shedder = nullptr, MetricsRegistry* metrics = nullptr);
  // Stops the ticker. Does not write what is held: call Flush() first.
  ~TailSampler();

  // Takes the spans of `batch` (left empty). Never waits for a decision;
  // may write to the store when kept traces are waiting to be written.
  void Offer(model::SpanBatch&& batch);
  // Decides every due trace and writes kept ones. Returns traces decided.
  size_t Tick();
  // Decides every held trace now and writes what is kept (shutdown).
  void Flush();
  // Runs Tick every tick_interval_ns on a thread of its own until Stop.
  void Start();
  void Stop();

  TailSamplerStats stats() const;

 private:
  struct BufferedTrace {
    model::SpanBatch batch;
    uint64_t first_seen_ns = 0, last_seen_ns = 0, bytes = 0;
    uint64_t offer_seq = 0;  // Offer call that last appended (for dedup below)
    uint32_t src_resource = 0, dst_resource = 0, src_scope = 0, dst_scope = 0;
    size_t incomplete_at_spans = 0;  // span count when last found incomplete
    bool root_seen = false;
    bool candidate = false;  // in completion_candidates_
  };
  struct CachedDecision {
    bool keep = false;
    bool priority = false;
    double adjusted_count = 1;
    uint64_t decided_ns = 0;
  };
  struct PendingChunk {
    model::SpanBatch batch;
    std::vector<model::TraceId> traces;
    bool priority = false;
  };
  enum class Reason { kComplete, kWait, kPressure, kFlush };

  // REQUIRES: mu_ held. Decides `it`'s trace and moves its spans on.
  void DecideLocked(std::unordered_map<model::TraceId, BufferedTrace, model::TraceIdHash>::iterator it,
                    Reason reason, uint64_t now_ns);
  void DecideDueLocked(uint64_t now_ns, bool all);  // REQUIRES: mu_ held
  void EnforceBoundsLocked(uint64_t now_ns);        // REQUIRES: mu_ held
  void RememberLocked(const model::TraceId& id, const CachedDecision& d);  // REQUIRES: mu_ held
  void QueueKeptLocked(model::SpanBatch&& spans, const model::TraceId& id, bool priority);  // REQUIRES: mu_ held
  void TrimPendingLocked();                         // REQUIRES: mu_ held
  void GiveUpLocked(const PendingChunk& chunk);     // REQUIRES: mu_ held
  static bool IsComplete(const model::SpanBatch& trace);
  static uint64_t EstimateBytes(const model::Span& s);
  void WritePending();  // REQUIRES: mu_ NOT held

  TailSamplerOptions options_;
  std::unique_ptr<TailPolicySet> policies_;
  WriteFn write_;
  LoadShedder* shedder_;

  mutable std::mutex mu_;
  std::unordered_map<model::TraceId, BufferedTrace, model::TraceIdHash> buffer_;  // GUARDED_BY(mu_)
  std::deque<std::pair<model::TraceId, uint64_t>> arrival_;  // (id, first_seen_ns), oldest first
  std::vector<model::TraceId> completion_candidates_;        // root seen, undecided
  std::unordered_map<model::TraceId, CachedDecision, model::TraceIdHash> decisions_;  // GUARDED_BY(mu_)
  std::deque<std::pair<model::TraceId, uint64_t>> decision_order_;  // (id, decided_ns), oldest first
  std::deque<PendingChunk> pending_;                                 // GUARDED_BY(mu_)
  uint64_t offer_seq_ = 0;
  uint64_t revocations_ = 0;  // kept decisions turned to drop (pending given up)
  uint64_t retry_not_before_ns_ = 0;  // store refused: back off until then
  TailSamplerStats stats_;    // GUARDED_BY(mu_)

  std::mutex write_mu_;  // one writer at a time keeps chunk order

  std::mutex ticker_mu_;
  std::condition_variable ticker_cv_;
  bool stop_ = false;
  std::thread ticker_;

  Counter* kept_counter_ = nullptr;
  Counter* dropped_counter_ = nullptr;
  Counter* shed_counter_ = nullptr;
  Counter* lost_counter_ = nullptr;
  std::shared_ptr<std::atomic<uint64_t>> buffered_gauge_;
};

}  // namespace tracery::sampling::baseline
