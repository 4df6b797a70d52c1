#include "storage/memtable.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include <spdlog/spdlog.h>

#include "storage/span_codec.h"

namespace tracery::storage {
bool MayMatch(const MemTrace& t, const SpanCondition& c, uint64_t service_bits) {
  if (!c.service.empty() && (t.resource_bits & service_bits) == 0) return false;
  if (c.error_only && !t.has_error) return false;
  if (c.min_duration_ns != 0 && t.max_duration_ns < c.min_duration_ns) return false;
  return true;
}

void DecodeSpans(const MemTrace& t, std::vector<model::Span>* spans) {
  spans->resize(t.span_count);
  ByteReader in(t.encoded);
  for (auto& s : *spans) {
    if (const char* what = DecodeSpan(in, &s)) {
      spdlog::critical("storage: memtable span encoding corrupt ({}); memory is corrupt", what);
      std::abort();
    }
  }
}

uint32_t Memtable::InternResource(const model::Resource& r) {
  scratch_.clear();
  EncodeAttributes(r.attributes, &scratch_);
  PutVarint(&scratch_, r.dropped_attributes_count);
  scratch_.append(r.schema_url);
  auto [it, inserted] = resource_ids_.try_emplace(scratch_, static_cast<uint32_t>(resources_.size()));
  if (inserted) {
    resources_.push_back(r);
    bytes_ += scratch_.size() * 3;
  }
  return it->second;
}

uint32_t Memtable::InternScope(const model::Scope& s) {
  scratch_.clear();
  PutLengthPrefixed(&scratch_, s.name);
  PutLengthPrefixed(&scratch_, s.version);
  EncodeAttributes(s.attributes, &scratch_);
  PutVarint(&scratch_, s.dropped_attributes_count);
  scratch_.append(s.schema_url);
  auto [it, inserted] = scope_ids_.try_emplace(scratch_, static_cast<uint32_t>(scopes_.size()));
  if (inserted) {
    scopes_.push_back(s);
    bytes_ += scratch_.size() * 3;
  }
  return it->second;
}

void Memtable::Add(const model::SpanBatch& batch) {
  AddImpl(batch, [&](size_t i, uint32_t rm, uint32_t sm, std::string* dst) {
    EncodeSpan(batch.spans[i], rm, sm, dst);
  });
}

void Memtable::AddEncoded(const model::SpanBatch& batch, std::string_view encoded,
                          const std::vector<EncodedSpanRange>& ranges) {
  AddImpl(batch, [&](size_t i, uint32_t rm, uint32_t sm, std::string* dst) {
    const EncodedSpanRange& r = ranges[i];
    dst->append(encoded.data() + r.begin, r.indexes_begin - r.begin);
    PutVarint(dst, rm);
    PutVarint(dst, sm);
  });
}

template <typename AppendSpan>
void Memtable::AddImpl(const model::SpanBatch& batch, AppendSpan append_span) {
  std::unique_lock lock(mu_);
  uint32_t res_map[16];
  uint32_t scope_map[16];
  std::vector<uint32_t> res_big, scope_big;  // only for batches with many resources
  uint32_t* rm = res_map;
  uint32_t* sm = scope_map;
  if (batch.resources.size() > 16) {
    res_big.resize(batch.resources.size());
    rm = res_big.data();
  }
  if (batch.scopes.size() > 16) {
    scope_big.resize(batch.scopes.size());
    sm = scope_big.data();
  }
  for (size_t i = 0; i < batch.resources.size(); ++i) rm[i] = InternResource(batch.resources[i]);
  for (size_t i = 0; i < batch.scopes.size(); ++i) sm[i] = InternScope(batch.scopes[i]);

  MemTrace* last = nullptr;
  model::TraceId last_id;
  for (size_t i = 0; i < batch.spans.size(); ++i) {
    const model::Span& s = batch.spans[i];
    if (last == nullptr || !(s.trace_id == last_id)) {
      auto [it, inserted] = traces_.try_emplace(s.trace_id);
      if (inserted) bytes_ += sizeof(MemTrace) + sizeof(model::TraceId) + 32;  // node + bucket
      last = &it->second;
      last_id = s.trace_id;
    }
    if (last->span_count >= max_spans_per_trace_) {
      last->dropped_spans++;
      dropped_++;
      continue;
    }
    size_t capacity = last->encoded.capacity();
    append_span(i, rm[s.resource_index], sm[s.scope_index], &last->encoded);
    bytes_ += last->encoded.capacity() - capacity;
    last->span_count++;
    last->min_start_ns = std::min(last->min_start_ns, s.start_time_unix_nano);
    last->max_duration_ns = std::max(last->max_duration_ns, s.DurationNanos());
    last->resource_bits |= 1ull << (rm[s.resource_index] % 64);
    last->has_error = last->has_error || s.status_code == model::StatusCode::kError;
    spans_++;
  }
}

size_t Memtable::ApproximateBytes() const {
  std::shared_lock lock(mu_);
  return bytes_;
}
size_t Memtable::SpanCount() const {
  std::shared_lock lock(mu_);
  return spans_;
}
uint64_t Memtable::DroppedSpans() const {
  std::shared_lock lock(mu_);
  return dropped_;
}

size_t Memtable::GetTrace(const model::TraceId& id, model::SpanBatch* out) const {
  std::shared_lock lock(mu_);
  auto it = traces_.find(id);
  if (it == traces_.end()) return 0;
  const MemTrace& t = it->second;
  size_t first = out->spans.size();
  out->spans.resize(first + t.span_count);
  ByteReader in(t.encoded);
  for (size_t i = first; i < out->spans.size(); ++i) {
    model::Span& s = out->spans[i];
    if (const char* what = DecodeSpan(in, &s)) {
      spdlog::critical("storage: memtable span encoding corrupt ({}); memory is corrupt", what);
      std::abort();
    }
    // Consecutive spans of a trace usually share resource and scope: reuse
    // the last one appended instead of copying it again.
    if (out->resources.empty() || !(out->resources.back() == resources_[s.resource_index])) {
      out->resources.push_back(resources_[s.resource_index]);
    }
    if (out->scopes.empty() || !(out->scopes.back() == scopes_[s.scope_index])) {
      out->scopes.push_back(scopes_[s.scope_index]);
    }
    s.resource_index = static_cast<uint32_t>(out->resources.size() - 1);
    s.scope_index = static_cast<uint32_t>(out->scopes.size() - 1);
  }
  return t.span_count;
}

void Memtable::ForEachTrace(const std::function<bool(const model::TraceId&, const MemTrace&)>& fn) const {
  std::shared_lock lock(mu_);
  for (const auto& [id, t] : traces_) {
    if (!fn(id, t)) return;
  }
}

void Memtable::ForEachTraceSorted(
    const std::function<bool(const model::TraceId&, const MemTrace&)>& fn) const {
  std::shared_lock lock(mu_);
  std::vector<const std::pair<const model::TraceId, MemTrace>*> order;
  order.reserve(traces_.size());
  for (const auto& e : traces_) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (auto* e : order) {
    if (!fn(e->first, e->second)) return;
  }
}

std::vector<std::pair<model::TraceId, const MemTrace*>> Memtable::SortedTraces() const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<model::TraceId, const MemTrace*>> out;
  out.reserve(traces_.size());
  for (const auto& [id, t] : traces_) {
    if (t.span_count != 0) out.emplace_back(id, &t);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace tracery::storage
