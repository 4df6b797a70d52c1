#include "sampling/baseline/tail_sampler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace tracery::sampling::baseline {
namespace {

uint64_t SteadyNowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// Overhead of one buffered trace beyond its spans: map node, deque entry,
// batch vectors (measured order of magnitude; see docs/sampling.md).
constexpr uint64_t kPerTraceOverheadBytes = 256;

uint64_t AttributesBytes(const model::Attributes& attrs) {
  uint64_t n = attrs.capacity() * sizeof(model::KeyValue);
  for (const auto& kv : attrs) n += kv.key.capacity() + kv.value.str.capacity();
  return n;
}

uint64_t ResourceBytes(const model::Resource& r) { return sizeof(model::Resource) + AttributesBytes(r.attributes); }

// Appends `src` to `dst` by moving, rebasing resource/scope indexes. Both
// batches stay valid; `src` is left empty.
void MoveAppendBatch(model::SpanBatch* dst, model::SpanBatch&& src) {
  const auto res_base = static_cast<uint32_t>(dst->resources.size());
  const auto scope_base = static_cast<uint32_t>(dst->scopes.size());
  for (auto& r : src.resources) dst->resources.push_back(std::move(r));
  for (auto& s : src.scopes) dst->scopes.push_back(std::move(s));
  dst->spans.reserve(dst->spans.size() + src.spans.size());
  for (auto& s : src.spans) {
    s.resource_index += res_base;
    s.scope_index += scope_base;
    dst->spans.push_back(std::move(s));
  }
  src = model::SpanBatch();
}

void StampAdjustedCount(model::Span* s, double adjusted) {
  for (auto& kv : s->attributes) {
    if (kv.key != model::keys::kAdjustedCount) continue;
    double prior = kv.value.type == model::AnyValue::Type::kDouble ? kv.value.double_value
                   : kv.value.type == model::AnyValue::Type::kInt  ? static_cast<double>(kv.value.int_value)
                                                                   : 1.0;
    if (!(prior > 0)) prior = 1.0;
    kv.value = model::AnyValue::Double(prior * adjusted);
    return;
  }
  s->attributes.push_back({std::string(model::keys::kAdjustedCount), model::AnyValue::Double(adjusted)});
}

}  // namespace

TailSampler::TailSampler(TailSamplerOptions options, std::unique_ptr<TailPolicySet> policies, WriteFn write,
                         LoadShedder* shedder, MetricsRegistry* metrics)
    : options_(std::move(options)), policies_(std::move(policies)), write_(std::move(write)), shedder_(shedder) {
  if (!options_.clock_ns) options_.clock_ns = SteadyNowNs;
  if (options_.max_write_batch_spans == 0) options_.max_write_batch_spans = 1;
  if (metrics) {
    kept_counter_ = metrics->GetCounter("tracery_tail_sampling_traces_total", "Traces decided by the tail sampler",
                                        "decision=\"keep\"");
    dropped_counter_ = metrics->GetCounter("tracery_tail_sampling_traces_total", "Traces decided by the tail sampler",
                                           "decision=\"drop\"");
    shed_counter_ = metrics->GetCounter("tracery_tail_sampling_traces_total", "Traces decided by the tail sampler",
                                        "decision=\"shed\"");
    lost_counter_ = metrics->GetCounter("tracery_tail_sampling_traces_lost_total",
                                        "Kept traces given up because the store refused them for too long");
    buffered_gauge_ = std::make_shared<std::atomic<uint64_t>>(0);
    auto g = buffered_gauge_;
    metrics->AddGauge("tracery_tail_sampling_buffered_spans", "Spans held awaiting a tail-sampling decision",
                      [g] { return static_cast<double>(g->load(std::memory_order_relaxed)); });
  }
}

TailSampler::~TailSampler() { Stop(); }

uint64_t TailSampler::EstimateBytes(const model::Span& s) {
  // An estimate from sizes only (no walk over every attribute string: this
  // runs once per span on the hot path). Attribute strings are counted at a
  // flat 32 bytes each beyond the KeyValue itself.
  return sizeof(model::Span) + s.name.size() + s.status_message.size() +
         s.attributes.size() * (sizeof(model::KeyValue) + 32) +
         s.events.size() * (sizeof(model::Event) + 64) + s.links.size() * (sizeof(model::Link) + 32);
}

bool TailSampler::IsComplete(const model::SpanBatch& trace) {
  std::vector<uint64_t> ids;
  ids.reserve(trace.spans.size());
  bool root = false;
  for (const auto& s : trace.spans) {
    ids.push_back(s.span_id.value);
    root |= s.parent_span_id.IsZero();
  }
  if (!root) return false;
  std::sort(ids.begin(), ids.end());
  for (const auto& s : trace.spans)
    if (!s.parent_span_id.IsZero() && !std::binary_search(ids.begin(), ids.end(), s.parent_span_id.value))
      return false;
  return true;
}

void TailSampler::Offer(model::SpanBatch&& batch) {
  if (batch.spans.empty()) return;
  const uint64_t now = options_.clock_ns();
  bool write_now = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t seq = ++offer_seq_;
    model::SpanBatch late_kept;
    std::vector<model::TraceId> late_ids;
    bool late_priority = false;
    BufferedTrace* cur = nullptr;
    model::TraceId cur_id;
    for (size_t i = 0; i < batch.spans.size(); ++i) {
      model::Span& span = batch.spans[i];
      if (cur == nullptr || !(span.trace_id == cur_id)) {
        cur = nullptr;
        auto bit = buffer_.find(span.trace_id);
        if (bit != buffer_.end()) {
          cur = &bit->second;
        } else if (auto dit = decisions_.find(span.trace_id); dit != decisions_.end()) {
          // A late span: follow the decision already made.
          if (dit->second.keep) {
            late_kept.AppendFrom(batch, span);
            StampAdjustedCount(&late_kept.spans.back(), dit->second.adjusted_count);
            if (late_ids.empty() || !(late_ids.back() == span.trace_id)) late_ids.push_back(span.trace_id);
            late_priority |= dit->second.priority;
            ++stats_.late_spans_kept;
          } else {
            ++stats_.late_spans_dropped;
          }
          continue;
        } else {
          cur = &buffer_[span.trace_id];
          cur->first_seen_ns = now;
          cur->bytes = kPerTraceOverheadBytes;
          arrival_.emplace_back(span.trace_id, now);
          stats_.buffered_bytes += kPerTraceOverheadBytes;
        }
        cur_id = span.trace_id;
        // Exporters group spans by trace: reserve for this run at once.
        size_t run = 1;
        while (i + run < batch.spans.size() && batch.spans[i + run].trace_id == cur_id) ++run;
        cur->batch.spans.reserve(cur->batch.spans.size() + run);
      }
      BufferedTrace& t = *cur;
      // Resources and scopes are copied once per trace per Offer, not per span.
      if (t.offer_seq != seq || t.src_resource != span.resource_index) {
        t.batch.resources.push_back(batch.resources[span.resource_index]);
        t.src_resource = span.resource_index;
        t.dst_resource = static_cast<uint32_t>(t.batch.resources.size() - 1);
        const uint64_t rb = ResourceBytes(t.batch.resources.back());
        t.bytes += rb;
        stats_.buffered_bytes += rb;
      }
      if (t.offer_seq != seq || t.src_scope != span.scope_index) {
        t.batch.scopes.push_back(batch.scopes[span.scope_index]);
        t.src_scope = span.scope_index;
        t.dst_scope = static_cast<uint32_t>(t.batch.scopes.size() - 1);
      }
      t.offer_seq = seq;
      const uint64_t sb = EstimateBytes(span);
      t.bytes += sb;
      stats_.buffered_bytes += sb;
      t.last_seen_ns = now;
      if (span.parent_span_id.IsZero() && !t.root_seen) {
        t.root_seen = true;
        if (!t.candidate) {
          t.candidate = true;
          completion_candidates_.push_back(span.trace_id);
        }
      }
      span.resource_index = t.dst_resource;
      span.scope_index = t.dst_scope;
      t.batch.spans.push_back(std::move(span));
      ++stats_.buffered_spans;
    }
    if (!late_kept.spans.empty()) {
      // Queue under the first id; all ids are recorded so a give-up revokes them.
      const size_t n = late_kept.spans.size();
      PendingChunk chunk;
      chunk.batch = std::move(late_kept);
      chunk.traces = std::move(late_ids);
      chunk.priority = late_priority;
      pending_.push_back(std::move(chunk));
      stats_.pending_write_spans += n;
      TrimPendingLocked();
    }
    EnforceBoundsLocked(now);
    write_now = stats_.pending_write_spans >= options_.max_write_batch_spans && now >= retry_not_before_ns_;
    if (buffered_gauge_) buffered_gauge_->store(stats_.buffered_spans, std::memory_order_relaxed);
  }
  batch = model::SpanBatch();
  if (write_now) WritePending();
}

void TailSampler::RememberLocked(const model::TraceId& id, const CachedDecision& d) {
  decisions_[id] = d;
  decision_order_.emplace_back(id, d.decided_ns);
  while (decisions_.size() > options_.decision_cache_entries && !decision_order_.empty()) {
    auto [old_id, at] = decision_order_.front();
    decision_order_.pop_front();
    auto it = decisions_.find(old_id);
    if (it != decisions_.end() && it->second.decided_ns == at) decisions_.erase(it);
  }
}

void TailSampler::DecideLocked(std::unordered_map<model::TraceId, BufferedTrace, model::TraceIdHash>::iterator it,
                               Reason reason, uint64_t now_ns) {
  const model::TraceId id = it->first;
  BufferedTrace& t = it->second;
  TailDecision d = policies_->Decide(t.batch, now_ns);
  bool keep = d.keep;
  double adjusted = d.adjusted_count;
  if (keep && !d.priority && shedder_ != nullptr) {
    const double fraction = shedder_->keep_fraction();
    if (!TraceIdSampled(id, fraction)) {
      keep = false;
      ++stats_.traces_shed;
      if (shed_counter_) shed_counter_->Add();
    } else {
      adjusted /= fraction;
    }
  }
  switch (reason) {
    case Reason::kComplete: ++stats_.decided_complete; break;
    case Reason::kWait: ++stats_.decided_wait; break;
    case Reason::kPressure: ++stats_.decided_pressure; break;
    case Reason::kFlush: ++stats_.decided_flush; break;
  }
  stats_.buffered_spans -= t.batch.spans.size();
  stats_.buffered_bytes -= t.bytes;
  RememberLocked(id, CachedDecision{keep, d.priority, adjusted, now_ns});
  if (keep) {
    ++stats_.traces_kept;
    if (kept_counter_) kept_counter_->Add();
    for (auto& s : t.batch.spans) StampAdjustedCount(&s, adjusted);
    QueueKeptLocked(std::move(t.batch), id, d.priority);
  } else {
    ++stats_.traces_dropped;
    if (dropped_counter_) dropped_counter_->Add();
  }
  buffer_.erase(it);
}

void TailSampler::QueueKeptLocked(model::SpanBatch&& spans, const model::TraceId& id, bool priority) {
  const size_t n = spans.spans.size();
  if (!pending_.empty() && pending_.back().batch.spans.size() + n <= options_.max_write_batch_spans) {
    PendingChunk& back = pending_.back();
    MoveAppendBatch(&back.batch, std::move(spans));
    back.traces.push_back(id);
    back.priority |= priority;
  } else {
    PendingChunk chunk;
    chunk.batch = std::move(spans);
    chunk.traces.push_back(id);
    chunk.priority = priority;
    pending_.push_back(std::move(chunk));
  }
  stats_.pending_write_spans += n;
  TrimPendingLocked();
}

void TailSampler::GiveUpLocked(const PendingChunk& chunk) {
  for (const auto& id : chunk.traces) {
    auto it = decisions_.find(id);
    if (it != decisions_.end() && it->second.keep) {
      it->second.keep = false;  // later spans of it are dropped: no partial trace
      ++revocations_;
    }
    ++stats_.traces_lost_store_refused;
    if (lost_counter_) lost_counter_->Add();
  }
}

void TailSampler::TrimPendingLocked() {
  while (stats_.pending_write_spans > options_.max_pending_write_spans && !pending_.empty()) {
    auto victim = std::find_if(pending_.begin(), pending_.end(), [](const PendingChunk& c) { return !c.priority; });
    if (victim == pending_.end()) victim = pending_.begin();
    GiveUpLocked(*victim);
    stats_.pending_write_spans -= victim->batch.spans.size();
    pending_.erase(victim);
  }
}

void TailSampler::EnforceBoundsLocked(uint64_t now_ns) {
  while ((stats_.buffered_spans > options_.max_buffered_spans ||
          stats_.buffered_bytes > options_.max_buffered_bytes) &&
         !arrival_.empty()) {
    auto [id, first_seen] = arrival_.front();
    arrival_.pop_front();
    auto it = buffer_.find(id);
    if (it == buffer_.end() || it->second.first_seen_ns != first_seen) continue;
    DecideLocked(it, Reason::kPressure, now_ns);
  }
}

void TailSampler::DecideDueLocked(uint64_t now_ns, bool all) {
  // Complete traces first: they are the common, cheap case.
  size_t keep_n = 0;
  for (size_t i = 0; i < completion_candidates_.size(); ++i) {
    const model::TraceId id = completion_candidates_[i];
    auto it = buffer_.find(id);
    if (it == buffer_.end()) continue;
    BufferedTrace& t = it->second;
    // A trace found incomplete is checked again only once more spans came.
    if (!all && now_ns - t.last_seen_ns >= options_.completion_grace_ns &&
        t.incomplete_at_spans != t.batch.spans.size()) {
      if (IsComplete(t.batch)) {
        DecideLocked(it, Reason::kComplete, now_ns);
        continue;
      }
      t.incomplete_at_spans = t.batch.spans.size();
    }
    completion_candidates_[keep_n++] = id;
  }
  completion_candidates_.resize(keep_n);
  while (!arrival_.empty()) {
    auto [id, first_seen] = arrival_.front();
    auto it = buffer_.find(id);
    if (it == buffer_.end() || it->second.first_seen_ns != first_seen) {
      arrival_.pop_front();
      continue;
    }
    if (!all && now_ns - first_seen < options_.decision_wait_ns) break;
    arrival_.pop_front();
    DecideLocked(it, all ? Reason::kFlush : Reason::kWait, now_ns);
  }
  // Expire old decisions.
  while (!decision_order_.empty() && now_ns - decision_order_.front().second > options_.decision_cache_ttl_ns) {
    auto [old_id, at] = decision_order_.front();
    decision_order_.pop_front();
    auto it = decisions_.find(old_id);
    if (it != decisions_.end() && it->second.decided_ns == at) decisions_.erase(it);
  }
}

void TailSampler::WritePending() {
  std::unique_lock<std::mutex> writer(write_mu_, std::try_to_lock);
  if (!writer.owns_lock()) return;  // another thread is writing the queue
  for (;;) {
    PendingChunk chunk;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.empty() || options_.clock_ns() < retry_not_before_ns_) return;
      chunk = std::move(pending_.front());
      pending_.pop_front();
      stats_.pending_write_spans -= chunk.batch.spans.size();
      if (revocations_ > 0) {
        // Drop spans of traces given up after this chunk was queued.
        auto& spans = chunk.batch.spans;
        spans.erase(std::remove_if(spans.begin(), spans.end(),
                                   [&](const model::Span& s) {
                                     auto it = decisions_.find(s.trace_id);
                                     return it != decisions_.end() && !it->second.keep;
                                   }),
                    spans.end());
      }
    }
    if (chunk.batch.spans.empty()) continue;
    const uint64_t t0 = options_.clock_ns();
    Status st = write_(chunk.batch);
    const uint64_t t1 = options_.clock_ns();
    if (shedder_) shedder_->RecordStoreWrite(st, t1 - t0, t1);
    std::lock_guard<std::mutex> lock(mu_);
    if (st.ok()) {
      stats_.spans_written += chunk.batch.spans.size();
      continue;
    }
    ++stats_.store_refusals;
    if (st.code() == Status::Code::kResourceExhausted || st.code() == Status::Code::kUnavailable) {
      stats_.pending_write_spans += chunk.batch.spans.size();
      pending_.push_front(std::move(chunk));
      retry_not_before_ns_ = t1 + options_.tick_interval_ns;
      TrimPendingLocked();
      return;
    }
    // Not retryable (e.g. an I/O error): give the chunk up whole.
    spdlog::warn("tail sampler: store write failed, {} kept traces lost: {}", chunk.traces.size(), st.ToString());
    GiveUpLocked(chunk);
  }
}

size_t TailSampler::Tick() {
  const uint64_t now = options_.clock_ns();
  size_t decided;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t before = stats_.traces_kept + stats_.traces_dropped;
    DecideDueLocked(now, false);
    EnforceBoundsLocked(now);
    decided = stats_.traces_kept + stats_.traces_dropped - before;
    if (buffered_gauge_) buffered_gauge_->store(stats_.buffered_spans, std::memory_order_relaxed);
  }
  if (shedder_) shedder_->Update(now);
  WritePending();
  return decided;
}

void TailSampler::Flush() {
  const uint64_t now = options_.clock_ns();
  {
    std::lock_guard<std::mutex> lock(mu_);
    DecideDueLocked(now, true);
    retry_not_before_ns_ = 0;
  }
  WritePending();
}

void TailSampler::Start() {
  std::lock_guard<std::mutex> lock(ticker_mu_);
  if (ticker_.joinable()) return;
  stop_ = false;
  ticker_ = std::thread([this] {
    std::unique_lock<std::mutex> lk(ticker_mu_);
    while (!stop_) {
      ticker_cv_.wait_for(lk, std::chrono::nanoseconds(options_.tick_interval_ns));
      if (stop_) break;
      lk.unlock();
      Tick();
      lk.lock();
    }
  });
}

void TailSampler::Stop() {
  {
    std::lock_guard<std::mutex> lock(ticker_mu_);
    stop_ = true;
  }
  ticker_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

TailSamplerStats TailSampler::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  TailSamplerStats s = stats_;
  s.buffered_traces = buffer_.size();
  return s;
}

}  // namespace tracery::sampling::baseline
