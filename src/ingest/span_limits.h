// Applying IngestLimits to decoded spans, resources and scopes. Every decoder
// runs its output through these, so all protocols bound values identically.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ingest/decode_result.h"
#include "model/span.h"

namespace tracery::ingest {

// Cuts `s` to at most `max_bytes` bytes without splitting a UTF-8 character
// (a multi-byte sequence that would straddle the cut is removed whole).
// Returns true when `s` was shortened.
bool TruncateUtf8(std::string* s, size_t max_bytes);

// Bounds one span in place: attribute count, value sizes (strings, bytes,
// array lengths, nested), event and link counts and their attributes, and the
// lengths of the span name, event names and the status message. Drops are
// added to the span's dropped_*_count fields. When any value was shortened,
// appends (or extends) the attributes
//   tracery.truncated = true
//   tracery.truncated_keys = ["<what>", ...]
// where <what> is the attribute key for a span attribute, "name" or
// "status.message" for those fields, "events.<key>" / "links.<key>" for an
// attribute of an event / link, "events.name" for an event name, and
// "trace_state" / "links.trace_state" for trace states. These
// two marker attributes may take the span one over its attribute limit.
// Cost: one pass over the span's values, no allocation unless something is
// cut.
void ApplySpanLimits(const IngestLimits& limits, model::Span* span);

// Bounds the attributes of a resource or scope the same way (markers go into
// that resource's / scope's own attributes).
void ApplyResourceLimits(const IngestLimits& limits, model::Resource* resource);
void ApplyScopeLimits(const IngestLimits& limits, model::Scope* scope);

}  // namespace tracery::ingest
