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
// Held spans are kept encoded (held_span.h), one byte buffer per trace,
// with resources and scopes shared between traces; only kept traces are
// decoded again. See docs/sampling.md for the costs.
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
#include "sampling/held_span.h"
#include "sampling/load_shedder.h"
#include "sampling/tail_policies.h"
#include "sampling/trace_id_map.h"

namespace tracery::sampling {

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

  // Holds the spans of `batch` (copied in encoded form; the caller keeps
  // `batch` and frees it as it would without tail sampling). Never waits for
  // a decision; may write to the store when kept traces are waiting.
  void Offer(const model::SpanBatch& batch);
  // Decides every due trace and writes kept ones. Returns traces decided.
  size_t Tick();
  // Decides every held trace now and writes what is kept (shutdown).
  void Flush();
  // Runs Tick every tick_interval_ns on a thread of its own until Stop.
  void Start();
  void Stop();

  TailSamplerStats stats() const;

 private:
  // Per held span, beside its record: what completeness checks and
  // reference counting need, contiguous so they never walk the records.
  struct HeldSpanKeys {
    uint64_t span_id = 0;
    uint64_t parent_span_id = 0;
    uint32_t resource_id = 0;  // interned, see resources_
    uint32_t scope_id = 0;
  };
  // One buffered trace. Its spans are held as records (held_span.h) in one
  // byte buffer, keys[i] belonging to the i-th record. What the policies
  // need is in `summary`, computed at insert, so dropped traces are never
  // decoded.
  struct BufferedTrace {
    TraceSummary summary;  // summary.trace_id is the trace's id
    HeldBytes records;
    std::vector<HeldSpanKeys> keys;
    uint64_t first_seen_ns = 0, last_seen_ns = 0;
    uint64_t bytes = 0;  // this trace's share of stats_.buffered_bytes
    uint32_t spans = 0;
    uint32_t incomplete_at_spans = 0;  // span count when last found incomplete
    uint32_t generation = 0;           // bumped each time the slot is freed
    bool root_seen = false;
    bool candidate = false;  // in completion_candidates_
  };
  // A buffered trace by slot, valid while the slot's generation matches.
  struct TraceRef {
    uint32_t slot = 0;
    uint32_t generation = 0;
  };
  // A buffered trace's bytes besides its records: the slot, its arrival entry
  // and its id-index entry (24 bytes at up to 7/8 load, counted as 32).
  static constexpr uint64_t kTraceOverheadBytes =
      sizeof(BufferedTrace) + sizeof(TraceRef) + 2 * sizeof(model::TraceId);
  // A resource (or scope) shared by buffered spans, kept once however many
  // traces use it. `key` is its encoding, which the id map points into.
  struct InternedResource {
    std::string key;
    model::Resource resource;
    std::string_view service;  // into resource
    uint64_t service_hash = 0;
    uint64_t matched = 0;  // TailPolicySet::ResourceMatches
    uint64_t bytes = 0;
    uint32_t refs = 0;  // buffered spans using it
    uint32_t generation = 0;
  };
  struct InternedScope {
    std::string key;
    model::Scope scope;
    uint64_t bytes = 0;
    uint32_t refs = 0;
    uint32_t generation = 0;
  };
  struct CachedDecision {
    model::TraceId id;
    double adjusted_count = 1;
    uint64_t decided_ns = 0;
    bool keep = false;
    bool priority = false;
  };
  struct PendingChunk {
    model::SpanBatch batch;
    std::vector<model::TraceId> traces;
    // (generation << 32 | interned id) -> index in batch.resources/scopes,
    // while spans are still being appended to this chunk.
    std::vector<std::pair<uint64_t, uint32_t>> resource_map, scope_map;
    bool priority = false;
  };
  enum class Reason { kComplete, kWait, kPressure, kFlush };

  // REQUIRES: mu_ held. Decides the trace in `slot` and frees the slot.
  void DecideLocked(uint32_t slot, Reason reason, uint64_t now_ns);
  void DecideDueLocked(uint64_t now_ns, bool all);  // REQUIRES: mu_ held
  void EnforceBoundsLocked(uint64_t now_ns);        // REQUIRES: mu_ held
  uint32_t NewTraceLocked(const model::TraceId& id, uint64_t now_ns);  // REQUIRES: mu_ held
  // REQUIRES: mu_ held. The interned id of the batch's resource / scope.
  uint32_t InternResourceLocked(const model::Resource& r);
  uint32_t InternScopeLocked(const model::Scope& s);
  void ReleaseLocked(const BufferedTrace& t);  // REQUIRES: mu_ held. Drops t's references.
  bool IsCompleteLocked(const BufferedTrace& t);  // REQUIRES: mu_ held
  CachedDecision* FindDecisionLocked(const model::TraceId& id);  // REQUIRES: mu_ held
  void RememberLocked(const CachedDecision& d);                   // REQUIRES: mu_ held
  void ExpireDecisionLocked();                                    // REQUIRES: mu_ held
  // REQUIRES: mu_ held. Decodes t's spans into the write queue.
  void QueueKeptLocked(const BufferedTrace& t, double adjusted, bool priority);
  void TrimPendingLocked();                         // REQUIRES: mu_ held
  void GiveUpLocked(const PendingChunk& chunk);     // REQUIRES: mu_ held
  void WritePending();  // REQUIRES: mu_ NOT held

  TailSamplerOptions options_;
  std::unique_ptr<TailPolicySet> policies_;
  WriteFn write_;
  LoadShedder* shedder_;

  mutable std::mutex mu_;
  // GUARDED_BY(mu_), everything down to stats_:
  std::vector<BufferedTrace> traces_;  // slots; free ones listed in free_slots_
  std::vector<uint32_t> free_slots_;
  TraceIdMap buffer_index_;              // trace id -> slot
  std::deque<TraceRef> arrival_;         // oldest first
  std::vector<TraceRef> completion_candidates_;  // root seen, undecided
  std::deque<InternedResource> resources_;       // deque: entries never move
  std::vector<uint32_t> free_resources_;
  std::unordered_map<std::string_view, uint32_t> resource_ids_;  // key -> id
  std::deque<InternedScope> scopes_;
  std::vector<uint32_t> free_scopes_;
  std::unordered_map<std::string_view, uint32_t> scope_ids_;
  std::deque<CachedDecision> decision_log_;  // oldest first
  uint64_t decision_log_base_ = 0;           // sequence number of decision_log_.front()
  TraceIdMap decision_index_;                // trace id -> sequence number of its newest decision
  std::deque<PendingChunk> pending_;
  uint64_t revocations_ = 0;  // kept decisions turned to drop (pending given up)
  uint64_t retry_not_before_ns_ = 0;  // store refused: back off until then
  double avg_record_bytes_ = 256;     // running average, sizes reservations
  std::string key_scratch_;
  HeldSpanWriter held_writer_;
  std::vector<uint32_t> resource_map_scratch_, scope_map_scratch_;  // batch index -> interned id
  std::vector<uint64_t> ids_scratch_;
  TailSamplerStats stats_;

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

}  // namespace tracery::sampling
