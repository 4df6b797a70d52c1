#include "loadgen/trace_synthesizer.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace tracery::loadgen {
namespace {

using model::AnyValue;
using model::KeyValue;

constexpr const char* kWords[] = {"cart",     "checkout", "payment", "inventory", "shipping", "pricing",
                                  "catalog",  "search",   "user",    "auth",      "session",  "review",
                                  "ads",      "email",    "ledger",  "fraud",     "quote",    "currency",
                                  "recommend", "media",   "profile", "order",     "billing",  "notify"};
constexpr const char* kRoutes[] = {"/api/items/{id}", "/api/orders", "/api/cart", "/health", "/api/users/{id}",
                                   "/api/checkout",   "/api/search", "/api/quotes/{id}"};
constexpr const char* kMethods[] = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
constexpr const char* kDbSystems[] = {"postgresql", "mysql", "redis", "mongodb"};
constexpr const char* kRegions[] = {"eu-west-1", "us-east-1", "ap-south-1"};

KeyValue Str(const char* k, std::string v) { return {k, AnyValue::String(std::move(v))}; }
KeyValue Int(const char* k, int64_t v) { return {k, AnyValue::Int(v)}; }

}  // namespace

TraceSynthesizer::TraceSynthesizer(SynthesizerOptions options) : options_(options), rng_(options.seed) {
  options_.services = std::clamp<uint32_t>(options_.services, 2, 1000);
  options_.min_spans_per_trace = std::max<uint32_t>(1, options_.min_spans_per_trace);
  options_.max_spans_per_trace = std::max(options_.min_spans_per_trace, options_.max_spans_per_trace);
  scope_.name = "io.opentelemetry.auto";
  scope_.version = "1.32.0";
  BuildTopology();
}

void TraceSynthesizer::BuildTopology() {
  const uint32_t n = options_.services;
  const size_t words = std::size(kWords);
  for (uint32_t i = 0; i < n; ++i) {
    Service s;
    s.name = i == 0 ? "frontend" : std::string(kWords[i % words]) + (i >= words ? "-" + std::to_string(i / words) : "");
    int ops = 2 + static_cast<int>(rng_() % 5);
    for (int o = 0; o < ops; ++o) {
      Operation op;
      op.protocol = (i == 0 || rng_() % 3 != 0) ? 0 : 1;
      if (op.protocol == 0) {
        op.name = std::string(kMethods[rng_() % std::size(kMethods)]) + " " + kRoutes[rng_() % std::size(kRoutes)];
      } else {
        op.name = "tracery.demo." + s.name + "/" + std::string(o % 2 ? "Get" : "List") + char('A' + o);
      }
      s.operations.push_back(std::move(op));
    }
    // Callees: services deeper in the topology, so trees end.
    int fan = i == 0 ? 4 : static_cast<int>(rng_() % 4);
    for (int f = 0; f < fan && i + 1 < n; ++f) {
      uint32_t callee = i + 1 + static_cast<uint32_t>(rng_() % std::min<uint32_t>(n - i - 1, 12));
      if (std::find(s.callees.begin(), s.callees.end(), callee) == s.callees.end()) s.callees.push_back(callee);
    }
    if (i != 0 && rng_() % 3 == 0) s.db_system = kDbSystems[rng_() % std::size(kDbSystems)];
    s.latency_mu = std::log(200.0 + static_cast<double>(rng_() % 3000));
    service_names_.push_back(s.name);

    model::Resource r;
    std::string pod = s.name + "-" + std::to_string(100000 + rng_() % 900000) + "-x" + std::to_string(rng_() % 100);
    r.attributes = {Str("service.name", s.name),
                    Str("service.version", "1." + std::to_string(rng_() % 20) + ".0"),
                    Str("service.namespace", "shop"),
                    Str("service.instance.id", pod),
                    Str("deployment.environment", "production"),
                    Str("host.name", "node-" + std::to_string(rng_() % 40)),
                    Str("k8s.namespace.name", "shop"),
                    Str("k8s.deployment.name", s.name),
                    Str("k8s.pod.name", pod),
                    Str("k8s.node.name", "ip-10-0-" + std::to_string(rng_() % 40) + "-7.ec2.internal"),
                    Str("cloud.provider", "aws"),
                    Str("cloud.region", kRegions[rng_() % std::size(kRegions)]),
                    Str("telemetry.sdk.name", "opentelemetry"),
                    Str("telemetry.sdk.language", i % 2 ? "java" : "go"),
                    Str("telemetry.sdk.version", "1.32.0"),
                    Int("process.pid", static_cast<int64_t>(1 + rng_() % 60000))};
    s.resource_index = static_cast<uint32_t>(resources_.size());
    resources_.push_back(std::move(r));
    services_.push_back(std::move(s));
  }
}

model::SpanId TraceSynthesizer::NextSpanId() {
  model::SpanId id;
  do id.value = rng_();
  while (id.value == 0);
  return id;
}

uint64_t TraceSynthesizer::LatencyNs(double mu, double sigma) {
  std::lognormal_distribution<double> dist(mu, sigma);
  double us = std::min(dist(rng_), 30e6);
  return static_cast<uint64_t>(us * 1000.0) + 1000;
}

uint32_t TraceSynthesizer::ResourceIndexFor(uint32_t service, model::SpanBatch* out) {
  if (mapped_batch_ != out || mapped_resources_ != out->resources.size() ||
      batch_resource_map_.size() != services_.size()) {
    // A new (or externally changed) output batch: rebuild the map from what
    // it holds. The size check also catches a new batch at a reused address.
    batch_resource_map_.assign(services_.size(), -1);
    mapped_batch_ = out;
    for (size_t i = 0; i < out->resources.size(); ++i) {
      auto name = out->resources[i].ServiceName();
      for (size_t s = 0; s < services_.size(); ++s)
        if (services_[s].name == name) batch_resource_map_[s] = static_cast<int>(i);
    }
  }
  if (batch_resource_map_[service] < 0) {
    batch_resource_map_[service] = static_cast<int>(out->resources.size());
    out->resources.push_back(resources_[services_[service].resource_index]);
  }
  mapped_resources_ = out->resources.size();
  return static_cast<uint32_t>(batch_resource_map_[service]);
}

uint64_t TraceSynthesizer::EmitServer(uint32_t si, const Operation& op, model::SpanId parent, uint64_t start_ns,
                                      int depth, model::SpanBatch* out, uint32_t* budget, bool error_path) {
  const Service& s = services_[si];
  size_t my_index = out->spans.size();
  out->spans.emplace_back();
  {
    model::Span& sp = out->spans.back();
    sp.trace_id = current_trace_;
    sp.span_id = NextSpanId();
    sp.parent_span_id = parent;
    sp.flags = 1;
    sp.name = op.name;
    sp.kind = op.protocol == 2 ? model::SpanKind::kConsumer : model::SpanKind::kServer;
    sp.start_time_unix_nano = start_ns;
    sp.resource_index = ResourceIndexFor(si, out);
    sp.scope_index = 0;
    if (op.protocol == 0) {
      auto space = op.name.find(' ');
      sp.attributes = {Str("http.request.method", op.name.substr(0, space)),
                       Str("http.route", op.name.substr(space + 1)),
                       Str("url.path", op.name.substr(space + 1)),
                       Str("url.scheme", "http"),
                       Str("server.address", s.name),
                       Int("server.port", 8080),
                       Str("network.protocol.version", "1.1"),
                       Str("user_agent.original", depth == 0 ? "Mozilla/5.0 (X11; Linux x86_64)" : "okhttp/4.12.0")};
    } else {
      auto slash = op.name.find('/');
      sp.attributes = {Str("rpc.system", "grpc"), Str("rpc.service", op.name.substr(0, slash)),
                       Str("rpc.method", op.name.substr(slash + 1)), Str("server.address", s.name)};
    }
  }
  uint64_t cursor = start_ns + LatencyNs(s.latency_mu, 0.6) / 4;
  bool failed = false;
  // Database calls of this service.
  if (!s.db_system.empty() && *budget > 0) {
    int calls = 1 + static_cast<int>(rng_() % 3);
    for (int c = 0; c < calls && *budget > 0; ++c, --*budget) {
      model::Span db;
      db.trace_id = current_trace_;
      db.span_id = NextSpanId();
      db.parent_span_id = out->spans[my_index].span_id;
      db.flags = 1;
      bool redis = s.db_system == "redis";
      db.name = redis ? "GET" : "SELECT shop." + s.name;
      db.kind = model::SpanKind::kClient;
      db.start_time_unix_nano = cursor;
      db.end_time_unix_nano = cursor + LatencyNs(std::log(redis ? 300.0 : 1500.0), 0.9);
      db.resource_index = out->spans[my_index].resource_index;
      db.attributes = {Str("db.system", s.db_system), Str("db.name", "shop"),
                       Str("db.statement", redis ? "GET cart:{id}" : "SELECT * FROM " + s.name + " WHERE id = ?"),
                       Str("server.address", s.db_system + ".shop.svc"), Int("server.port", redis ? 6379 : 5432)};
      if (!redis) db.attributes.push_back(Str("db.sql.table", s.name));
      cursor = db.end_time_unix_nano + 20'000;
      out->spans.push_back(std::move(db));
    }
  }
  // Downstream calls: a client span, then the callee's server span.
  for (uint32_t callee : s.callees) {
    if (*budget < 2) break;
    if (depth > 0 && rng_() % 4 == 0) continue;
    *budget -= 2;
    const Service& cs = services_[callee];
    const Operation& cop = cs.operations[rng_() % cs.operations.size()];
    bool parallel = rng_() % 3 == 0;
    model::Span client;
    client.trace_id = current_trace_;
    client.span_id = NextSpanId();
    client.parent_span_id = out->spans[my_index].span_id;
    client.flags = 1;
    client.name = cop.name;
    client.kind = model::SpanKind::kClient;
    client.start_time_unix_nano = cursor;
    client.resource_index = out->spans[my_index].resource_index;
    client.attributes = {Str("peer.service", cs.name), Str("server.address", cs.name), Int("server.port", 8080)};
    if (cop.protocol == 0) {
      client.attributes.push_back(Str("http.request.method", cop.name.substr(0, cop.name.find(' '))));
      client.attributes.push_back(Str("url.full", "http://" + cs.name + ":8080" + cop.name.substr(cop.name.find(' ') + 1)));
    } else {
      client.attributes.push_back(Str("rpc.system", "grpc"));
    }
    size_t client_index = out->spans.size();
    model::SpanId client_id = client.span_id;
    out->spans.push_back(std::move(client));
    bool child_error = error_path && rng_() % 2 == 0;
    uint64_t child_end =
        EmitServer(callee, cop, client_id, cursor + 150'000, depth + 1, out, budget, child_error);
    model::Span& cl = out->spans[client_index];
    cl.end_time_unix_nano = child_end + 120'000;
    if (cop.protocol == 0) cl.attributes.push_back(Int("http.response.status_code", child_error ? 503 : 200));
    if (child_error) {
      cl.status_code = model::StatusCode::kError;
      failed = true;
    }
    if (!parallel) cursor = cl.end_time_unix_nano + 10'000;
  }
  model::Span& me = out->spans[my_index];
  me.end_time_unix_nano = std::max(cursor, me.start_time_unix_nano) + LatencyNs(s.latency_mu, 0.6) / 4;
  bool own_error = error_path && (failed || depth > 0);
  if (own_error) {
    me.status_code = model::StatusCode::kError;
    if (!failed) {
      me.status_message = "upstream timeout after 2000ms";
      model::Event ev;
      ev.time_unix_nano = me.end_time_unix_nano - 1000;
      ev.name = "exception";
      ev.attributes = {Str("exception.type", "TimeoutError"),
                       Str("exception.message", "deadline exceeded after 2000ms calling " + s.name)};
      me.events.push_back(std::move(ev));
    }
  }
  if (op.protocol == 0) me.attributes.push_back(Int("http.response.status_code", own_error ? 500 : 200));
  return me.end_time_unix_nano;
}

model::TraceId TraceSynthesizer::AppendTrace(uint64_t start_unix_nano, model::SpanBatch* out) {
  for (auto& b : current_trace_.bytes) b = static_cast<uint8_t>(rng_());
  if (out->scopes.empty()) out->scopes.push_back(scope_);
  std::uniform_int_distribution<uint32_t> size(options_.min_spans_per_trace, options_.max_spans_per_trace);
  uint32_t budget = size(rng_) - 1;
  bool error = std::uniform_real_distribution<double>(0, 1)(rng_) < options_.error_rate;
  const Operation& root_op = services_[0].operations[rng_() % services_[0].operations.size()];
  size_t first = out->spans.size();
  EmitServer(0, root_op, model::SpanId{}, start_unix_nano, 0, out, &budget, error);
  // Pad small trees with internal spans so traces reach the drawn size.
  while (budget > 0 && out->spans.size() > first) {
    const model::Span& parent = out->spans[first + rng_() % (out->spans.size() - first)];
    model::Span in;
    in.trace_id = current_trace_;
    in.span_id = NextSpanId();
    in.parent_span_id = parent.span_id;
    in.flags = 1;
    in.name = "render " + std::to_string(rng_() % 8);
    in.kind = model::SpanKind::kInternal;
    in.start_time_unix_nano = parent.start_time_unix_nano + (parent.DurationNanos() / 8);
    in.end_time_unix_nano = in.start_time_unix_nano + std::max<uint64_t>(parent.DurationNanos() / 4, 1000);
    in.resource_index = parent.resource_index;
    in.attributes = {Str("code.function", "handle"), Int("items", static_cast<int64_t>(rng_() % 50))};
    out->spans.push_back(std::move(in));
    --budget;
  }
  return current_trace_;
}

std::vector<model::SpanBatch> TraceSynthesizer::SplitByService(const model::SpanBatch& batch) {
  std::map<std::string, size_t> index;
  std::vector<model::SpanBatch> out;
  for (const auto& s : batch.spans) {
    std::string svc(batch.ServiceOf(s));
    auto [it, inserted] = index.emplace(svc, out.size());
    if (inserted) out.emplace_back();
    out[it->second].AppendFrom(batch, s);
  }
  return out;
}

}  // namespace tracery::loadgen
