// A small, fully specified trace used by the query API tests, so each API's
// rendering of every field can be checked against known values.
#pragma once

#include "model/span.h"

namespace tracery::query::testing {

// Unix time of the sample trace's root span start, in nanoseconds.
inline constexpr uint64_t kSampleBaseNs = 1'700'000'000'000'000'000ULL;

// Trace 0af7651916cd43dd8448eb211c80319c, three spans:
//   1 frontend SERVER "GET /checkout"  +0..+100ms, status ERROR "boom",
//     attributes of every type, an "exception" event at +10ms, tracestate
//     "k=v", flags 1, scope io.opentelemetry.http 1.2.0
//   2 frontend CLIENT "charge"         +10..+60ms, peer.service=payments,
//     server.address=payments.internal, server.port=8443, a link to
//     trace 00..01 span 0000000000000005
//   3 payments SERVER "POST /charge"   +20..+50ms, status OK
// frontend's resource also has host.name=web-1.
model::SpanBatch SampleTrace();
model::TraceId SampleTraceId();

}  // namespace tracery::query::testing
