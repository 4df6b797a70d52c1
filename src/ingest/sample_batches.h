// Realistic SpanBatches for the ingest tests and decode benchmark (not part
// of tracery_ingest).
#pragma once

#include <cstddef>

#include "model/span.h"

namespace tracery::ingest::testing {

// A batch exercising every field and value type of the model: two resources
// (one with k8s attributes), three scopes, spans of every kind and status,
// events, links, nested array / map / bytes / double / bool / int / empty
// values, trace state and flags. Its spans are ordered by (resource, scope),
// so it round-trips exactly through EncodeOtlpProtobuf / DecodeOtlpProtobuf.
model::SpanBatch EveryFieldBatch();

// `span_count` server/client/internal spans of one service with ~10 string
// and int attributes each (HTTP and DB semantic conventions), a resource with
// k8s attributes, one scope; every 8th span has an event. Deterministic.
model::SpanBatch RealisticBatch(size_t span_count);

}  // namespace tracery::ingest::testing
