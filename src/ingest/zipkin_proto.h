// Zipkin v2 proto3: the body of POST /api/v2/spans with Content-Type
// application/x-protobuf, a zipkin.proto3.ListOfSpans. Mapping to the model:
// see zipkin_batch_builder.h.
#pragma once

#include <string_view>

#include "common/status.h"
#include "ingest/decode_result.h"

namespace tracery::ingest {

// Decodes a serialized ListOfSpans. trace_id is 8 or 16 bytes (8 is a 64-bit
// id, stored with the high half zero), id 8 bytes, parent_id empty or 8;
// endpoint ipv4 / ipv6 are 4 / 16 raw bytes (other lengths are ignored).
// A span with bad ids is rejected and counted; the rest are kept.
// InvalidArgument when `body` is not a valid ListOfSpans. Thread-safe.
Result<DecodeResult> DecodeZipkinProto(std::string_view body, const IngestLimits& limits);

}  // namespace tracery::ingest
