// OTLP/JSON encoding of spans (the protobuf JSON mapping of
// opentelemetry.proto.trace.v1.TracesData): lowerCamelCase field names,
// trace and span ids as lowercase hex, 64-bit integers as decimal strings,
// enums (span kind, status code) as integers, bytes as base64. Fields at
// their default value (0, "", empty list) are omitted, as the protobuf JSON
// mapping allows, so any OTLP JSON parser reads the output.
#pragma once

#include <string>

#include "model/span.h"
#include "common/json_writer.h"

namespace tracery::query {

// {"resourceSpans":[...]} for every span of `batch`. Spans are grouped by
// (resource, scope) index in order of first appearance, keeping span order.
std::string EncodeOtlpJson(const model::SpanBatch& batch);

// Writes the ResourceSpans objects of `batch` as consecutive array elements
// into an array the caller has opened, so several traces can share one
// "resourceSpans" array.
void AppendOtlpResourceSpans(const model::SpanBatch& batch, JsonWriter& w);

// One OTLP AnyValue object ({"stringValue":"x"}, {"intValue":"5"}, ...).
void AppendOtlpAnyValue(const model::AnyValue& v, JsonWriter& w);

}  // namespace tracery::query
