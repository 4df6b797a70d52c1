// SpanPipeline: what every receiver hands decoded spans to. It runs the
// observers that must see every span (ingest-time metrics, before any
// sampling drops traces) and then writes durably to the store.
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
#include "storage/span_store.h"

namespace tracery::collector {

struct AcceptOutcome {
  Status status;              // OK once accepted spans are durable
  int64_t accepted_spans = 0;
  int64_t rejected_spans = 0;  // failed validation (not retryable)
  std::string rejection_message;
};

class SpanPipeline {
 public:
  using Observer = std::function<void(const model::SpanBatch&)>;

  // `store` is not owned and must outlive the pipeline.
  SpanPipeline(storage::SpanStore* store, MetricsRegistry* metrics);

  // Observers run in registration order on every accepted batch, on the
  // receiving thread, before the write. Register before serving traffic.
  void AddObserver(Observer observer);

  // Writes `batch` (already validated by a decoder, which rejected
  // `rejected_spans` of the request). The status is the store's: OK,
  // ResourceExhausted/Unavailable (retryable; nothing of the batch kept).
  AcceptOutcome Accept(model::SpanBatch&& batch, int64_t rejected_spans, std::string rejection_message,
                       std::string_view protocol);

 private:
  storage::SpanStore* store_;
  MetricsRegistry* metrics_;
  std::vector<Observer> observers_;
  Counter* spans_accepted_;
  Counter* spans_rejected_;
  Counter* spans_refused_;
};

}  // namespace tracery::collector
