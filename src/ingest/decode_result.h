// What every wire decoder in src/ingest takes (IngestLimits) and returns
// (DecodeResult). The decoders are pure functions: no state, no I/O, safe to
// call from any number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "model/span.h"

namespace tracery::ingest {

// Bounds applied to every decoded span. Values over a bound are cut down, not
// rejected: the span keeps what fits and says what was lost, either in its
// OTLP dropped_*_count fields (whole attributes, events, links) or, for
// shortened values, with the attributes model::keys::kTruncated (bool true)
// and model::keys::kTruncatedKeys (string array naming what was cut; see
// ApplySpanLimits in span_limits.h for the naming).
struct IngestLimits {
  // Attributes beyond this many on a span, event, link, resource or scope are
  // dropped and counted in that item's dropped_attributes_count.
  size_t max_attributes_per_span = 128;
  // Longer string values are cut at a UTF-8 character boundary, longer bytes
  // values at this many bytes; span names, event names and status messages
  // are bounded the same way.
  size_t max_attribute_value_bytes = 65536;
  // Events / links beyond these are dropped and counted in
  // dropped_events_count / dropped_links_count.
  size_t max_events_per_span = 128;
  size_t max_links_per_span = 128;
  // Elements of one array value (or entries of one key-value-list value)
  // beyond this are dropped and the attribute is marked truncated.
  size_t max_array_values = 1024;
  // Nesting depth of array / key-value-list values inside one attribute
  // (a scalar is depth 1, an array of scalars depth 2). A request holding a
  // deeper value is refused as a whole with InvalidArgument, because such
  // input is almost certainly hostile and bounding it keeps recursion bounded.
  size_t max_value_depth = 8;
  // Bound on the inflated size of a gzip request body (see Gunzip).
  size_t max_decompressed_bytes = 64u << 20;
};

// The spans a decoder accepted, and how many it refused.
struct DecodeResult {
  model::SpanBatch batch;
  // Spans that failed validation and were left out of `batch` (a trace id
  // that is not 16 bytes or is all zero, a span id that is not 8 bytes or is
  // zero, a malformed parent id, a timestamp out of range). A span ending
  // before it starts is kept, not rejected.
  int64_t rejected_spans = 0;
  // Why the first span was rejected, naming where it was in the request
  // (suitable for OTLP partial_success.error_message); empty when none was.
  std::string rejection_message;

  // Records one rejected span; keeps the first reason only.
  void Reject(std::string reason) {
    if (rejected_spans++ == 0) rejection_message = std::move(reason);
  }
};

}  // namespace tracery::ingest
