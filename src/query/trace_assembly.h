// Trace assembly: turns the raw spans the store returns for one trace (from
// many batches and services, any order, duplicates included) into the trace
// a person reads: one copy per span, a parent/child tree in display order,
// orphans flagged, and clock skew between hosts corrected as Jaeger does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/span.h"
#include "storage/span_store.h"

namespace tracery::query {

struct AssemblyOptions {
  // At most this many spans are assembled; a trace with more is cut to the
  // earliest-starting ones and carries a truncation warning.
  size_t max_spans_per_trace = 10'000;
  // Jaeger-style clock-skew correction (see AssembleTrace).
  bool adjust_clock_skew = true;
};

// One span of an assembled trace, parallel to AssembledTrace::batch.spans.
struct AssembledSpan {
  int32_t parent = -1;  // index of the parent in batch.spans, -1 for a root
  uint32_t depth = 0;   // 0 for roots
  // The id to render for this span. Unique within the trace: the server
  // half of a Zipkin-style shared span (same id as its client half) gets a
  // fresh id here, as Jaeger does, because UIs key spans by id. Equal to
  // batch.spans[i].span_id for every other span.
  model::SpanId display_id;
  // The parent id to render: the parent's display_id when the parent is
  // present, else the span's own parent_span_id (an orphan's missing parent).
  model::SpanId display_parent_id;
  bool orphan = false;         // parent_span_id set but no such span in the trace
  bool shared_server = false;  // server half of a shared client+server span id
  int64_t skew_adjustment_ns = 0;  // added to start and end times (0: none)
  std::vector<std::string> warnings;
};

struct AssembledTrace {
  // Resources and scopes as returned by the store; spans deduplicated, in
  // tree order (depth-first, siblings by start time, roots by start time),
  // with clock-skew adjustments already applied to their times.
  model::SpanBatch batch;
  std::vector<AssembledSpan> spans;   // parallel to batch.spans
  std::vector<std::string> warnings;  // about the trace as a whole
  bool truncated = false;
  size_t duplicates_removed = 0;
};

// Assembles one trace. `raw` is what SpanStore::GetTrace returned; pass
// GetTrace(id, options.max_spans_per_trace + 1) so that a trace with more
// spans than the limit is recognised (and truncated with a warning).
//
// Duplicates: copies with the same span id and kind are one span; the most
// complete copy is kept (one with an end time, then the most attributes,
// events and links). A client and a server span sharing an id (Zipkin's
// shared RPC span) are two spans: the server becomes the client's child.
//
// Clock skew: a SERVER span whose parent is a CLIENT span of another
// service, and that starts before its parent or ends after it, is moved so
// it sits centred in the parent (or aligned at the start when it is longer
// than the parent); its descendants in the same service move with it, and
// each moved span carries "clock skew adjustment applied: <delta>".
//
// Never fails: malformed trees (cycles, missing parents) become extra roots
// with a warning. Cost is O(n log n) in the span count; no recursion, so a
// 100,000-span chain is safe.
AssembledTrace AssembleTrace(model::SpanBatch raw, const AssemblyOptions& options);

// GetTrace(id, max_spans_per_trace + 1) then AssembleTrace. NotFound (and
// any other store error) passes through unchanged.
Result<AssembledTrace> LoadAssembledTrace(storage::SpanStore& store, const model::TraceId& id,
                                          const AssemblyOptions& options);

// Loads and assembles each trace of `ids` in order, calling `emit` with each,
// within a response-wide budget: at most `max_spans_total` spans over all
// traces (the trace that crosses it is truncated, later ones are skipped)
// and `timeout_ms` of wall time. Traces not found are skipped silently (they
// expired between search and load). Returns human-readable notes on
// anything left out; empty when every trace was emitted in full.
std::vector<std::string> LoadAssembledTraces(storage::SpanStore& store, const std::vector<model::TraceId>& ids,
                                             const AssemblyOptions& options, size_t max_spans_total,
                                             uint64_t timeout_ms,
                                             const std::function<void(const AssembledTrace&)>& emit);

// "-12.3ms", "0.5ms", "1500ms": a signed nanosecond delta in milliseconds
// with up to six decimals and no trailing zeros.
std::string FormatDeltaMs(int64_t delta_ns);

}  // namespace tracery::query
