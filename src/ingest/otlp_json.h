// OTLP traces in JSON: the body of OTLP/HTTP application/json requests
// (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding).
//
// Accepted, as the OTLP spec and proto3 JSON mapping require:
//  - field names in lowerCamelCase or snake_case; unknown fields ignored;
//    null means "absent";
//  - traceId / spanId / parentSpanId as hex strings (32 / 16 / 16 digits;
//    empty or absent parentSpanId means a root span);
//  - enums (kind, status.code) as integers or names ("SPAN_KIND_SERVER");
//  - 64-bit integers (times, intValue) and 32-bit counts as numbers or
//    decimal strings; doubleValue as a number or "NaN"/"Infinity"/"-Infinity";
//  - bytesValue as base64 (standard or URL-safe, padding optional).
// The mapping to the model is the same as DecodeOtlpProtobuf's.
#pragma once

#include <string_view>

#include "common/status.h"
#include "ingest/decode_result.h"

namespace tracery::ingest {

// Decodes an ExportTraceServiceRequest in OTLP/JSON.
// InvalidArgument, naming the JSON path, when the body is not JSON, a field
// has the wrong type, an enum name is unknown, a value nests deeper than
// limits.max_value_depth, or bytesValue is not base64. Spans with bad ids are
// left out and counted in DecodeResult::rejected_spans.
// Thread-safe: each thread reuses its own parser (its buffers grow to the
// largest body that thread has decoded).
Result<DecodeResult> DecodeOtlpJson(std::string_view body, const IngestLimits& limits);

}  // namespace tracery::ingest
