// OTLP traces in protobuf: the body of OTLP/HTTP application/x-protobuf
// requests and the message of OTLP/gRPC Export calls.
//
// Mapping: each ResourceSpans becomes one model::Resource and each ScopeSpans
// one model::Scope (in request order); spans point at them by index. Every
// span field is kept. Span, event, link, resource and scope values are bounded
// by IngestLimits (see span_limits.h). All functions are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "ingest/decode_result.h"
#include "model/span.h"

namespace opentelemetry::proto::collector::trace::v1 {
class ExportTraceServiceRequest;
}

namespace tracery::ingest {

// Parses and converts a serialized ExportTraceServiceRequest (TracesData has
// the same wire layout, so its bytes are accepted too).
// InvalidArgument when `body` is not a valid message, or an attribute value
// nests deeper than limits.max_value_depth. Spans with bad ids are left out
// and counted in DecodeResult::rejected_spans; the others are returned.
Result<DecodeResult> DecodeOtlpProtobuf(std::string_view body, const IngestLimits& limits);

// Converts an already parsed request (the gRPC receiver's case); same
// contract as DecodeOtlpProtobuf after parsing. Copies every string, since the
// request stays the caller's.
Result<DecodeResult> ConvertOtlp(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
    const IngestLimits& limits);

// Serializes `batch` as an ExportTraceServiceRequest. Spans are grouped into
// one ResourceSpans per resource index (in order of first use) and, inside
// it, one ScopeSpans per scope index (in order of first use); resources and
// scopes no span uses are omitted. So DecodeOtlpProtobuf(EncodeOtlpProtobuf(b))
// equals b when b's spans are already ordered that way, every resource and
// scope is used, and no scope is shared by two resources.
std::string EncodeOtlpProtobuf(const model::SpanBatch& batch);

}  // namespace tracery::ingest
