// Evaluation of a SpanCondition against one span, and the per-source
// partial trace summary that FindTraces merges across memtables and
// segments. Shared by the memtable and segment search paths so both give
// identical answers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/span.h"
#include "storage/span_store.h"

namespace tracery::storage {

// True when `span` (whose process is `resource`) satisfies every field of `c`.
// Tag semantics as documented on TagFilter; "error=true" also matches status
// ERROR, "span.kind=<name>" matches the span kind.
bool SpanMatches(const SpanCondition& c, const model::Span& span, const model::Resource& resource);

// Tag values longer than this are not indexed in segment posting lists
// (queries on them fall back to decoding the candidate spans).
inline constexpr size_t kMaxIndexedTagBytes = 64;

// What one source (a memtable or a segment) knows about a trace.
struct TracePartial {
  uint64_t start_ns = UINT64_MAX;
  uint64_t end_ns = 0;
  uint32_t span_count = 0;
  uint32_t error_count = 0;
  bool has_root = false;
  uint64_t root_start_ns = UINT64_MAX;  // start of the root span, or of the earliest span
  std::string root_service;
  std::string root_operation;

  // Folds one span into the summary.
  void AddSpan(const model::Span& s, std::string_view service);
  void Merge(const TracePartial& o);
};

}  // namespace tracery::storage
