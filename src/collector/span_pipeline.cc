#include "collector/span_pipeline.h"

namespace tracery::collector {

SpanPipeline::SpanPipeline(storage::SpanStore* store, MetricsRegistry* metrics)
    : store_(store),
      metrics_(metrics),
      spans_accepted_(metrics->GetCounter("tracery_receiver_accepted_spans_total",
                                          "Spans accepted and stored durably")),
      spans_rejected_(metrics->GetCounter("tracery_receiver_rejected_spans_total",
                                          "Spans rejected by validation (malformed ids etc.)")),
      spans_refused_(metrics->GetCounter("tracery_receiver_refused_spans_total",
                                         "Spans refused with a retryable error (back-pressure, disk full)")) {}

void SpanPipeline::AddObserver(Observer observer) { observers_.push_back(std::move(observer)); }

AcceptOutcome SpanPipeline::Accept(model::SpanBatch&& batch, int64_t rejected_spans, std::string rejection_message,
                                   std::string_view protocol) {
  AcceptOutcome out;
  out.rejected_spans = rejected_spans;
  out.rejection_message = std::move(rejection_message);
  if (rejected_spans > 0) spans_rejected_->Add(static_cast<uint64_t>(rejected_spans));
  if (batch.spans.empty()) return out;
  out.status = store_->Write(batch);
  if (!out.status.ok()) {
    spans_refused_->Add(batch.spans.size());
    return out;
  }
  // Observers run after the write succeeds, so a retried batch is not
  // counted twice by ingest-time metrics.
  for (const auto& obs : observers_) obs(batch);
  out.accepted_spans = static_cast<int64_t>(batch.spans.size());
  spans_accepted_->Add(batch.spans.size());
  return out;
}

}  // namespace tracery::collector
