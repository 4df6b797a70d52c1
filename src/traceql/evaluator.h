// Evaluates a parsed TraceQL query on one trace.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/span.h"
#include "model/span_parent_index.h"
#include "traceql/ast.h"

namespace tracery::traceql {

// The parent/child structure of one trace, on model::SpanParentIndex:
// duplicate spans (same span id, as a store may return) are kept once (the
// first copy); a span whose parent is not in the trace counts as a root.
// Cycles (corrupt parent ids) never loop: spans unreachable from a root (on
// a cycle or below one) have no ancestors.
class TraceIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // `trace` must outlive the index and not change while it is used.
  void Build(const model::SpanBatch& trace);

  const model::SpanBatch& trace() const { return *trace_; }
  // Indexes into trace().spans of the distinct spans, parents before
  // their children (breadth first from the roots), cycle members last.
  const std::vector<uint32_t>& order() const { return order_; }
  uint32_t parent(uint32_t span) const { return parent_[span]; }
  bool live(uint32_t span) const { return live_[span] != 0; }
  // The root span (no parent id; the earliest starting if several; the
  // earliest span if none), or kNone for an empty trace.
  uint32_t root() const { return root_; }
  uint64_t start_unix_nano() const { return start_ns_; }
  uint64_t end_unix_nano() const { return end_ns_; }
  uint64_t DurationNanos() const { return end_ns_ > start_ns_ ? end_ns_ - start_ns_ : 0; }

 private:
  const model::SpanBatch* trace_ = nullptr;
  model::SpanParentIndex links_;
  std::vector<uint32_t> parent_;
  std::vector<uint8_t> live_;
  std::vector<uint32_t> order_;
  uint32_t root_ = kNone;
  uint64_t start_ns_ = 0;
  uint64_t end_ns_ = 0;
};

// One spanset of the result: spans of the evaluated trace that matched,
// plus the values that grouped or aggregated them ("by(resource.service.name)"
// → "cart", "count()" → 3).
struct Spanset {
  std::vector<uint32_t> spans;  // indexes into the trace's spans, ascending
  std::vector<model::KeyValue> attributes;
};

// Reads a field's value for one span (attributes, intrinsics, literals).
// Strings in the returned Value view the trace or the query.
Value ReadField(const FieldExpr& field, const TraceIndex& index, uint32_t span);

// A value as an attribute value for output (status and kind as their
// names, durations as integer nanoseconds, nil as an empty value).
model::AnyValue ValueToAnyValue(const Value& v);

// Compares two values with a comparison operator (kEq ... kNotRegex; for
// the regex operators `regex` is the compiled pattern). Mismatched types
// compare false; `x = nil` is true when x is absent, `x != nil` when present.
bool CompareValues(const Value& lhs, FieldOp op, const Value& rhs, const re2::RE2* regex);

// Evaluates one query on one trace at a time. Keeps scratch buffers between
// calls so evaluation allocates per trace and per query node, not per span.
// Not thread-safe: use one Evaluator per thread. `query` must outlive it.
class Evaluator {
 public:
  explicit Evaluator(const Query& query) : query_(query) {}

  // The spansets the query selects in `trace` (all spans of one trace);
  // empty when the trace does not match.
  std::vector<Spanset> Evaluate(const model::SpanBatch& trace);

  // The index of the trace last evaluated (valid until the next call).
  const TraceIndex& index() const { return index_; }

 private:
  std::vector<uint8_t> EvalSpanset(const SpansetExpr& e);
  bool Matches(const FieldExpr* filter, uint32_t span) const;

  const Query& query_;
  TraceIndex index_;
};

// The fields whose values a search result shows with each span: the
// attributes the query's filters compare and those it select()s.
std::vector<const FieldExpr*> DisplayedFields(const Query& query);

}  // namespace tracery::traceql
