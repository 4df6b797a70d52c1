// InMemorySpanStore: a complete SpanStore over a vector, for tests of code
// that reads through the SpanStore interface. Linear scans; no cursors
// (next_cursor is always empty). Thread-safe (one mutex).
#pragma once

#include <mutex>
#include <vector>

#include "storage/span_store.h"

namespace tracery::analysis::testing {

class InMemorySpanStore : public storage::SpanStore {
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

 private:
  std::mutex mu_;
  model::SpanBatch all_;  // every span written, resources deduplicated per append
};

}  // namespace tracery::analysis::testing
