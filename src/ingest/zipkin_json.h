// Zipkin v2 JSON: the body of POST /api/v2/spans with Content-Type
// application/json (https://zipkin.io/zipkin-api/#/default/post_spans), a
// JSON array of span objects. Mapping to the model: see
// zipkin_batch_builder.h.
#pragma once

#include <string_view>

#include "common/status.h"
#include "ingest/decode_result.h"

namespace tracery::ingest {

// Decodes a Zipkin v2 JSON span list. traceId is 1 to 32 hex digits (16 or
// 32 in practice; shorter ids are left-padded as Zipkin does), id and
// parentId 1 to 16; upper-case hex is accepted. A span with a missing,
// non-hex or zero id is rejected and counted; the rest are kept.
// InvalidArgument, naming the path ("spans[3].localEndpoint.port: ..."), when
// the body is not JSON or not an array, a field has the wrong type, or kind
// is not CLIENT/SERVER/PRODUCER/CONSUMER. Tag values should be strings;
// numbers and booleans are accepted and kept as their JSON text.
// Thread-safe (one parser per thread, reused).
Result<DecodeResult> DecodeZipkinJson(std::string_view body, const IngestLimits& limits);

}  // namespace tracery::ingest
