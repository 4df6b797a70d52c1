// Encoders of a whole trace for the Tempo trace-by-id endpoints: OTLP JSON
// (the OTLP/JSON mapping: lowerCamelCase names, hex ids, 64-bit integers as
// strings, enums as numbers) and OTLP TracesData protobuf.
//
// A seam: when src/query's OTLP JSON encoder is merged, AppendOtlpResourceSpansJson
// can forward to it; callers only use these two functions.
#pragma once

#include <string>

#include "model/span.h"

namespace opentelemetry::proto::trace::v1 {
class TracesData;
}

namespace tracery::traceql {

// Appends `"resourceSpans":[...]` (no braces around it) for `trace`, spans
// grouped by resource and scope in first-seen order.
void AppendOtlpResourceSpansJson(const model::SpanBatch& trace, std::string* out);

// Fills `out` (cleared first) with `trace` in OTLP form, grouped likewise.
void ToOtlpTracesData(const model::SpanBatch& trace, opentelemetry::proto::trace::v1::TracesData* out);

// Appends an OTLP JSON AnyValue object ({"stringValue":"x"}, {"intValue":"5"}, ...).
void AppendAnyValueJson(const model::AnyValue& v, std::string* out);

}  // namespace tracery::traceql
