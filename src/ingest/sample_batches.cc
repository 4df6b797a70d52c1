#include "ingest/sample_batches.h"

#include <string>

namespace tracery::ingest::testing {
namespace {

using model::AnyValue;
using model::KeyValue;

model::TraceId Tid(uint64_t hi, uint64_t lo) { return model::TraceId::FromHighLow(hi, lo); }

}  // namespace

model::SpanBatch EveryFieldBatch() {
  model::SpanBatch b;
  model::Resource r0;
  r0.attributes = {{"service.name", AnyValue::String("checkout")},
                   {"k8s.pod.name", AnyValue::String("checkout-7d9f8c6b5-x2x9z")},
                   {"k8s.namespace.name", AnyValue::String("shop")},
                   {"host.cpu.count", AnyValue::Int(8)}};
  r0.dropped_attributes_count = 2;
  r0.schema_url = "https://opentelemetry.io/schemas/1.21.0";
  model::Resource r1;
  r1.attributes = {{"service.name", AnyValue::String("payments")}};
  b.resources = {r0, r1};

  model::Scope s0{"io.opentelemetry.http", "1.2.3", {{"lib.flag", AnyValue::Bool(true)}}, 1,
                  "https://opentelemetry.io/schemas/1.20.0"};
  model::Scope s1{"db-client", "", {}, 0, ""};
  model::Scope s2{"", "", {}, 0, ""};
  b.scopes = {s0, s1, s2};

  AnyValue arr;
  arr.type = AnyValue::Type::kArray;
  arr.array = {AnyValue::String("a"), AnyValue::Int(-7), AnyValue::Double(2.5), AnyValue{}};
  AnyValue map;
  map.type = AnyValue::Type::kMap;
  map.map = {{"inner", arr}, {"flag", AnyValue::Bool(false)}, {"blob", AnyValue::Bytes(std::string("\0\x01\xff", 3))}};

  model::Span root;
  root.trace_id = Tid(0x0102030405060708ULL, 0x090a0b0c0d0e0f10ULL);
  root.span_id = model::SpanId{0x1111111111111111ULL};
  root.trace_state = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
  root.flags = 0x301;
  root.name = "POST /api/checkout";
  root.kind = model::SpanKind::kServer;
  root.start_time_unix_nano = 1700000000000000000ULL;
  root.end_time_unix_nano = 1700000000250000000ULL;
  root.attributes = {{"http.request.method", AnyValue::String("POST")},
                     {"http.response.status_code", AnyValue::Int(200)},
                     {"ratio", AnyValue::Double(0.125)},
                     {"cached", AnyValue::Bool(true)},
                     {"payload", AnyValue::Bytes(std::string("raw\0bytes", 9))},
                     {"tags", arr},
                     {"ctx", map},
                     {"nothing", AnyValue{}},
                     {"utf8", AnyValue::String("héllo wörld ✓")}};
  root.dropped_attributes_count = 3;
  root.events = {{1700000000100000000ULL, "exception",
                  {{"exception.type", AnyValue::String("IOError")}, {"exception.message", AnyValue::String("boom")}}, 1},
                 {1700000000200000000ULL, "retry", {}, 0}};
  root.dropped_events_count = 4;
  model::Link link;
  link.trace_id = Tid(0xaaaaaaaaaaaaaaaaULL, 0xbbbbbbbbbbbbbbbbULL);
  link.span_id = model::SpanId{0xccccccccccccccccULL};
  link.trace_state = "k=v";
  link.attributes = {{"link.kind", AnyValue::String("follows")}};
  link.dropped_attributes_count = 1;
  link.flags = 1;
  root.links = {link};
  root.dropped_links_count = 5;
  root.status_code = model::StatusCode::kError;
  root.status_message = "payment declined";
  root.resource_index = 0;
  root.scope_index = 0;
  b.spans.push_back(root);

  model::Span db = root;
  db.span_id = model::SpanId{0x2222222222222222ULL};
  db.parent_span_id = root.span_id;
  db.trace_state.clear();
  db.flags = 1;
  db.name = "SELECT orders";
  db.kind = model::SpanKind::kClient;
  db.attributes = {{"db.system", AnyValue::String("postgresql")}};
  db.dropped_attributes_count = 0;
  db.events.clear();
  db.dropped_events_count = 0;
  db.links.clear();
  db.dropped_links_count = 0;
  db.status_code = model::StatusCode::kOk;
  db.status_message.clear();
  db.scope_index = 1;
  b.spans.push_back(db);

  const model::SpanKind kinds[] = {model::SpanKind::kUnspecified, model::SpanKind::kInternal,
                                   model::SpanKind::kProducer, model::SpanKind::kConsumer};
  for (int i = 0; i < 4; ++i) {
    model::Span s;
    s.trace_id = Tid(0, 0x1234 + i);  // a 64-bit (Zipkin-style) trace id
    s.span_id = model::SpanId{0x3000ULL + i};
    s.name = "job-" + std::to_string(i);
    s.kind = kinds[i];
    s.start_time_unix_nano = 1700000001000000000ULL + i;
    s.end_time_unix_nano = s.start_time_unix_nano - (i == 3 ? 5 : 0);  // one ends before it starts
    s.resource_index = 1;
    s.scope_index = 2;
    b.spans.push_back(s);
  }
  return b;
}

model::SpanBatch RealisticBatch(size_t span_count) {
  model::SpanBatch b;
  model::Resource r;
  r.attributes = {{"service.name", AnyValue::String("frontend")},
                  {"service.version", AnyValue::String("2.14.1")},
                  {"service.namespace", AnyValue::String("shop")},
                  {"deployment.environment", AnyValue::String("production")},
                  {"k8s.cluster.name", AnyValue::String("eu-west-1-prod")},
                  {"k8s.namespace.name", AnyValue::String("shop")},
                  {"k8s.deployment.name", AnyValue::String("frontend")},
                  {"k8s.pod.name", AnyValue::String("frontend-6b8f7d9c5d-q4t2m")},
                  {"k8s.pod.uid", AnyValue::String("0f6d7a3e-2b1c-4f5e-9a8b-7c6d5e4f3a2b")},
                  {"k8s.node.name", AnyValue::String("ip-10-0-12-34.eu-west-1.compute.internal")},
                  {"host.name", AnyValue::String("frontend-6b8f7d9c5d-q4t2m")},
                  {"telemetry.sdk.name", AnyValue::String("opentelemetry")},
                  {"telemetry.sdk.language", AnyValue::String("go")},
                  {"telemetry.sdk.version", AnyValue::String("1.21.0")}};
  b.resources.push_back(std::move(r));
  b.scopes.push_back({"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "0.46.1", {}, 0, ""});
  b.spans.reserve(span_count);
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  model::TraceId trace = Tid(next(), next());
  model::SpanId parent;
  for (size_t i = 0; i < span_count; ++i) {
    if (i % 16 == 0) {
      trace = Tid(next(), next());
      parent = {};
    }
    model::Span s;
    s.trace_id = trace;
    s.span_id = model::SpanId{next() | 1};
    s.parent_span_id = parent;
    s.flags = 1;
    s.start_time_unix_nano = 1700000000000000000ULL + i * 1000003ULL;
    s.end_time_unix_nano = s.start_time_unix_nano + 100000 + next() % 50000000;
    s.attributes.reserve(10);
    switch (i % 3) {
      case 0:
        s.kind = model::SpanKind::kServer;
        s.name = "GET /api/products/{id}";
        s.attributes = {{"http.request.method", AnyValue::String("GET")},
                        {"http.route", AnyValue::String("/api/products/{id}")},
                        {"url.path", AnyValue::String("/api/products/" + std::to_string(next() % 100000))},
                        {"url.scheme", AnyValue::String("https")},
                        {"http.response.status_code", AnyValue::Int(200)},
                        {"server.address", AnyValue::String("shop.example.com")},
                        {"server.port", AnyValue::Int(443)},
                        {"client.address", AnyValue::String("203.0.113.42")},
                        {"user_agent.original", AnyValue::String("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0")},
                        {"network.protocol.version", AnyValue::String("1.1")}};
        break;
      case 1:
        s.kind = model::SpanKind::kClient;
        s.name = "SELECT shop.products";
        s.attributes = {{"db.system", AnyValue::String("postgresql")},
                        {"db.name", AnyValue::String("shop")},
                        {"db.operation", AnyValue::String("SELECT")},
                        {"db.sql.table", AnyValue::String("products")},
                        {"db.statement", AnyValue::String("SELECT id, name, price, stock FROM products WHERE id = $1")},
                        {"server.address", AnyValue::String("postgres.shop.svc.cluster.local")},
                        {"server.port", AnyValue::Int(5432)},
                        {"db.user", AnyValue::String("frontend")},
                        {"network.peer.address", AnyValue::String("10.0.7.19")},
                        {"db.rows_returned", AnyValue::Int(1)}};
        break;
      default:
        s.kind = model::SpanKind::kInternal;
        s.name = "render product page";
        s.attributes = {{"template", AnyValue::String("product.html")},
                        {"cache.hit", AnyValue::Bool(next() % 2 == 0)},
                        {"items", AnyValue::Int(static_cast<int64_t>(next() % 50))},
                        {"locale", AnyValue::String("en-GB")},
                        {"currency", AnyValue::String("EUR")},
                        {"ab.variant", AnyValue::String("B")},
                        {"render.ms", AnyValue::Double(3.25)},
                        {"component", AnyValue::String("ssr")},
                        {"thread.name", AnyValue::String("worker-3")},
                        {"thread.id", AnyValue::Int(42)}};
        break;
    }
    if (i % 8 == 7) {
      s.events.push_back({s.start_time_unix_nano + 5000, "cache miss", {{"cache.key", AnyValue::String("product:123")}}, 0});
    }
    if (i % 16 == 0) parent = s.span_id;
    b.spans.push_back(std::move(s));
  }
  return b;
}

}  // namespace tracery::ingest::testing
