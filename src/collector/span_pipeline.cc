#include "collector/span_pipeline.h"

#include "sampling/consistent_trace_hash.h"

namespace tracery::collector {

SpanPipeline::SpanPipeline(storage::SpanStore* store, MetricsRegistry* metrics)
    : store_(store),
      metrics_(metrics),
      spans_accepted_(metrics->GetCounter("tracery_receiver_accepted_spans_total",
                                          "Spans accepted and stored durably")),
      spans_rejected_(metrics->GetCounter("tracery_receiver_rejected_spans_total",
                                          "Spans rejected by validation (malformed ids etc.)")),
      spans_refused_(metrics->GetCounter("tracery_receiver_refused_spans_total",
                                         "Spans refused with a retryable error (back-pressure, disk full)")),
      spans_shed_(metrics->GetCounter("tracery_receiver_shed_spans_total",
                                      "Spans of whole traces dropped by load shedding (no tail sampler)")) {}

namespace {

// The spans of `in` whose trace survives shedding at `fraction`, each with
// its adjusted count multiplied by 1/fraction.
model::SpanBatch KeptByShedding(const model::SpanBatch& in, double fraction) {
  model::SpanBatch out;
  const double adjusted = 1.0 / fraction;
  for (const auto& s : in.spans) {
    if (!sampling::TraceIdSampled(s.trace_id, fraction)) continue;
    out.AppendFrom(in, s);
    auto& attrs = out.spans.back().attributes;
    bool found = false;
    for (auto& kv : attrs) {
      if (kv.key != model::keys::kAdjustedCount) continue;
      const double prior = kv.value.type == model::AnyValue::Type::kDouble ? kv.value.double_value : 1.0;
      kv.value = model::AnyValue::Double((prior > 0 ? prior : 1.0) * adjusted);
      found = true;
      break;
    }
    if (!found) attrs.push_back({std::string(model::keys::kAdjustedCount), model::AnyValue::Double(adjusted)});
  }
  return out;
}

}  // namespace

void SpanPipeline::EnableSampling(sampling::TailSampler* tail, sampling::LoadShedder* shedder) {
  tail_ = tail;
  shedder_ = shedder;
}

void SpanPipeline::AddObserver(Observer observer) { observers_.push_back(std::move(observer)); }

AcceptOutcome SpanPipeline::Accept(model::SpanBatch&& batch, int64_t rejected_spans, std::string rejection_message,
                                   std::string_view protocol) {
  AcceptOutcome out;
  out.rejected_spans = rejected_spans;
  out.rejection_message = std::move(rejection_message);
  if (rejected_spans > 0) spans_rejected_->Add(static_cast<uint64_t>(rejected_spans));
  if (batch.spans.empty()) return out;
  if (shedder_ != nullptr) {
    // Refused before the observers run, so a retried batch is counted once.
    out.status = shedder_->AdmitBatch();
    if (!out.status.ok()) {
      out.retry_after_s = shedder_->retry_after_s();
      spans_refused_->Add(batch.spans.size());
      return out;
    }
  }
  const size_t offered_spans = batch.spans.size();
  if (router_) {
    out.status = router_(&batch);
    if (!out.status.ok()) {
      spans_refused_->Add(offered_spans);
      return out;
    }
    // Spans forwarded to their owners count as accepted: the owners did.
    if (batch.spans.empty()) {
      out.accepted_spans = static_cast<int64_t>(offered_spans);
      return out;
    }
  }
  if (tail_ != nullptr) {
    // Observers see every span before the tail sampler drops any.
    for (const auto& obs : observers_) obs(batch);
    out.accepted_spans = static_cast<int64_t>(offered_spans);
    spans_accepted_->Add(batch.spans.size());
    tail_->Offer(batch);
    return out;
  }
  const double fraction = shedder_ != nullptr ? shedder_->keep_fraction() : 1.0;
  const uint64_t t0 = shedder_ != nullptr ? shedder_->NowNs() : 0;
  if (fraction < 1.0) {
    model::SpanBatch kept = KeptByShedding(batch, fraction);
    spans_shed_->Add(batch.spans.size() - kept.spans.size());
    out.status = kept.spans.empty() ? Status::Ok() : store_->Write(kept);
  } else {
    out.status = store_->Write(batch);
  }
  if (shedder_ != nullptr) {
    const uint64_t t1 = shedder_->NowNs();
    shedder_->RecordStoreWrite(out.status, t1 - t0, t1);
  }
  if (!out.status.ok()) {
    spans_refused_->Add(batch.spans.size());
    return out;
  }
  // Observers run after the write succeeds, so a retried batch is not
  // counted twice by ingest-time metrics.
  for (const auto& obs : observers_) obs(batch);
  out.accepted_spans = static_cast<int64_t>(offered_spans);
  spans_accepted_->Add(batch.spans.size());
  return out;
}

}  // namespace tracery::collector
