// Memtable: the most recent spans, grouped by trace, in memory. Writes go
// to the active memtable after their WAL record is durable; when it is full
// it is frozen (no more Add) and a background thread writes it out as
// segments.
//
// Spans are kept in their encoded form (span_codec's span layout, one byte
// string per trace), not as model objects: Add costs one encode (memcpy of
// the strings) and no allocation per span, and freeing a memtable frees one
// buffer per trace. Readers decode into reused buffers (DecodeSpans).
//
// Thread-safety: Add (one writer at a time, the group-commit leader) may run
// concurrently with any number of readers; all methods lock internally.
#pragma once

#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/span.h"
#include "storage/span_codec.h"
#include "storage/span_matcher.h"

namespace tracery::storage {

struct MemTrace {
  // The kept spans in arrival order, each in EncodeSpan layout, with
  // resource/scope indexes into the memtable's tables.
  std::string encoded;
  uint32_t span_count = 0;
  uint32_t dropped_spans = 0;          // spans over max_spans_per_trace that were not kept
  uint64_t min_start_ns = UINT64_MAX;  // earliest start of the kept spans
  // Summaries that let a search skip decoding the trace (MayMatch).
  uint64_t max_duration_ns = 0;        // longest kept span
  uint64_t resource_bits = 0;          // bit (resource_index % 64) of every kept span
  bool has_error = false;              // a kept span has status ERROR
};

// False when no span of `t` can satisfy `c`, judged from the summaries
// alone; true means "decode and check". `service_bits`: the bits
// (resource_index % 64) of the memtable's resources whose service is
// c.service (ignored when c.service is empty).
bool MayMatch(const MemTrace& t, const SpanCondition& c, uint64_t service_bits);

// Decodes the spans of `t` into *spans (resized to t.span_count; the
// elements' buffers are reused, so decoding many traces into one vector
// allocates little). The bytes were written by Memtable::Add, so a decoding
// failure means memory corruption: it aborts.
void DecodeSpans(const MemTrace& t, std::vector<model::Span>* spans);

class Memtable {
 public:
  // `max_spans_per_trace`: spans of one trace beyond this are counted and
  // dropped (bounds memory against runaway traces).
  Memtable(size_t max_spans_per_trace, uint64_t created_ns)
      : max_spans_per_trace_(max_spans_per_trace), created_ns_(created_ns) {}

  // Copies every span of `batch` in (encoded). REQUIRES: batch is valid
  // (resource and scope indexes in range). Hot path: no allocation per span
  // (only when a trace's buffer grows); resources and scopes deduplicated by
  // content.
  void Add(const model::SpanBatch& batch);
  // As Add, but copies each span's bytes from `encoded` (the output of
  // EncodeSpanBatch(batch, ..., &ranges), e.g. the WAL record) instead of
  // encoding it again. REQUIRES: ranges.size() == batch.spans.size().
  void AddEncoded(const model::SpanBatch& batch, std::string_view encoded,
                  const std::vector<EncodedSpanRange>& ranges);

  size_t ApproximateBytes() const;
  size_t SpanCount() const;
  uint64_t DroppedSpans() const;
  uint64_t created_ns() const { return created_ns_; }

  // Appends the trace's spans (with their resources and scopes) to *out;
  // returns the number appended.
  size_t GetTrace(const model::TraceId& id, model::SpanBatch* out) const;

  // Calls fn for every trace under a shared lock; fn must not call back into
  // this memtable. Stops when fn returns false. Order: unspecified.
  void ForEachTrace(const std::function<bool(const model::TraceId&, const MemTrace&)>& fn) const;
  // Like ForEachTrace, but in trace-id order (used to build segments).
  void ForEachTraceSorted(const std::function<bool(const model::TraceId&, const MemTrace&)>& fn) const;

  // REQUIRES: called from within a ForEachTrace callback (the tables only
  // grow, and references are stable while the shared lock is held).
  const model::Resource& resource(uint32_t i) const { return resources_[i]; }
  const model::Scope& scope(uint32_t i) const { return scopes_[i]; }
  size_t resource_count() const { return resources_.size(); }
  size_t scope_count() const { return scopes_.size(); }

  // The traces in trace-id order. REQUIRES: the memtable is frozen (no
  // further Add), so the pointers stay valid without a lock.
  std::vector<std::pair<model::TraceId, const MemTrace*>> SortedTraces() const;

  // Wal files whose records this memtable holds; deleted once it is in segments.
  std::vector<uint64_t> wal_numbers;

 private:
  uint32_t InternResource(const model::Resource& r);  // REQUIRES: mu_ held exclusively
  uint32_t InternScope(const model::Scope& s);        // REQUIRES: mu_ held exclusively
  // append_span(i, rm, sm, dst) appends span i's encoding with resource and
  // scope indexes rm/sm to *dst.
  template <typename AppendSpan>
  void AddImpl(const model::SpanBatch& batch, AppendSpan append_span);

  const size_t max_spans_per_trace_;
  const uint64_t created_ns_;
  mutable std::shared_mutex mu_;
  std::unordered_map<model::TraceId, MemTrace, model::TraceIdHash> traces_;
  std::vector<model::Resource> resources_;
  std::vector<model::Scope> scopes_;
  std::unordered_map<std::string, uint32_t> resource_ids_;  // encoded content -> index
  std::unordered_map<std::string, uint32_t> scope_ids_;
  std::string scratch_;
  size_t bytes_ = 0;  // heap bytes held: trace buffers' capacity, map nodes, tables
  size_t spans_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace tracery::storage
