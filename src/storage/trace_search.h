// TraceSearch: the embedded store's FindTraces over one snapshot of its
// sources (memtables and segments), returning exactly what the exhaustive
// reference (EmbeddedStore::FindTracesExhaustive) returns, with much less
// work for the common queries:
//
// - Most recent first: trace parts are examined newest-first in time slices
//   (the first sized from the store's trace density to hold ~4x the limit,
//   then growing), and the search stops once `limit`+1 confirmed matches
//   start at or after the oldest part start examined so far. A trace's start
//   is the minimum over all its parts, so a trace none of whose parts has
//   been examined starts before that bound and cannot displace them.
// - Longest / shortest first: every candidate's whole-trace duration is
//   found from per-part summaries (no decoding of segment spans), and span
//   conditions that the posting lists cannot settle are checked by decoding
//   only in result order, until `limit`+1 matches are confirmed.
//
// In both, a candidate's parts are merged without copying strings (root
// names point into segment dictionaries), and the conditions are verified
// only for traces that can still enter the result.
//
// Candidacy rule (shared with the reference): a trace is considered only if
// one of its parts starts in the query range and may satisfy some span
// condition (memtable: a span does; segment: the posting lists say maybe);
// its other parts are merged from every source whose start range lies within
// max_trace_duration_ns of the query range.
//
// Thread-safety: a call reads shared, immutable segment state and memtables
// through their locking API; it may run concurrently with writes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/memtable.h"
#include "storage/segment_reader.h"
#include "storage/span_store.h"

namespace tracery::storage {

// The sources of one store snapshot.
struct SearchSources {
  std::vector<std::shared_ptr<Memtable>> memtables;      // active first, then frozen
  std::vector<std::shared_ptr<SegmentReader>> segments;  // by file number
};

// The result order of a TraceQuery and its cursor keys.
struct SearchOrder {
  TraceOrder order;
  uint64_t Key(uint64_t start_ns, uint64_t end_ns) const {
    if (order == TraceOrder::kMostRecent) return start_ns;
    return end_ns > start_ns ? end_ns - start_ns : 0;
  }
  uint64_t Key(const TraceSummary& t) const { return Key(t.start_time_unix_nano, t.end_time_unix_nano); }
  // True when (ka, ia) comes before (kb, ib) in the result order.
  bool Before(uint64_t ka, const model::TraceId& ia, uint64_t kb, const model::TraceId& ib) const {
    if (ka != kb) return order == TraceOrder::kShortestFirst ? ka < kb : ka > kb;
    return ia < ib;
  }
};

// A FindResult::next_cursor: "<order key>:<trace id hex>" of the last trace
// of the previous page.
struct SearchCursor {
  bool set = false;
  uint64_t key = 0;
  model::TraceId id;
};
// Empty text: an unset cursor. InvalidArgument when malformed.
Result<SearchCursor> ParseSearchCursor(const std::string& text);
std::string FormatSearchCursor(uint64_t key, const model::TraceId& id);

// REQUIRES: q validated (at most 64 span conditions, min <= max start time).
// DeadlineExceeded past `deadline`.
Result<FindResult> SearchTraces(const SearchSources& sources, const TraceQuery& q,
                                uint64_t max_trace_duration_ns,
                                std::chrono::steady_clock::time_point deadline);

}  // namespace tracery::storage
