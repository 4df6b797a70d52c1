// TraceQL parser: query text to the syntax tree of ast.h.
//
// Supported (a subset of Grafana Tempo's TraceQL):
//   spanset filters  { cond }   where cond uses
//     intrinsics: name status statusMessage duration kind rootName
//                 rootServiceName traceDuration (and span:name, span:status,
//                 span:statusMessage, span:duration, span:kind,
//                 trace:rootName, trace:rootService, trace:duration)
//     attributes: span.x  resource.x  .x  span."with spaces"
//     literals:   "str" `raw` 42 -1 1.5 1.5ms 1m30s true false nil
//                 ok error unset server client producer consumer internal unspecified
//     operators:  = != > >= < <= =~ !~ && || ! ( )
//   spanset operators: && || >> > ~ << < and ( ) around spanset expressions
//     (precedence: structural ops bind tightest, then &&, then ||)
//   pipeline stages: | count() > 2   | avg|min|max|sum(field) >= 1s
//                    | by(field)     | select(f1, f2)   | { cond }
// Regular expressions are RE2 (linear time, no backtracking), fully
// anchored as in Tempo and Prometheus, at most 1,024 bytes each.
#pragma once

#include <string_view>

#include "common/status.h"
#include "traceql/ast.h"

namespace tracery::traceql {

// Parses a TraceQL query. InvalidArgument with a message naming the
// problem and its 1-based column ("TraceQL: expected '}' at column 23") on
// any malformed input; never crashes. Thread-safe.
Result<Query> ParseTraceQL(std::string_view text);

}  // namespace tracery::traceql
