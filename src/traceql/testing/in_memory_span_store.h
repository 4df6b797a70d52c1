// InMemorySpanStore: a small, complete SpanStore that keeps everything in
// memory and answers every query by a linear scan. For tests of code that
// reads through the SpanStore interface (the TraceQL planner, the Tempo API);
// not for production data sizes.
//
// Thread-safety: every method may be called concurrently (one mutex).
#pragma once

#include <map>
#include <mutex>

#include "storage/span_store.h"

namespace tracery::traceql::testing {

class InMemorySpanStore : public storage::SpanStore {
 public:
  Status Write(const model::SpanBatch& batch) override;
  Result<model::SpanBatch> GetTrace(const model::TraceId& id, size_t max_spans) override;
  // Cursors are decimal offsets into the ordered list of matching traces.
  Result<storage::FindResult> FindTraces(const storage::TraceQuery& query) override;
  Result<std::vector<std::string>> GetServices() override;
  Result<std::vector<storage::Operation>> GetOperations(const std::string& service,
                                                        std::optional<model::SpanKind> kind) override;
  Result<std::vector<storage::DependencyLink>> GetDependencies(uint64_t start_ns, uint64_t end_ns) override;
  Status ScanSpans(uint64_t start_ns, uint64_t end_ns,
                   const std::function<bool(const model::SpanBatch&)>& fn) override;
  Status Flush() override { return Status::Ok(); }
  storage::StoreStats Stats() override;

  // Calls of GetTrace so far, for tests that check how much work a search did.
  size_t get_trace_calls() const;

 private:
  mutable std::mutex mu_;
  std::map<model::TraceId, model::SpanBatch> traces_;  // GUARDED_BY(mu_)
  uint64_t spans_written_ = 0;                         // GUARDED_BY(mu_)
  size_t get_trace_calls_ = 0;                         // GUARDED_BY(mu_)
};

// Whether `span` of `batch` satisfies `cond` by the SpanStore contract.
bool SpanSatisfies(const model::SpanBatch& batch, const model::Span& span, const storage::SpanCondition& cond);

}  // namespace tracery::traceql::testing
