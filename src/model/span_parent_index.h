// SpanParentIndex: the parent/child links of one trace's spans, the one
// definition every reader of a whole trace shares (analysis::TraceTree,
// traceql::TraceIndex):
//  - duplicates: the first copy of each span id in the batch is the span
//    ("live"); later copies with the same id are duplicates and take no part;
//  - parent: the live span whose id is the span's parent_span_id; none when
//    that id is zero, names the span itself, or names no span of the batch
//    (an orphan, which readers show as a root).
// Parent cycles (corrupt ids) are left as they are: readers break them in
// their own way when they walk from the roots.
//
// Build is O(n) expected; buffers are reused across Builds. Not thread-safe
// while building; const methods may be called concurrently afterwards.
#pragma once

#include <cstdint>
#include <vector>

#include "model/span.h"

namespace tracery::model {

class SpanParentIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Indexes `trace.spans`. Only the span ids are read; `trace` need not
  // outlive the index.
  void Build(const SpanBatch& trace);

  // All indexes below are into trace.spans.
  size_t size() const { return live_.size(); }
  bool live(uint32_t span) const { return live_[span] != 0; }
  // kNone for roots, orphans and duplicates.
  uint32_t parent(uint32_t span) const { return parent_[span]; }
  // Children of a live span, in batch order: first_child, then next_sibling
  // until kNone.
  uint32_t first_child(uint32_t span) const { return first_child_[span]; }
  uint32_t next_sibling(uint32_t span) const { return next_sibling_[span]; }
  // Live spans without a parent (roots and orphans), in batch order.
  const std::vector<uint32_t>& roots() const { return roots_; }

 private:
  std::vector<uint8_t> live_;
  std::vector<uint32_t> parent_;
  std::vector<uint32_t> first_child_;
  std::vector<uint32_t> next_sibling_;
  std::vector<uint32_t> roots_;
};

}  // namespace tracery::model
