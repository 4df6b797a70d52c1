#include "query/testing/sample_trace.h"

namespace tracery::query::testing {

using model::AnyValue;

model::TraceId SampleTraceId() { return model::TraceId::FromHighLow(0x0af7651916cd43ddULL, 0x8448eb211c80319cULL); }

model::SpanBatch SampleTrace() {
  constexpr uint64_t kMs = 1'000'000;
  model::SpanBatch b;
  b.resources.push_back({{{"service.name", AnyValue::String("frontend")}, {"host.name", AnyValue::String("web-1")}}});
  b.resources.push_back({{{"service.name", AnyValue::String("payments")}}});
  b.scopes.push_back({"io.opentelemetry.http", "1.2.0"});

  model::Span root;
  root.trace_id = SampleTraceId();
  root.span_id.value = 1;
  root.trace_state = "k=v";
  root.flags = 1;
  root.name = "GET /checkout";
  root.kind = model::SpanKind::kServer;
  root.start_time_unix_nano = kSampleBaseNs;
  root.end_time_unix_nano = kSampleBaseNs + 100 * kMs;
  AnyValue tags;
  tags.type = AnyValue::Type::kArray;
  tags.array = {AnyValue::String("a"), AnyValue::String("b")};
  root.attributes = {{"http.method", AnyValue::String("GET")},
                     {"http.status_code", AnyValue::Int(500)},
                     {"retry", AnyValue::Bool(true)},
                     {"ratio", AnyValue::Double(0.25)},
                     {"payload", AnyValue::Bytes(std::string("\x01\x02", 2))},
                     {"labels", tags}};
  root.status_code = model::StatusCode::kError;
  root.status_message = "boom";
  root.events.push_back({kSampleBaseNs + 10 * kMs, "exception", {{"exception.message", AnyValue::String("bad")}}});

  model::Span client;
  client.trace_id = SampleTraceId();
  client.span_id.value = 2;
  client.parent_span_id.value = 1;
  client.name = "charge";
  client.kind = model::SpanKind::kClient;
  client.start_time_unix_nano = kSampleBaseNs + 10 * kMs;
  client.end_time_unix_nano = kSampleBaseNs + 60 * kMs;
  client.attributes = {{"peer.service", AnyValue::String("payments")},
                       {"server.address", AnyValue::String("payments.internal")},
                       {"server.port", AnyValue::Int(8443)}};
  model::Link link;
  link.trace_id = model::TraceId::FromHighLow(0, 1);
  link.span_id.value = 5;
  client.links.push_back(link);

  model::Span server;
  server.trace_id = SampleTraceId();
  server.span_id.value = 3;
  server.parent_span_id.value = 2;
  server.name = "POST /charge";
  server.kind = model::SpanKind::kServer;
  server.start_time_unix_nano = kSampleBaseNs + 20 * kMs;
  server.end_time_unix_nano = kSampleBaseNs + 50 * kMs;
  server.status_code = model::StatusCode::kOk;
  server.resource_index = 1;

  b.spans = {server, root, client};  // stored out of order on purpose
  return b;
}

}  // namespace tracery::query::testing
