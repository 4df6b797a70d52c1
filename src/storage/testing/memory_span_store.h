// MemorySpanStore: a complete, simple SpanStore kept in memory, for tests of
// code that reads or writes through the SpanStore interface (the query APIs,
// analysis, TraceQL). Linear scans everywhere; not for production data
// sizes. It passes the SpanStore conformance suite
// (memory_span_store_test.cc), so tests built on it see the semantics every
// real backend provides:
//  - GetTrace returns the earliest-starting `max_spans` spans;
//  - FindTraces orders ties by trace id; its cursor is the hex id of the
//    last trace of the previous page (InvalidArgument for anything else);
//  - a trace's root is its earliest-starting span without a parent, else its
//    earliest span.
//
// Thread-safety: every method takes one mutex; safe to call concurrently.
// ScanSpans calls `fn` without holding it, so `fn` may call the store.
#pragma once

#include <map>
#include <mutex>

#include "storage/span_store.h"

namespace tracery::storage::testing {

class MemorySpanStore final : public SpanStore {
 public:
  Status Write(const model::SpanBatch& batch) override;
  Result<model::SpanBatch> GetTrace(const model::TraceId& id, size_t max_spans) override;
  Result<FindResult> FindTraces(const TraceQuery& query) override;
  Result<std::vector<std::string>> GetServices() override;
  Result<std::vector<Operation>> GetOperations(const std::string& service,
                                               std::optional<model::SpanKind> kind) override;
  Result<std::vector<DependencyLink>> GetDependencies(uint64_t start_ns, uint64_t end_ns) override;
  Status ScanSpans(uint64_t start_ns, uint64_t end_ns,
                   const std::function<bool(const model::SpanBatch&)>& fn) override;
  Status Flush() override { return Status::Ok(); }
  StoreStats Stats() override;

  // The last query FindTraces received, so tests can check what a handler
  // asked the store for.
  TraceQuery last_query() const;
  // Number of GetTrace calls so far, for tests that check how much work a
  // search did.
  size_t get_trace_calls() const;

 private:
  mutable std::mutex mu_;
  // Every span written, grouped by trace, in write order within a trace.
  std::map<model::TraceId, model::SpanBatch> traces_;  // GUARDED_BY(mu_)
  uint64_t spans_written_ = 0;                         // GUARDED_BY(mu_)
  TraceQuery last_query_;                              // GUARDED_BY(mu_)
  size_t get_trace_calls_ = 0;                         // GUARDED_BY(mu_)
};

// Whether `span` of `batch` satisfies `cond` by the SpanStore contract
// (storage/span_store.h: TagFilter and SpanCondition).
bool SpanSatisfies(const model::SpanBatch& batch, const model::Span& span, const SpanCondition& cond);

}  // namespace tracery::storage::testing
