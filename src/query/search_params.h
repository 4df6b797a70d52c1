// Parsing of search parameters shared by every API that searches traces
// (Jaeger /api/traces, the analysis API, the UI).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/http_types.h"
#include "common/status.h"
#include "storage/span_store.h"

namespace tracery::query {

// Jaeger's /api/traces parameters into a TraceQuery: service, operation,
// tags (JSON map) and repeated tag=k:v, minDuration/maxDuration (Go-style
// durations: "1.2ms", "500us", "2s", "1m30s"), start/end (microseconds
// since epoch), lookback ("1h", "2d", or "custom"), limit; plus Tracery's
// own: spanKind, errors=true, orderBy=recent|longest|shortest,
// minTraceDuration/maxTraceDuration, cursor, and repeated `span=` conditions
// (each a JSON object {"service":..,"operation":..,"tags":{..},
// "minDuration":..,"error":true} that some span of the trace must satisfy).
// `now_ns` is the current time, for lookback. InvalidArgument names the bad
// parameter.
Result<storage::TraceQuery> ParseTraceQuery(const HttpRequest& req, uint64_t now_ns);

// A Go-style duration ("1.2ms", "300us", "1h30m", "5s", plus "d" for days)
// in nanoseconds, rounded to the nearest; "0" is zero. InvalidArgument on
// anything else (a bare number, a negative or unknown unit, overflow).
Result<uint64_t> ParseDuration(std::string_view text);

}  // namespace tracery::query
