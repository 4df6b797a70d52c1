#include "storage/testing/span_generator.h"

#include <array>
#include <cmath>
#include <string>

namespace tracery::storage::testing {
namespace {

using model::AnyValue;
using model::KeyValue;

constexpr std::array<const char*, 10> kServices = {"frontend", "checkout", "cart", "payment", "inventory",
                                                   "user", "auth", "search", "recommendation", "shipping"};
constexpr std::array<const char*, 8> kRoutes = {"/api/cart", "/api/checkout", "/api/products/{id}", "/api/search",
                                                "/api/user/{id}", "/api/orders/{id}", "/health", "/api/recommend"};
constexpr std::array<const char*, 6> kMethods = {"GetCart", "AddItem", "Charge", "Reserve", "Lookup", "Quote"};
constexpr std::array<const char*, 5> kStatements = {
    "SELECT * FROM orders WHERE id = ?", "SELECT price, stock FROM products WHERE sku = ?",
    "UPDATE inventory SET stock = stock - ? WHERE sku = ?", "INSERT INTO payments (order_id, amount) VALUES (?, ?)",
    "SELECT * FROM users WHERE id = ?"};

std::string Hex(std::mt19937_64& rng, int n) {
  static const char* d = "0123456789abcdef";
  std::string s(n, '0');
  for (auto& c : s) c = d[rng() & 15];
  return s;
}

KeyValue Str(const char* k, std::string v) { return KeyValue{k, AnyValue::String(std::move(v))}; }
KeyValue Int(const char* k, int64_t v) { return KeyValue{k, AnyValue::Int(v)}; }

}  // namespace

SpanGenerator::SpanGenerator(SpanGeneratorOptions options)
    : options_(options), rng_(options.seed), now_ns_(options.start_ns) {}

uint64_t SpanGenerator::Duration(double median_us) {
  std::lognormal_distribution<double> ln(std::log(median_us), 0.8);
  double us = ln(rng_);
  if (std::uniform_real_distribution<double>(0, 1)(rng_) < 0.01) us *= 20;  // tail
  return static_cast<uint64_t>(us * 1000) + 1000;
}

void SpanGenerator::AddTrace(model::SpanBatch* batch) {
  // One resource per service (3 replicas each: pod names differ).
  if (batch->resources.empty()) {
    std::mt19937_64 fixed(42);  // stable pods across batches
    for (const char* svc : kServices) {
      for (int replica = 0; replica < 3; ++replica) {
        model::Resource r;
        std::string pod = std::string(svc) + "-" + Hex(fixed, 10) + "-" + Hex(fixed, 5);
        r.attributes = {Str("service.name", svc),
                        Str("service.version", "1.4." + std::to_string(fixed() % 5)),
                        Str("service.namespace", "shop"),
                        Str("deployment.environment", "production"),
                        Str("k8s.namespace.name", "shop-prod"),
                        Str("k8s.deployment.name", svc),
                        Str("k8s.pod.name", pod),
                        Str("k8s.pod.uid", Hex(fixed, 8) + "-" + Hex(fixed, 4) + "-" + Hex(fixed, 4) + "-" + Hex(fixed, 12)),
                        Str("k8s.node.name", "ip-10-0-" + std::to_string(fixed() % 8) + "-" + std::to_string(fixed() % 250) + ".ec2.internal"),
                        Str("container.id", Hex(fixed, 64)),
                        Str("host.name", pod),
                        Str("cloud.provider", "aws"),
                        Str("cloud.region", "eu-west-1"),
                        Str("telemetry.sdk.name", "opentelemetry"),
                        Str("telemetry.sdk.language", replica == 0 ? "go" : "java"),
                        Str("telemetry.sdk.version", "1.21.0")};
        r.schema_url = "https://opentelemetry.io/schemas/1.21.0";
        batch->resources.push_back(std::move(r));
      }
    }
    model::Scope http{"io.opentelemetry.http", "1.21.0", {}, 0, ""};
    model::Scope grpc{"io.opentelemetry.grpc", "1.21.0", {}, 0, ""};
    model::Scope db{"io.opentelemetry.jdbc", "1.21.0", {}, 0, ""};
    batch->scopes = {http, grpc, db};
  }
  std::uniform_int_distribution<uint32_t> nspans_d(options_.min_spans_per_trace, options_.max_spans_per_trace);
  uint32_t nspans = nspans_d(rng_);
  model::TraceId tid = model::TraceId::FromHighLow(rng_(), rng_());
  bool error_trace = rng_() % 50 == 0;
  std::exponential_distribution<double> gap(1.0 / static_cast<double>(options_.trace_interval_ns));
  now_ns_ += static_cast<uint64_t>(gap(rng_));
  uint64_t trace_start = now_ns_;
  uint64_t root_dur = Duration(20'000);

  auto resource_of = [&](size_t svc) { return static_cast<uint32_t>(svc * 3 + rng_() % 3); };
  size_t first = batch->spans.size();
  // Root: frontend HTTP server span.
  {
    model::Span s;
    s.trace_id = tid;
    s.span_id.value = rng_() | 1;
    s.flags = 1;
    const char* route = kRoutes[rng_() % kRoutes.size()];
    s.name = std::string("GET ") + route;
    s.kind = model::SpanKind::kServer;
    s.start_time_unix_nano = trace_start;
    s.end_time_unix_nano = trace_start + root_dur;
    std::string target = route;
    if (auto p = target.find("{id}"); p != std::string::npos) target.replace(p, 4, std::to_string(rng_() % 100000));
    s.attributes = {Str("http.method", "GET"), Str("http.route", route), Str("http.target", target),
                    Str("http.scheme", "https"), Int("http.status_code", error_trace ? 500 : 200),
                    Str("net.host.name", "shop.example.com"), Str("http.flavor", "1.1"),
                    Str("user_agent.original", rng_() % 2 ? "Mozilla/5.0 (X11; Linux x86_64) Firefox/119.0"
                                                          : "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1"),
                    Str("http.client_ip", "10.1." + std::to_string(rng_() % 256) + "." + std::to_string(rng_() % 256))};
    s.resource_index = resource_of(0);
    s.scope_index = 0;
    if (error_trace) {
      s.status_code = model::StatusCode::kError;
      s.status_message = "upstream failed";
    }
    batch->spans.push_back(std::move(s));
  }
  while (batch->spans.size() - first < nspans) {
    size_t parent_i = first + rng_() % (batch->spans.size() - first);
    const model::Span parent = batch->spans[parent_i];
    uint64_t pdur = parent.DurationNanos();
    uint64_t start = parent.start_time_unix_nano + (pdur > 2 ? rng_() % (pdur / 2) : 0);
    uint64_t dur = std::min<uint64_t>(Duration(2'000), pdur);
    size_t svc = 1 + rng_() % (kServices.size() - 1);
    int type = static_cast<int>(rng_() % 10);
    model::Span s;
    s.trace_id = tid;
    s.span_id.value = rng_() | 1;
    s.parent_span_id = parent.span_id;
    s.flags = 1;
    s.start_time_unix_nano = start;
    s.end_time_unix_nano = start + dur;
    if (type < 4) {  // gRPC client + server pair
      const char* method = kMethods[rng_() % kMethods.size()];
      std::string rpc_service = std::string("shop.") + kServices[svc] + ".v1.Service";
      s.name = rpc_service + "/" + method;
      s.kind = model::SpanKind::kClient;
      s.resource_index = batch->spans[parent_i].resource_index;
      s.scope_index = 1;
      s.attributes = {Str("rpc.system", "grpc"), Str("rpc.service", rpc_service), Str("rpc.method", method),
                      Str("net.peer.name", std::string(kServices[svc]) + ".shop-prod.svc.cluster.local"),
                      Int("net.peer.port", 8080)};
      model::Span server = s;
      server.span_id.value = rng_() | 1;
      server.parent_span_id = s.span_id;
      server.kind = model::SpanKind::kServer;
      server.resource_index = resource_of(svc);
      server.start_time_unix_nano = start + dur / 20;
      server.end_time_unix_nano = start + dur - dur / 20;
      server.attributes = {Str("rpc.system", "grpc"), Str("rpc.service", rpc_service), Str("rpc.method", method),
                           Int("rpc.grpc.status_code", 0), Str("net.sock.peer.addr", "10.2." + std::to_string(rng_() % 256) + "." + std::to_string(rng_() % 256))};
      batch->spans.push_back(std::move(s));
      if (batch->spans.size() - first < nspans) batch->spans.push_back(std::move(server));
      continue;
    }
    if (type < 7) {  // database call
      const char* stmt = kStatements[rng_() % kStatements.size()];
      s.name = std::string(stmt).substr(0, std::string(stmt).find(' ')) + " shop";
      s.kind = model::SpanKind::kClient;
      s.resource_index = batch->spans[parent_i].resource_index;
      s.scope_index = 2;
      s.attributes = {Str("db.system", "postgresql"), Str("db.name", "shop"), Str("db.user", "shop_app"),
                      Str("db.statement", stmt), Str("net.peer.name", "postgres.shop-prod.svc.cluster.local"),
                      Int("net.peer.port", 5432)};
      batch->spans.push_back(std::move(s));
      continue;
    }
    // Internal work.
    s.name = rng_() % 2 ? "render" : "compute-price";
    s.kind = model::SpanKind::kInternal;
    s.resource_index = batch->spans[parent_i].resource_index;
    s.scope_index = 0;
    s.attributes = {Int("items", static_cast<int64_t>(rng_() % 20)), KeyValue{"cache.hit", AnyValue::Bool(rng_() % 3 != 0)}};
    batch->spans.push_back(std::move(s));
  }
  if (error_trace && batch->spans.size() - first > 1) {
    model::Span& s = batch->spans.back();
    s.status_code = model::StatusCode::kError;
    s.status_message = "connection reset by peer";
    model::Event e;
    e.time_unix_nano = s.end_time_unix_nano;
    e.name = "exception";
    e.attributes = {Str("exception.type", "java.net.SocketException"),
                    Str("exception.message", "Connection reset"),
                    Str("exception.stacktrace", "java.net.SocketException: Connection reset\n\tat java.net.SocketInputStream.read(SocketInputStream.java:210)\n\tat shop.Client.call(Client.java:88)")};
    s.events.push_back(std::move(e));
  }
}

size_t SpanGenerator::AppendTraces(size_t min_spans, model::SpanBatch* batch) {
  size_t before = batch->spans.size();
  while (batch->spans.size() - before < min_spans) AddTrace(batch);
  return batch->spans.size() - before;
}

}  // namespace tracery::storage::testing
