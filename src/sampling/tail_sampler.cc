#include "sampling/tail_sampler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "storage/byte_coding.h"
#include "storage/span_codec.h"

namespace tracery::sampling {
namespace {

uint64_t SteadyNowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

constexpr uint32_t kNoId = UINT32_MAX;

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

// A span's attributes are a heap array of ~136-byte KeyValues the hardware
// prefetcher cannot predict: fetch the next span's while this one is copied.
void PrefetchAttributes(const model::Span& s) {
  const char* p = reinterpret_cast<const char*>(s.attributes.data());
  const char* end = reinterpret_cast<const char*>(s.attributes.data() + s.attributes.size());
  for (; p < end; p += 64) __builtin_prefetch(p);
}

// Calls fn(record) for each held span of a trace.
template <typename Fn>
void ForEachRecord(const HeldBytes& records, Fn&& fn) {
  const char* p = records.data();
  const char* end = p + records.size();
  while (p < end) {
    fn(p);
    p += HeldRecordBytes(p);
  }
}

// Index in a write chunk's resource (or scope) table of the interned entry
// (id, generation), appending it with `make` when the chunk lacks it. The
// generation keeps an id freed and reused while the chunk waits from
// resolving to the wrong resource. Searched newest first: the spans of the
// trace being appended use the entries added last.
template <typename Make>
uint32_t ChunkIndex(std::vector<std::pair<uint64_t, uint32_t>>* map, uint32_t id, uint32_t generation,
                    Make&& make) {
  const uint64_t key = static_cast<uint64_t>(generation) << 32 | id;
  for (auto it = map->rbegin(); it != map->rend(); ++it)
    if (it->first == key) return it->second;
  const uint32_t index = make();
  map->emplace_back(key, index);
  return index;
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

uint32_t TailSampler::InternResourceLocked(const model::Resource& r) {
  key_scratch_.clear();
  storage::EncodeAttributes(r.attributes, &key_scratch_);
  storage::PutVarint(&key_scratch_, r.dropped_attributes_count);
  storage::PutLengthPrefixed(&key_scratch_, r.schema_url);
  if (auto it = resource_ids_.find(key_scratch_); it != resource_ids_.end()) return it->second;
  uint32_t id;
  if (!free_resources_.empty()) {
    id = free_resources_.back();
    free_resources_.pop_back();
  } else {
    id = static_cast<uint32_t>(resources_.size());
    resources_.emplace_back();
  }
  InternedResource& e = resources_[id];
  e.key = key_scratch_;
  e.resource = r;
  e.service = e.resource.ServiceName();
  e.service_hash = std::hash<std::string_view>{}(e.service);
  e.matched = policies_->ResourceMatches(e.resource);
  e.refs = 0;
  // The key, the decoded copy (about twice its encoding) and a map node.
  e.bytes = sizeof(InternedResource) + 3 * e.key.size() + 64;
  stats_.buffered_bytes += e.bytes;
  resource_ids_.emplace(e.key, id);
  return id;
}

uint32_t TailSampler::InternScopeLocked(const model::Scope& s) {
  key_scratch_.clear();
  storage::PutLengthPrefixed(&key_scratch_, s.name);
  storage::PutLengthPrefixed(&key_scratch_, s.version);
  storage::EncodeAttributes(s.attributes, &key_scratch_);
  storage::PutVarint(&key_scratch_, s.dropped_attributes_count);
  storage::PutLengthPrefixed(&key_scratch_, s.schema_url);
  if (auto it = scope_ids_.find(key_scratch_); it != scope_ids_.end()) return it->second;
  uint32_t id;
  if (!free_scopes_.empty()) {
    id = free_scopes_.back();
    free_scopes_.pop_back();
  } else {
    id = static_cast<uint32_t>(scopes_.size());
    scopes_.emplace_back();
  }
  InternedScope& e = scopes_[id];
  e.key = key_scratch_;
  e.scope = s;
  e.refs = 0;
  e.bytes = sizeof(InternedScope) + 3 * e.key.size() + 64;
  stats_.buffered_bytes += e.bytes;
  scope_ids_.emplace(e.key, id);
  return id;
}

void TailSampler::ReleaseLocked(const BufferedTrace& t) {
  for (const HeldSpanKeys& k : t.keys) {
    InternedResource& r = resources_[k.resource_id];
    if (--r.refs == 0) {
      resource_ids_.erase(std::string_view(r.key));
      stats_.buffered_bytes -= r.bytes;
      r = InternedResource{.generation = r.generation + 1};
      free_resources_.push_back(k.resource_id);
    }
    InternedScope& s = scopes_[k.scope_id];
    if (--s.refs == 0) {
      scope_ids_.erase(std::string_view(s.key));
      stats_.buffered_bytes -= s.bytes;
      s = InternedScope{.generation = s.generation + 1};
      free_scopes_.push_back(k.scope_id);
    }
  }
}

bool TailSampler::IsCompleteLocked(const BufferedTrace& t) {
  if (!t.root_seen) return false;
  ids_scratch_.clear();
  for (const HeldSpanKeys& k : t.keys) ids_scratch_.push_back(k.span_id);
  std::sort(ids_scratch_.begin(), ids_scratch_.end());
  for (const HeldSpanKeys& k : t.keys)
    if (k.parent_span_id != 0 && !std::binary_search(ids_scratch_.begin(), ids_scratch_.end(), k.parent_span_id))
      return false;
  return true;
}

uint32_t TailSampler::NewTraceLocked(const model::TraceId& id, uint64_t now_ns) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(traces_.size());
    traces_.emplace_back();
  }
  BufferedTrace& t = traces_[slot];
  t.summary.Reset(id);
  t.first_seen_ns = t.last_seen_ns = now_ns;
  t.bytes = kTraceOverheadBytes;
  t.spans = 0;
  t.incomplete_at_spans = 0;
  t.root_seen = false;
  t.candidate = false;
  stats_.buffered_bytes += t.bytes;
  buffer_index_.Set(id, slot);
  arrival_.push_back(TraceRef{slot, t.generation});
  return slot;
}

void TailSampler::Offer(const model::SpanBatch& batch) {
  if (batch.spans.empty()) return;
  const uint64_t now = options_.clock_ns();
  bool write_now = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // The two trace-id lookups per trace are cache misses in big tables
    // (the decision cache holds up to a million ids): issue them for the
    // whole batch first so they overlap.
    for (size_t i = 0; i < batch.spans.size(); ++i) {
      if (i > 0 && SameTraceId(batch.spans[i].trace_id, batch.spans[i - 1].trace_id)) continue;
      buffer_index_.Prefetch(batch.spans[i].trace_id);
      decision_index_.Prefetch(batch.spans[i].trace_id);
    }
    model::SpanBatch late_kept;
    std::vector<model::TraceId> late_ids;
    bool late_priority = false;
    resource_map_scratch_.assign(batch.resources.size(), kNoId);
    scope_map_scratch_.assign(batch.scopes.size(), kNoId);
    size_t appended_spans = 0, appended_bytes = 0;
    BufferedTrace* cur = nullptr;
    bool cur_late = false;
    const CachedDecision* cur_decision = nullptr;
    for (size_t i = 0; i < batch.spans.size(); ++i) {
      const model::Span& span = batch.spans[i];
      if (i + 1 < batch.spans.size()) PrefetchAttributes(batch.spans[i + 1]);
      if (i == 0 || !SameTraceId(span.trace_id, batch.spans[i - 1].trace_id)) {
        // A new run of spans of one trace (exporters group spans by trace).
        cur = nullptr;
        cur_late = false;
        if (const uint64_t* slot = buffer_index_.Find(span.trace_id)) {
          cur = &traces_[*slot];
        } else if (const CachedDecision* d = FindDecisionLocked(span.trace_id)) {
          cur_late = true;  // follow the decision already made
          cur_decision = d;
        } else {
          cur = &traces_[NewTraceLocked(span.trace_id, now)];
        }
        if (cur) {
          size_t run = 1;
          while (i + run < batch.spans.size() && SameTraceId(batch.spans[i + run].trace_id, span.trace_id)) ++run;
          const size_t want = cur->records.size() + run * static_cast<size_t>(avg_record_bytes_ * 1.125);
          if (want > cur->records.capacity()) cur->records.Reserve(want - cur->records.size());
          cur->keys.reserve(cur->keys.size() + run);
        }
      }
      if (cur_late) {
        if (cur_decision->keep) {
          late_kept.AppendFrom(batch, span);
          StampAdjustedCount(&late_kept.spans.back(), cur_decision->adjusted_count);
          if (late_ids.empty() || !(late_ids.back() == span.trace_id)) late_ids.push_back(span.trace_id);
          late_priority |= cur_decision->priority;
          ++stats_.late_spans_kept;
        } else {
          ++stats_.late_spans_dropped;
        }
        continue;
      }
      BufferedTrace& t = *cur;
      uint32_t& rid = resource_map_scratch_[span.resource_index];
      if (rid == kNoId) rid = InternResourceLocked(batch.resources[span.resource_index]);
      uint32_t& sid = scope_map_scratch_[span.scope_index];
      if (sid == kNoId) sid = InternScopeLocked(batch.scopes[span.scope_index]);
      InternedResource& res = resources_[rid];
      ++res.refs;
      ++scopes_[sid].refs;
      policies_->AddSpan(span, res.service, res.service_hash, &t.summary);
      t.summary.matched |= res.matched;

      appended_bytes += held_writer_.Append(span, &t.records);
      t.keys.push_back(HeldSpanKeys{span.span_id.value, span.parent_span_id.value, rid, sid});
      ++appended_spans;

      const uint64_t bytes =
          kTraceOverheadBytes + t.records.capacity() + t.keys.capacity() * sizeof(HeldSpanKeys) +
          t.summary.op_keys.capacity() * sizeof(uint64_t);
      stats_.buffered_bytes += bytes - t.bytes;
      t.bytes = bytes;
      t.last_seen_ns = now;
      ++t.spans;
      if (span.parent_span_id.IsZero() && !t.root_seen) {
        t.root_seen = true;
        if (!t.candidate) {
          t.candidate = true;
          const auto slot = static_cast<uint32_t>(&t - traces_.data());
          completion_candidates_.push_back(TraceRef{slot, t.generation});
        }
      }
      ++stats_.buffered_spans;
    }
    if (appended_spans > 0)
      avg_record_bytes_ = 0.875 * avg_record_bytes_ + 0.125 * (static_cast<double>(appended_bytes) / appended_spans);
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
  if (write_now) WritePending();
}

TailSampler::CachedDecision* TailSampler::FindDecisionLocked(const model::TraceId& id) {
  const uint64_t* seq = decision_index_.Find(id);
  return seq ? &decision_log_[*seq - decision_log_base_] : nullptr;
}

void TailSampler::ExpireDecisionLocked() {
  const CachedDecision& old = decision_log_.front();
  if (const uint64_t* seq = decision_index_.Find(old.id); seq && *seq == decision_log_base_)
    decision_index_.Erase(old.id);
  decision_log_.pop_front();
  ++decision_log_base_;
}

void TailSampler::RememberLocked(const CachedDecision& d) {
  // The entry evicted a few decisions from now: prefetch its slot.
  if (decision_log_.size() >= options_.decision_cache_entries && decision_log_.size() > 8)
    decision_index_.Prefetch(decision_log_[8].id);
  decision_log_.push_back(d);
  decision_index_.Set(d.id, decision_log_base_ + decision_log_.size() - 1);
  while (decision_index_.size() > options_.decision_cache_entries && !decision_log_.empty()) ExpireDecisionLocked();
}

void TailSampler::DecideLocked(uint32_t slot, Reason reason, uint64_t now_ns) {
  BufferedTrace& t = traces_[slot];
  const model::TraceId id = t.summary.trace_id;
  TailDecision d = policies_->Decide(t.summary, now_ns);
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
  RememberLocked(CachedDecision{id, adjusted, now_ns, keep, d.priority});
  if (keep) {
    ++stats_.traces_kept;
    if (kept_counter_) kept_counter_->Add();
    QueueKeptLocked(t, adjusted, d.priority);
  } else {
    ++stats_.traces_dropped;
    if (dropped_counter_) dropped_counter_->Add();
  }
  ReleaseLocked(t);
  stats_.buffered_spans -= t.spans;
  stats_.buffered_bytes -= t.bytes;
  buffer_index_.Erase(id);
  // Free the bytes now: a slot may stay unused for long after a burst.
  t.records.Release();
  std::vector<HeldSpanKeys>().swap(t.keys);
  std::vector<uint64_t>().swap(t.summary.op_keys);
  ++t.generation;
  free_slots_.push_back(slot);
}

void TailSampler::QueueKeptLocked(const BufferedTrace& t, double adjusted, bool priority) {
  const size_t n = t.spans;
  if (pending_.empty() || pending_.back().batch.spans.size() + n > options_.max_write_batch_spans)
    pending_.emplace_back();
  PendingChunk& chunk = pending_.back();
  chunk.traces.push_back(t.summary.trace_id);
  chunk.priority |= priority;
  size_t i = 0;
  ForEachRecord(t.records, [&](const char* record) {
    const HeldSpanKeys& k = t.keys[i++];
    model::Span& s = chunk.batch.spans.emplace_back();
    // Room for the adjusted count stamped below, so it does not reallocate.
    s.attributes.reserve(ReadHeldSpanHeader(record).attribute_count + 1);
    if (!ReadHeldSpan(record, t.summary.trace_id, &s)) {
      // Written by HeldSpanWriter above, so this is a bug, not bad input.
      spdlog::error("tail sampler: a held span of trace {} does not decode; dropped", t.summary.trace_id.ToHex());
      chunk.batch.spans.pop_back();
      return;
    }
    s.span_id.value = k.span_id;
    s.parent_span_id.value = k.parent_span_id;
    const uint32_t rid = k.resource_id, sid = k.scope_id;
    s.resource_index = ChunkIndex(&chunk.resource_map, rid, resources_[rid].generation, [&] {
      chunk.batch.resources.push_back(resources_[rid].resource);
      return static_cast<uint32_t>(chunk.batch.resources.size() - 1);
    });
    s.scope_index = ChunkIndex(&chunk.scope_map, sid, scopes_[sid].generation, [&] {
      chunk.batch.scopes.push_back(scopes_[sid].scope);
      return static_cast<uint32_t>(chunk.batch.scopes.size() - 1);
    });
    StampAdjustedCount(&s, adjusted);
  });
  stats_.pending_write_spans += n;
  TrimPendingLocked();
}

void TailSampler::GiveUpLocked(const PendingChunk& chunk) {
  for (const auto& id : chunk.traces) {
    CachedDecision* d = FindDecisionLocked(id);
    if (d != nullptr && d->keep) {
      d->keep = false;  // later spans of it are dropped: no partial trace
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
    const TraceRef ref = arrival_.front();
    arrival_.pop_front();
    if (traces_[ref.slot].generation != ref.generation) continue;  // decided already
    DecideLocked(ref.slot, Reason::kPressure, now_ns);
  }
}

void TailSampler::DecideDueLocked(uint64_t now_ns, bool all) {
  // Complete traces first: they are the common, cheap case.
  // Deciding writes the decision cache, a big table: prefetch a few
  // candidates ahead so those cache misses overlap.
  constexpr size_t kPrefetchAhead = 8;
  size_t keep_n = 0;
  for (size_t i = 0; i < completion_candidates_.size(); ++i) {
    if (i + kPrefetchAhead < completion_candidates_.size()) {
      const TraceRef ahead = completion_candidates_[i + kPrefetchAhead];
      decision_index_.Prefetch(traces_[ahead.slot].summary.trace_id);
    }
    const TraceRef ref = completion_candidates_[i];
    BufferedTrace& t = traces_[ref.slot];
    if (t.generation != ref.generation) continue;
    // A trace found incomplete is checked again only once more spans came.
    if (!all && now_ns - t.last_seen_ns >= options_.completion_grace_ns && t.incomplete_at_spans != t.spans) {
      if (IsCompleteLocked(t)) {
        DecideLocked(ref.slot, Reason::kComplete, now_ns);
        continue;
      }
      t.incomplete_at_spans = t.spans;
    }
    completion_candidates_[keep_n++] = ref;
  }
  completion_candidates_.resize(keep_n);
  while (!arrival_.empty()) {
    const TraceRef ref = arrival_.front();
    const BufferedTrace& t = traces_[ref.slot];
    if (t.generation != ref.generation) {
      arrival_.pop_front();
      continue;
    }
    if (!all && now_ns - t.first_seen_ns < options_.decision_wait_ns) break;
    arrival_.pop_front();
    DecideLocked(ref.slot, all ? Reason::kFlush : Reason::kWait, now_ns);
  }
  while (!decision_log_.empty() && now_ns - decision_log_.front().decided_ns > options_.decision_cache_ttl_ns)
    ExpireDecisionLocked();
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
                                     const CachedDecision* d = FindDecisionLocked(s.trace_id);
                                     return d != nullptr && !d->keep;
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
  s.buffered_traces = buffer_index_.size();
  return s;
}

}  // namespace tracery::sampling
