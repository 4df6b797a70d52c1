#include "query/jaeger_api.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "query/search_params.h"

namespace tracery::query {

namespace {

constexpr uint64_t kNsPerMs = 1'000'000;
constexpr uint64_t kDefaultDependencyLookbackMs = 24ULL * 3600 * 1000;

// Opens Jaeger's envelope; the caller writes the value of "data" next.
void BeginEnvelope(JsonWriter& w) { w.BeginObject().Key("data"); }
void EndEnvelope(JsonWriter& w, size_t total) {
  w.FieldUint("total", total).FieldInt("limit", 0).FieldInt("offset", 0).Key("errors").Null().EndObject();
}

HttpResponse FromStatus(const Status& st) { return JaegerError(st.HttpStatus(), st.message()); }

std::string_view KindName(model::SpanKind k) {
  return k == model::SpanKind::kUnspecified ? std::string_view() : model::SpanKindName(k);
}

void AppendTag(JsonWriter& w, std::string_view key, std::string_view type) {
  w.BeginObject().Field("key", key).Field("type", type).Key("value");
}

void AppendStringTag(JsonWriter& w, std::string_view key, std::string_view value) {
  AppendTag(w, key, "string");
  w.String(value).EndObject();
}

// An attribute as a Jaeger tag; arrays and maps become their JSON text.
void AppendAttributeTag(JsonWriter& w, const model::KeyValue& kv) {
  using T = model::AnyValue::Type;
  const model::AnyValue& v = kv.value;
  switch (v.type) {
    case T::kBool: AppendTag(w, kv.key, "bool"); w.Bool(v.bool_value); break;
    case T::kInt: AppendTag(w, kv.key, "int64"); w.Int(v.int_value); break;
    case T::kDouble: AppendTag(w, kv.key, "float64"); w.Double(v.double_value); break;
    case T::kBytes: AppendTag(w, kv.key, "binary"); w.String(Base64Encode(v.str)); break;
    case T::kString: AppendTag(w, kv.key, "string"); w.String(v.str); break;
    default: AppendTag(w, kv.key, "string"); w.String(v.ToString()); break;
  }
  w.EndObject();
}

void AppendSpan(const AssembledTrace& t, size_t i, std::string_view trace_id_hex, std::string_view process_id,
                JsonWriter& w) {
  const model::Span& s = t.batch.spans[i];
  const AssembledSpan& a = t.spans[i];
  const model::Scope& scope = t.batch.ScopeOf(s);
  w.BeginObject();
  w.Field("traceID", trace_id_hex).Field("spanID", a.display_id.ToHex()).Field("operationName", s.name);
  w.Key("references").BeginArray();
  if (!a.display_parent_id.IsZero())
    w.BeginObject().Field("refType", "CHILD_OF").Field("traceID", trace_id_hex)
        .Field("spanID", a.display_parent_id.ToHex()).EndObject();
  for (const auto& l : s.links)
    w.BeginObject().Field("refType", "FOLLOWS_FROM").Field("traceID", JaegerTraceIdHex(l.trace_id))
        .Field("spanID", l.span_id.ToHex()).EndObject();
  w.EndArray();
  w.FieldUint("flags", s.flags & 0xFF);
  w.FieldUint("startTime", s.start_time_unix_nano / 1000).FieldUint("duration", s.DurationNanos() / 1000);
  w.Key("tags").BeginArray();
  for (const auto& kv : s.attributes) AppendAttributeTag(w, kv);
  if (!scope.name.empty()) AppendStringTag(w, "otel.scope.name", scope.name);
  if (!scope.version.empty()) AppendStringTag(w, "otel.scope.version", scope.version);
  if (s.kind != model::SpanKind::kUnspecified) AppendStringTag(w, "span.kind", model::SpanKindName(s.kind));
  if (s.status_code == model::StatusCode::kOk) AppendStringTag(w, "otel.status_code", "OK");
  if (s.status_code == model::StatusCode::kError) {
    AppendStringTag(w, "otel.status_code", "ERROR");
    AppendTag(w, "error", "bool");
    w.Bool(true).EndObject();
  }
  if (!s.status_message.empty()) AppendStringTag(w, "otel.status_description", s.status_message);
  if (!s.trace_state.empty()) AppendStringTag(w, "w3c.tracestate", s.trace_state);
  w.EndArray();
  w.Key("logs").BeginArray();
  for (const auto& e : s.events) {
    w.BeginObject().FieldUint("timestamp", e.time_unix_nano / 1000).Key("fields").BeginArray();
    if (!e.name.empty()) AppendStringTag(w, "event", e.name);
    for (const auto& kv : e.attributes) AppendAttributeTag(w, kv);
    w.EndArray().EndObject();
  }
  w.EndArray();
  w.Field("processID", process_id);
  // Trace-level warnings (truncation) go on the first span, where the UI
  // shows them.
  const bool trace_warnings = i == 0 && !t.warnings.empty();
  if (a.warnings.empty() && !trace_warnings) {
    w.Key("warnings").Null();
  } else {
    w.Key("warnings").BeginArray();
    if (trace_warnings)
      for (const auto& m : t.warnings) w.String(m);
    for (const auto& m : a.warnings) w.String(m);
    w.EndArray();
  }
  w.EndObject();
}

Result<model::TraceId> ParseTraceIdParam(std::string_view name, std::string_view hex) {
  auto id = model::TraceId::FromHex(hex);
  if (!id || id->IsZero())
    return Status::InvalidArgument(std::string(name) + ": \"" + std::string(hex) +
                                   "\" is not a trace id (1 to 32 hex digits, not all zero)");
  return *id;
}

Result<uint64_t> ParseMillisParam(const HttpRequest& req, std::string_view name, uint64_t fallback) {
  const std::string* v = req.Param(name);
  if (!v || v->empty()) return fallback;
  uint64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out > UINT64_MAX / kNsPerMs)
    return Status::InvalidArgument(std::string(name) + ": cannot parse \"" + *v + "\" as milliseconds");
  return out;
}

}  // namespace

std::string JaegerTraceIdHex(const model::TraceId& id) {
  std::string hex = id.ToHex();
  return id.High() == 0 ? hex.substr(16) : hex;
}

HttpResponse JaegerError(int status, std::string_view message) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("data").Null().FieldInt("total", 0).FieldInt("limit", 0).FieldInt("offset", 0);
  w.Key("errors").BeginArray().BeginObject().FieldInt("code", status).Field("msg", message).EndObject().EndArray();
  w.EndObject();
  return HttpResponse::Json(status, std::move(body));
}

void AppendJaegerTrace(const AssembledTrace& t, JsonWriter& w) {
  const std::string trace_id_hex =
      t.batch.spans.empty() ? std::string() : JaegerTraceIdHex(t.batch.spans[0].trace_id);
  // One process per distinct resource: p1, p2, ... in order of first use.
  std::vector<int32_t> process_of_resource(t.batch.resources.size(), -1);
  std::vector<uint32_t> process_resources;  // process number - 1 -> resource index
  auto process_for = [&](uint32_t res) {
    if (process_of_resource[res] >= 0) return process_of_resource[res];
    int32_t found = -1;
    if (process_resources.size() <= 512) {
      for (size_t p = 0; p < process_resources.size(); ++p)
        if (t.batch.resources[process_resources[p]] == t.batch.resources[res]) found = static_cast<int32_t>(p);
    }
    if (found < 0) {
      found = static_cast<int32_t>(process_resources.size());
      process_resources.push_back(res);
    }
    return process_of_resource[res] = found;
  };
  // Process ids are built once per process, not once per span.
  std::vector<std::string> process_ids;
  w.BeginObject().Field("traceID", trace_id_hex).Key("spans").BeginArray();
  for (size_t i = 0; i < t.batch.spans.size(); ++i) {
    const auto p = static_cast<size_t>(process_for(t.batch.spans[i].resource_index));
    while (process_ids.size() <= p) process_ids.push_back("p" + std::to_string(process_ids.size() + 1));
    AppendSpan(t, i, trace_id_hex, process_ids[p], w);
  }
  w.EndArray();
  w.Key("processes").BeginObject();
  for (size_t p = 0; p < process_resources.size(); ++p) {
    const model::Resource& r = t.batch.resources[process_resources[p]];
    w.Key(process_ids[p]).BeginObject().Field("serviceName", r.ServiceName());
    w.Key("tags").BeginArray();
    for (const auto& kv : r.attributes)
      if (kv.key != model::keys::kServiceName) AppendAttributeTag(w, kv);
    w.EndArray().EndObject();
  }
  w.EndObject();
  if (t.warnings.empty()) {
    w.Key("warnings").Null();
  } else {
    w.Key("warnings").BeginArray();
    for (const auto& m : t.warnings) w.String(m);
    w.EndArray();
  }
  w.EndObject();
}

JaegerApi::JaegerApi(storage::SpanStore& store, std::function<uint64_t()> now_ns, QueryApiOptions options)
    : store_(store), now_ns_(std::move(now_ns)), options_(options) {}

std::optional<HttpResponse> JaegerApi::Handle(const HttpRequest& req) {
  std::string_view path = req.path;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  constexpr std::string_view kServices = "/api/services", kTraces = "/api/traces";
  const bool ours = path == kServices || path == "/api/operations" || path == kTraces ||
                    path == "/api/dependencies" || path.starts_with("/api/services/") ||
                    path.starts_with("/api/traces/");
  if (!ours) return std::nullopt;
  if (req.method != "GET" && req.method != "HEAD") return JaegerError(405, "method not allowed; use GET");
  try {
    if (path == kServices) return Services();
    if (path == "/api/operations") return Operations(req);
    if (path == kTraces) return Traces(req);
    if (path == "/api/dependencies") return Dependencies(req);
    if (path.starts_with("/api/services/")) {
      std::string_view rest = path.substr(kServices.size() + 1);
      constexpr std::string_view kOps = "/operations";
      if (!rest.ends_with(kOps) || rest.size() == kOps.size()) return JaegerError(404, "no such endpoint");
      return ServiceOperations(std::string(rest.substr(0, rest.size() - kOps.size())));
    }
    return Trace(path.substr(kTraces.size() + 1));
  } catch (const std::exception& e) {  // e.g. bad_alloc from a library; never escapes the module
    return JaegerError(500, std::string("internal error: ") + e.what());
  }
}

HttpResponse JaegerApi::Services() {
  auto services = store_.GetServices();
  if (!services.ok()) return FromStatus(services.status());
  std::sort(services->begin(), services->end());
  std::string body;
  JsonWriter w(&body);
  BeginEnvelope(w);
  w.BeginArray();
  for (const auto& s : *services) w.String(s);
  w.EndArray();
  EndEnvelope(w, services->size());
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse JaegerApi::ServiceOperations(const std::string& service) {
  auto ops = store_.GetOperations(service, std::nullopt);
  if (!ops.ok()) return FromStatus(ops.status());
  std::set<std::string> names;
  for (const auto& op : *ops) names.insert(op.name);
  std::string body;
  JsonWriter w(&body);
  BeginEnvelope(w);
  w.BeginArray();
  for (const auto& n : names) w.String(n);
  w.EndArray();
  EndEnvelope(w, names.size());
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse JaegerApi::Operations(const HttpRequest& req) {
  const std::string* service = req.Param("service");
  if (!service || service->empty()) return JaegerError(400, "service: parameter is required");
  std::optional<model::SpanKind> kind;
  if (const std::string* k = req.Param("spanKind"); k && !k->empty()) {
    bool found = false;
    for (auto candidate : {model::SpanKind::kServer, model::SpanKind::kClient, model::SpanKind::kProducer,
                           model::SpanKind::kConsumer, model::SpanKind::kInternal, model::SpanKind::kUnspecified})
      if (model::SpanKindName(candidate) == *k) {
        kind = candidate;
        found = true;
      }
    if (!found) return JaegerError(400, "spanKind: unknown span kind \"" + *k + "\"");
  }
  auto ops = store_.GetOperations(*service, kind);
  if (!ops.ok()) return FromStatus(ops.status());
  std::sort(ops->begin(), ops->end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.kind) < std::tie(b.name, b.kind);
  });
  std::string body;
  JsonWriter w(&body);
  BeginEnvelope(w);
  w.BeginArray();
  for (const auto& op : *ops) w.BeginObject().Field("name", op.name).Field("spanKind", KindName(op.kind)).EndObject();
  w.EndArray();
  EndEnvelope(w, ops->size());
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse JaegerApi::Trace(std::string_view id_hex) {
  auto id = ParseTraceIdParam("traceID", id_hex);
  if (!id.ok()) return FromStatus(id.status());
  AssemblyOptions ao{options_.max_spans_per_trace, options_.adjust_clock_skew};
  auto trace = LoadAssembledTrace(store_, *id, ao);
  if (!trace.ok()) {
    if (trace.status().code() == Status::Code::kNotFound) return JaegerError(404, "trace not found");
    return FromStatus(trace.status());
  }
  std::string body;
  JsonWriter w(&body);
  BeginEnvelope(w);
  w.BeginArray();
  AppendJaegerTrace(*trace, w);
  w.EndArray();
  EndEnvelope(w, 1);
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse JaegerApi::Traces(const HttpRequest& req) {
  // Explicit ids (Jaeger's traceID=...&traceID=...) skip the search.
  std::vector<model::TraceId> ids;
  std::string next_cursor;
  for (const auto& hex : req.Params("traceID")) {
    auto id = ParseTraceIdParam("traceID", hex);
    if (!id.ok()) return FromStatus(id.status());
    if (ids.size() < 1500) ids.push_back(*id);
  }
  if (ids.empty()) {
    auto q = ParseTraceQuery(req, now_ns_());
    if (!q.ok()) return FromStatus(q.status());
    q->timeout_ms = options_.timeout_ms;
    auto found = store_.FindTraces(*q);
    if (!found.ok()) return FromStatus(found.status());
    for (const auto& t : found->traces) ids.push_back(t.trace_id);
    next_cursor = std::move(found->next_cursor);
  }

  std::string body;
  JsonWriter w(&body);
  BeginEnvelope(w);
  w.BeginArray();
  size_t written = 0;
  AssemblyOptions ao{options_.max_spans_per_trace, options_.adjust_clock_skew};
  const std::vector<std::string> warnings = LoadAssembledTraces(
      store_, ids, ao, options_.max_spans_per_search, options_.timeout_ms, [&](const AssembledTrace& t) {
        AppendJaegerTrace(t, w);
        ++written;
      });
  w.EndArray();
  w.FieldUint("total", written).FieldInt("limit", 0).FieldInt("offset", 0).Key("errors").Null();
  if (!next_cursor.empty()) w.Field("nextCursor", next_cursor);
  if (!warnings.empty()) {
    w.Key("warnings").BeginArray();
    for (const auto& m : warnings) w.String(m);
    w.EndArray();
  }
  w.EndObject();
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse JaegerApi::Dependencies(const HttpRequest& req) {
  const uint64_t now_ms = now_ns_() / kNsPerMs;
  auto end_ms = ParseMillisParam(req, "endTs", now_ms);
  if (!end_ms.ok()) return FromStatus(end_ms.status());
  auto lookback_ms = ParseMillisParam(req, "lookback", kDefaultDependencyLookbackMs);
  if (!lookback_ms.ok()) return FromStatus(lookback_ms.status());
  const uint64_t end_ns = *end_ms * kNsPerMs;
  const uint64_t start_ns = end_ns - std::min(end_ns, *lookback_ms * kNsPerMs);
  auto links = store_.GetDependencies(start_ns, end_ns);
  if (!links.ok()) return FromStatus(links.status());
  std::string body;
  JsonWriter w(&body);
  BeginEnvelope(w);
  w.BeginArray();
  for (const auto& l : *links)
    w.BeginObject().Field("parent", l.parent).Field("child", l.child).FieldUint("callCount", l.call_count).EndObject();
  w.EndArray();
  EndEnvelope(w, links->size());
  return HttpResponse::Json(200, std::move(body));
}

}  // namespace tracery::query
