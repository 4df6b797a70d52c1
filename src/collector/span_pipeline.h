// SpanPipeline: what every receiver hands decoded spans to. It runs the
// observers that must see every span (ingest-time metrics, before any
// sampling drops traces) and then writes durably to the store.
//
// With sampling enabled (EnableSampling) the order is:
//   decoder validation -> load-shedding admission -> observers (metrics,
//   adaptive sampler) -> tail sampler -> store (written by the tail sampler
//   when it keeps a trace).
//
// Thread-safety: Accept may be called concurrently from every receiver.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics_registry.h"
#include "common/status.h"
#include "model/span.h"
#include "sampling/load_shedder.h"
#include "sampling/tail_sampler.h"
#include "storage/span_store.h"

namespace tracery::collector {

struct AcceptOutcome {
  Status status;              // OK once accepted spans are durable
  int64_t accepted_spans = 0;
  int64_t rejected_spans = 0;  // failed validation (not retryable)
  std::string rejection_message;
  // When status is ResourceExhausted because the collector sheds load:
  // seconds the client should wait (for Retry-After); 0 otherwise.
  uint64_t retry_after_s = 0;
};

class SpanPipeline {
 public:
  using Observer = std::function<void(const model::SpanBatch&)>;

  // `store` is not owned and must outlive the pipeline.
  SpanPipeline(storage::SpanStore* store, MetricsRegistry* metrics);

  // Observers run in registration order on every accepted batch, on the
  // receiving thread, before the write. Register before serving traffic.
  void AddObserver(Observer observer);

  // Turns on sampling stages; either may be null. Not owned; both must
  // outlive the pipeline. Call before serving traffic.
  //  - tail: accepted batches go to the tail sampler (which writes kept
  //    traces to the store itself, normally through store->Write); Accept
  //    then returns OK once the spans are held, before they are durable
  //    (see docs/sampling.md, "Durability").
  //  - shedder: batches are refused with ResourceExhausted (retryable) when
  //    it says so; without a tail sampler, whole traces are also dropped by
  //    trace-id hash at its keep fraction and the kept spans carry
  //    tracery.adjusted_count.
  void EnableSampling(sampling::TailSampler* tail, sampling::LoadShedder* shedder);

  // In a cluster of collectors: called on every admitted batch before the
  // observers; it forwards the spans other collectors own and leaves in the
  // batch those to keep here (cluster::SpanRouter). A non-OK status is the
  // Accept's (nothing of the batch kept here). Set before serving traffic.
  using Router = std::function<Status(model::SpanBatch*)>;
  void SetRouter(Router router) { router_ = std::move(router); }

  // Writes `batch` (already validated by a decoder, which rejected
  // `rejected_spans` of the request). The status is the store's: OK,
  // ResourceExhausted/Unavailable (retryable; nothing of the batch kept),
  // or the load shedder's ResourceExhausted (also retryable).
  AcceptOutcome Accept(model::SpanBatch&& batch, int64_t rejected_spans, std::string rejection_message,
                       std::string_view protocol);

 private:
  storage::SpanStore* store_;
  MetricsRegistry* metrics_;
  std::vector<Observer> observers_;
  sampling::TailSampler* tail_ = nullptr;
  Router router_;
  sampling::LoadShedder* shedder_ = nullptr;
  Counter* spans_accepted_;
  Counter* spans_rejected_;
  Counter* spans_refused_;
  Counter* spans_shed_;
};

}  // namespace tracery::collector
