// SpanStore: the interface every storage backend implements (the embedded
// trace store now, ClickHouse later). The collector writes through it; the
// query APIs and analysis read through it.
//
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/span.h"

namespace tracery::storage {

// key=value on a span: matches a span attribute, a resource attribute of the
// span's process, or an attribute of one of its events, comparing the
// value's AnyValue::ToString() rendering exactly. The pseudo-keys "error"
// (value "true": status ERROR) and "span.kind" match intrinsics.
struct TagFilter {
  std::string key;
  std::string value;
};

// Conditions that one span must all satisfy. Unset fields match anything.
struct SpanCondition {
  std::string service;
  std::string operation;
  std::optional<model::SpanKind> kind;
  std::vector<TagFilter> tags;
  uint64_t min_duration_ns = 0;  // 0: no lower bound
  uint64_t max_duration_ns = 0;  // 0: no upper bound
  bool error_only = false;       // status code ERROR
};

enum class TraceOrder : uint8_t {
  kMostRecent = 0,   // by trace start time, newest first
  kLongestFirst,     // by whole-trace duration, exactly the top K
  kShortestFirst,
};

// A search over whole traces. A trace matches when its start time falls in
// [start_time_min_ns, start_time_max_ns], every SpanCondition is satisfied
// by some span of the trace (possibly a different span for each condition),
// and the whole trace's duration (latest end minus earliest start) is within
// the trace duration bounds.
struct TraceQuery {
  uint64_t start_time_min_ns = 0;
  uint64_t start_time_max_ns = UINT64_MAX;
  std::vector<SpanCondition> span_conditions;
  uint64_t min_trace_duration_ns = 0;  // 0: no bound
  uint64_t max_trace_duration_ns = 0;  // 0: no bound
  TraceOrder order = TraceOrder::kMostRecent;
  size_t limit = 20;
  // Opaque token from a previous FindResult::next_cursor: continue after
  // the last trace of that page, in the same order.
  std::string cursor;
  // Wall-clock budget; the search returns DeadlineExceeded past it.
  uint64_t timeout_ms = 10'000;
};

struct TraceSummary {
  model::TraceId trace_id;
  uint64_t start_time_unix_nano = 0;  // earliest span start
  uint64_t end_time_unix_nano = 0;    // latest span end
  std::string root_service;           // service and name of the root span,
  std::string root_operation;         // or of the earliest span if no root
  uint32_t span_count = 0;
  uint32_t error_count = 0;
  uint64_t DurationNanos() const {
    return end_time_unix_nano > start_time_unix_nano ? end_time_unix_nano - start_time_unix_nano : 0;
  }
};

struct FindResult {
  std::vector<TraceSummary> traces;
  std::string next_cursor;  // empty when there is no further page
};

struct Operation {
  std::string name;
  model::SpanKind kind = model::SpanKind::kUnspecified;
  friend bool operator==(const Operation&, const Operation&) = default;
};

// A caller→callee edge between services, from parent/child spans whose
// services differ.
struct DependencyLink {
  std::string parent;
  std::string child;
  uint64_t call_count = 0;
  uint64_t error_count = 0;
};

struct StoreStats {
  uint64_t spans_written = 0;
  uint64_t spans_stored = 0;
  uint64_t bytes_on_disk = 0;
  uint64_t segments = 0;
  uint64_t memtable_spans = 0;
};

class SpanStore {
 public:
  virtual ~SpanStore() = default;

  // Stores every span of `batch`. Returns OK only once the spans are durable
  // by the configured policy (e.g. the write-ahead log group commit fsynced).
  // Returns ResourceExhausted or Unavailable when the store cannot keep up
  // or is out of disk; nothing of the batch is then stored, so the client
  // may retry the whole batch.
  virtual Status Write(const model::SpanBatch& batch) = 0;

  // All stored spans of the trace, duplicates included (assembly removes
  // them). NotFound when no span of that trace is stored. Needs no time
  // range. At most `max_spans` spans are returned (the earliest starting);
  // the caller marks the trace truncated when more exist.
  virtual Result<model::SpanBatch> GetTrace(const model::TraceId& id, size_t max_spans) = 0;

  virtual Result<FindResult> FindTraces(const TraceQuery& query) = 0;

  // Services and operations seen in the retained data (any order).
  virtual Result<std::vector<std::string>> GetServices() = 0;
  virtual Result<std::vector<Operation>> GetOperations(const std::string& service,
                                                       std::optional<model::SpanKind> kind) = 0;

  virtual Result<std::vector<DependencyLink>> GetDependencies(uint64_t start_ns, uint64_t end_ns) = 0;

  // Calls `fn` with groups of spans whose start falls in [start_ns, end_ns).
  // All spans passed in one call belong to one trace, but a trace may be
  // passed in more than one call when its spans were stored at different
  // times. Stops early when `fn` returns false. For analysis that needs
  // every span (percentiles, flame graphs) within a bounded time range.
  virtual Status ScanSpans(uint64_t start_ns, uint64_t end_ns,
                           const std::function<bool(const model::SpanBatch&)>& fn) = 0;

  // Makes everything written so far durable and searchable.
  virtual Status Flush() = 0;

  virtual StoreStats Stats() = 0;
};

}  // namespace tracery::storage
