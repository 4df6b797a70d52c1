// Planning and running a TraceQL search against a SpanStore.
//
// The planner pushes into storage::TraceQuery only conditions that every
// matching trace must satisfy (a relaxation of the query), so the store can
// narrow candidates with its indexes; every candidate is then fetched and
// evaluated in full, so pushdown never changes the answer, only the work.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "storage/span_store.h"
#include "traceql/ast.h"
#include "traceql/evaluator.h"

namespace tracery::traceql {

struct PushdownPlan {
  // Each must be satisfied by some span of a matching trace.
  std::vector<storage::SpanCondition> span_conditions;
  uint64_t min_trace_duration_ns = 0;  // 0: no bound
  uint64_t max_trace_duration_ns = 0;  // 0: no bound
};

// What can be pushed down from `query`:
//  - from a filter's top-level conjunction (a && b && ...), on one span:
//    name = "x" (operation), resource.service.name / .service.name = "x"
//    (service), other attribute = "string" or bool (tag), status = error,
//    kind = k, duration > >= < <= d; trace-wide: traceDuration bounds;
//    rootServiceName = "x" and rootName = "x" each as a condition of their own;
//  - from every filter that must be non-empty: both sides of spanset &&
//    and of the structural operators, and pipeline { } stages.
// Nothing is pushed from under || or !.
PushdownPlan PlanPushdown(const Query& query);

struct SearchOptions {
  uint64_t start_time_min_ns = 0;           // trace start window
  uint64_t start_time_max_ns = UINT64_MAX;
  size_t limit = 20;                        // traces returned at most
  uint64_t min_trace_duration_ns = 0;       // extra bounds (Tempo's minDuration/maxDuration); 0: none
  uint64_t max_trace_duration_ns = 0;
  size_t max_inspected_traces = 5000;       // candidates fetched and evaluated at most
  size_t max_spans_per_trace = 10'000;      // GetTrace bound per candidate
  uint64_t time_budget_ms = 10'000;         // wall clock for the whole search
};

struct TraceMatch {
  storage::TraceSummary summary;
  model::SpanBatch trace;          // the spans the spansets index into
  std::vector<Spanset> spansets;   // non-empty
};

struct SearchResult {
  std::vector<TraceMatch> traces;  // most recent first
  size_t inspected_traces = 0;
  // True when the search stopped at max_inspected_traces or the time budget
  // before running out of candidates: more matches may exist.
  bool partial = false;
};

// Runs `query` over `store`: FindTraces (paged with its cursor) for
// candidates that satisfy the pushed-down conditions, GetTrace for each, full
// evaluation. Store errors other than NotFound of a vanished trace and
// DeadlineExceeded (which ends the search with partial results) are returned.
// Thread-safe if the store is.
Result<SearchResult> SearchTraces(storage::SpanStore& store, const Query& query, const SearchOptions& options);

}  // namespace tracery::traceql
