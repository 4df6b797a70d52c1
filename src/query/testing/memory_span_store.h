// MemorySpanStore: a complete, simple SpanStore kept in memory, for the
// query tests only (linear scans everywhere; not for production). It
// implements every contract of storage/span_store.h so the API handlers are
// tested against the same semantics the real engine provides.
//
// Thread-safety: every method takes one mutex; safe to call concurrently.
#pragma once

#include <mutex>

#include "storage/span_store.h"

namespace tracery::query::testing {

class MemorySpanStore final : public storage::SpanStore {
 public:
  Status Write(const model::SpanBatch& batch) override;
  Result<model::SpanBatch> GetTrace(const model::TraceId& id, size_t max_spans) override;
  Result<storage::FindResult> FindTraces(const storage::TraceQuery& query) override;
  Result<std::vector<std::string>> GetServices() override;
  Result<std::vector<storage::Operation>> GetOperations(const std::string& service,
                                                        std::optional<model::SpanKind> kind) override;
  Result<std::vector<storage::DependencyLink>> GetDependencies(uint64_t start_ns, uint64_t end_ns) override;
  Status ScanSpans(uint64_t start_ns, uint64_t end_ns,
                   const std::function<bool(const model::SpanBatch&)>& fn) override;
  Status Flush() override { return Status::Ok(); }
  storage::StoreStats Stats() override;

  // The last query FindTraces received, so tests can check what a handler
  // asked the store for.
  storage::TraceQuery last_query() const;
  // Number of GetTrace calls so far.
  size_t get_trace_calls() const;

 private:
  mutable std::mutex mu_;
  model::SpanBatch all_;  // every span written, in write order
  storage::TraceQuery last_query_;
  size_t get_trace_calls_ = 0;
};

}  // namespace tracery::query::testing
