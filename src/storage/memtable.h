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
// Readers never hold the lock for more than a bounded amount of work: the
// trace walks (ForEachTrace and friends) give the lock up between two
// callbacks whenever a writer is waiting (or, when callbacks are expensive,
// hold it only to copy a few traces out), and the lock is writer-preferring
// (WriterPriorityMutex), so however many searches overlap, an Add waits at
// most for each active walk's current callback or copy-out to finish.
//
// Traces are kept in arrival order of their first span, at positions that
// never change (0, 1, 2, ...), which lets a walk resume where it gave the
// lock up, and lets a search for the most recent traces walk newest first.
//
// The memtable also keeps, as spans are added, the catalog the UI asks for on
// every page (services, and each service's operations with their span kind),
// and caches the dependency edges of a memtable that has stopped changing,
// so those queries do not decode spans.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/span.h"
#include "storage/span_codec.h"
#include "storage/span_matcher.h"
#include "storage/span_store.h"
#include "storage/writer_priority_mutex.h"

namespace tracery::storage {

// An append-only array whose elements never move, readable without a lock
// at any index below size() while one writer appends: the chunk holding an
// element and the element itself are written before size() is published
// (release), and a reader that saw the size (acquire) sees them. Chunks
// double in size, so there is no reallocation to race with.
template <typename T>
class AppendOnlyTable {
 public:
  AppendOnlyTable() = default;
  ~AppendOnlyTable() {
    for (T* c : chunks_) delete[] c;
  }
  AppendOnlyTable(const AppendOnlyTable&) = delete;
  AppendOnlyTable& operator=(const AppendOnlyTable&) = delete;

  size_t size() const { return size_.load(std::memory_order_acquire); }
  // REQUIRES: i < size().
  const T& operator[](size_t i) const {
    auto [k, off] = Locate(i);
    return chunks_[k][off];
  }
  // REQUIRES: one appender at a time.
  void push_back(const T& v) {
    size_t i = size_.load(std::memory_order_relaxed);
    auto [k, off] = Locate(i);
    if (chunks_[k] == nullptr) chunks_[k] = new T[kFirstChunk << k];
    chunks_[k][off] = v;
    size_.store(i + 1, std::memory_order_release);
  }

 private:
  static constexpr size_t kFirstChunk = 16;
  // Chunk k holds kFirstChunk << k elements, from index kFirstChunk * (2^k - 1).
  static std::pair<size_t, size_t> Locate(size_t i) {
    size_t k = static_cast<size_t>(std::bit_width(i / kFirstChunk + 1)) - 1;
    return {k, i - kFirstChunk * ((size_t{1} << k) - 1)};
  }
  std::array<T*, 48> chunks_{};
  std::atomic<size_t> size_{0};
};

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
  uint64_t error_resource_bits = 0;    // the same, of the kept spans with status ERROR
  bool has_error() const { return error_resource_bits != 0; }
};

// False when no span of `t` can satisfy `c`, judged from the summaries
// alone; true means "decode and check". `service_bits`: the bits
// (resource_index % 64) of the memtable's resources whose service is
// c.service (ignored when c.service is empty). `error_attribute_possible`:
// false when the memtable holds no attribute with the key "error"
// (Memtable::MayHoldErrorAttribute), so that a tag condition `error=true`
// can only be met by a span with status ERROR.
bool MayMatch(const MemTrace& t, const SpanCondition& c, uint64_t service_bits,
              bool error_attribute_possible = true);

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

  using TraceFn = std::function<bool(const model::TraceId&, const MemTrace&)>;

  // Calls fn for every trace, in arrival order of the traces' first spans,
  // until fn returns false. The walk never makes a writer wait for more than
  // a bounded piece of work: cheap callbacks (summary checks) run under the
  // shared lock, which the walk gives up between two calls whenever an Add
  // is waiting; once callbacks prove expensive (decoding spans, measured
  // every 64 calls), the walk copies a few traces out under the lock and
  // calls fn on the copies without it, so a reader that the OS preempts in
  // a callback does not hold the writer up. So during one walk:
  //  - every trace present when the walk began is visited exactly once;
  //    traces added after it began are not visited (so a walk ends however
  //    fast the writer adds);
  //  - a trace visited late in the walk may hold spans added after the walk
  //    began, and the resource/scope tables may have grown between two
  //    calls: anything derived from them (e.g. bits per resource) and cached
  //    across calls must be refreshed when resource_count() has changed;
  //  - the MemTrace reference (the trace itself or a copy of it) is valid
  //    only inside the call.
  // fn must not call a locking method of this memtable (everything except
  // resource(), scope() and the counts beside them): fn may run under the
  // lock, which is not recursive, and a waiting writer would deadlock it.
  void ForEachTrace(const TraceFn& fn) const;
  // As ForEachTrace, newest first (reverse arrival order of the traces'
  // first spans), for searches that want the most recent traces.
  void ForEachTraceNewestFirst(const TraceFn& fn) const;
  // As ForEachTrace, over the traces at positions [begin, end) (clamped to
  // TraceCount()); returns the position after the last trace fn was called
  // on. Lets a caller walk in pieces and do slow work (e.g. hand spans to a
  // consumer) between pieces without holding anything.
  size_t ForEachTraceIn(size_t begin, size_t end, const TraceFn& fn) const;
  // The number of traces; positions [0, TraceCount()) are valid.
  size_t TraceCount() const;
  // Like ForEachTrace, but in trace-id order and holding the shared lock for
  // the whole walk: for frozen memtables (building segments), where no
  // writer can be waiting.
  void ForEachTraceSorted(const TraceFn& fn) const;

  // The services with at least one kept span, sorted. Maintained by Add: no
  // span is decoded.
  std::vector<std::string> Services() const;
  // The distinct (operation name, span kind) of the kept spans of `service`
  // (of that kind only, when given), unordered. Maintained by Add.
  std::vector<Operation> Operations(std::string_view service, std::optional<model::SpanKind> kind) const;
  // The cross-service parent->child calls among each trace's kept spans
  // (parent and child in the same trace, services differ) whose child starts
  // in [start_ns, end_ns], with the calls whose child has status ERROR;
  // unordered, one link per (parent, child) pair. When the range covers
  // every kept span's start, the answer is cached until the next Add, so a
  // frozen memtable decodes its spans for this once; otherwise (or while
  // Adds keep coming) it decodes, walking as ForEachTrace does.
  std::vector<DependencyLink> Dependencies(uint64_t start_ns, uint64_t end_ns) const;

  // The resource and scope tables only grow and their elements never move:
  // callable at any time (with or without a walk) for i < the count.
  const model::Resource& resource(uint32_t i) const { return resources_[i]; }
  const model::Scope& scope(uint32_t i) const { return scopes_[i]; }
  size_t resource_count() const { return resources_.size(); }
  size_t scope_count() const { return scopes_.size(); }

  // False while no kept span, span event or resource has an attribute with
  // the key "error" (Jaeger-style `error=true` tags): searches for the tag
  // `error=true` then need to look only at traces with an ERROR span of the
  // service (MayMatch). Read it before a walk; spans added after that are
  // not guaranteed to be covered.
  bool MayHoldErrorAttribute() const { return error_attribute_seen_.load(std::memory_order_acquire); }

  // The traces in trace-id order. REQUIRES: the memtable is frozen (no
  // further Add), so the pointers' targets stay unchanged without a lock
  // (the pointers themselves stay valid for the memtable's lifetime).
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
  // Records (service, kind, name) in the catalog. REQUIRES: mu_ held exclusively.
  void NoteOperation(uint32_t service, model::SpanKind kind, std::string_view name);
  // Visits positions [begin, end) (end clamped to the trace count when the
  // walk begins) upwards, or downwards when newest_first; returns the next
  // position an upward walk would visit.
  size_t Walk(size_t begin, size_t end, bool newest_first, const TraceFn& fn) const;

  struct Entry {
    model::TraceId id;
    MemTrace trace;
  };
  struct DependencyCache {
    uint64_t version = 0;  // adds_ when computed
    std::vector<DependencyLink> links;
  };

  const size_t max_spans_per_trace_;
  const uint64_t created_ns_;
  mutable WriterPriorityMutex mu_;
  // Adds waiting for mu_: a walk gives the shared lock up when non-zero.
  mutable std::atomic<uint32_t> writers_waiting_{0};
  std::atomic<bool> error_attribute_seen_{false};  // written under mu_ (exclusive)
  std::deque<Entry> traces_;  // by position; a deque keeps references stable as it grows
  std::unordered_map<model::TraceId, uint32_t, model::TraceIdHash> positions_;
  // Readable without mu_ (callbacks may run without it).
  AppendOnlyTable<model::Resource> resources_;
  AppendOnlyTable<model::Scope> scopes_;
  std::unordered_map<std::string, uint32_t> resource_ids_;  // encoded content -> index
  std::unordered_map<std::string, uint32_t> scope_ids_;
  // Catalog. Services are numbered by name (resources of one service share
  // a number); operations are deduplicated by a key of service number, kind
  // and name.
  AppendOnlyTable<uint32_t> resource_service_;  // resource index -> service number
  std::vector<std::string> service_names_;  // service number -> name
  std::vector<uint8_t> service_has_span_;   // service number -> a span was kept
  std::unordered_map<std::string, uint32_t> service_numbers_;
  struct CatalogOperation {
    uint32_t service;
    model::SpanKind kind;
    std::string name;
  };
  // A catalog key; `name` views a CatalogOperation's name (or, for a lookup,
  // the span's).
  struct OperationKey {
    uint32_t service;
    model::SpanKind kind;
    std::string_view name;
    friend bool operator==(const OperationKey&, const OperationKey&) = default;
  };
  // Looked up when a span misses operation_cache_: a short
  // multiply-mix over 8-byte words instead of std::hash's byte loop.
  struct OperationKeyHash {
    size_t operator()(const OperationKey& k) const;
  };
  std::deque<CatalogOperation> operations_;  // a deque: names stay put, keys view them
  std::unordered_map<OperationKey, uint32_t, OperationKeyHash> operation_keys_;  // -> index in operations_
  // In front of operation_keys_: a direct-mapped cache indexed by a few
  // bytes of the key (no loop over the name), which answers most spans from
  // L1. Collisions only cost a fall-through to the full lookup.
  static constexpr size_t kOperationCacheSlots = 1024;
  std::unique_ptr<const CatalogOperation*[]> operation_cache_{new const CatalogOperation*[kOperationCacheSlots]()};
  std::string scratch_;
  size_t bytes_ = 0;  // heap bytes held: trace buffers' capacity, map nodes, tables
  size_t spans_ = 0;
  uint64_t dropped_ = 0;
  uint64_t adds_ = 0;  // Add calls: a version for caches of derived data
  uint64_t min_span_start_ns_ = UINT64_MAX;
  uint64_t max_span_start_ns_ = 0;
  mutable std::mutex deps_mu_;  // guards deps_cache_; never held together with mu_
  mutable std::shared_ptr<const DependencyCache> deps_cache_;
};

}  // namespace tracery::storage
