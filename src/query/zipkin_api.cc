#include "query/zipkin_api.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace tracery::query {

namespace {

constexpr uint64_t kNsPerMs = 1'000'000;
constexpr uint64_t kDefaultLookbackMs = 86'400'000;  // Zipkin's QUERY_LOOKBACK default: one day
constexpr size_t kDefaultLimit = 10;
constexpr size_t kMaxLimit = 1500;

HttpResponse TextError(int status, std::string message) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(message);
  return r;
}
HttpResponse FromStatus(const Status& st) { return TextError(st.HttpStatus(), st.message()); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string ZipkinTraceIdHex(const model::TraceId& id) {
  std::string hex = id.ToHex();
  return id.High() == 0 ? hex.substr(16) : hex;
}

Result<uint64_t> ParseUintParam(const HttpRequest& req, std::string_view name, uint64_t fallback,
                                std::string_view unit) {
  const std::string* v = req.Param(name);
  if (!v || v->empty()) return fallback;
  uint64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size())
    return Status::InvalidArgument(std::string(name) + ": cannot parse \"" + *v + "\" as " + std::string(unit));
  return out;
}

bool IsIpv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j == i || j - i > 3) return false;
    ++parts;
    if (j == s.size()) break;
    if (s[j] != '.') return false;
    i = j + 1;
  }
  return parts == 4;
}

bool IsIpv6(std::string_view s) {
  if (s.find(':') == std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; });
}

const model::AnyValue* FirstOf(const model::Attributes& attrs, std::initializer_list<std::string_view> keys) {
  for (auto k : keys)
    if (const model::AnyValue* v = model::FindAttribute(attrs, k)) return v;
  return nullptr;
}

void AppendRemoteEndpoint(const model::Span& s, JsonWriter& w) {
  const model::AnyValue* service = model::FindAttribute(s.attributes, "peer.service");
  std::string ipv4, ipv6;
  for (auto key : {"network.peer.address", "net.sock.peer.addr", "net.peer.ip", "server.address"}) {
    const model::AnyValue* v = model::FindAttribute(s.attributes, key);
    if (!v || v->type != model::AnyValue::Type::kString) continue;
    if (ipv4.empty() && IsIpv4(v->str)) ipv4 = v->str;
    else if (ipv6.empty() && IsIpv6(v->str)) ipv6 = v->str;
  }
  const model::AnyValue* port =
      FirstOf(s.attributes, {"network.peer.port", "net.peer.port", "server.port", "net.sock.peer.port"});
  const bool has_port = port && port->type == model::AnyValue::Type::kInt && port->int_value > 0 &&
                        port->int_value <= 65535;
  if (!service && ipv4.empty() && ipv6.empty() && !has_port) return;
  w.Key("remoteEndpoint").BeginObject();
  if (service) w.Field("serviceName", service->ToString());
  if (!ipv4.empty()) w.Field("ipv4", ipv4);
  if (!ipv6.empty()) w.Field("ipv6", ipv6);
  if (has_port) w.FieldInt("port", port->int_value);
  w.EndObject();
}

void AppendAttributesObject(const model::Attributes& attrs, JsonWriter& w) {
  w.BeginObject();
  for (const auto& kv : attrs) w.Field(kv.key, kv.value.ToString());
  w.EndObject();
}

void AppendSpan(const AssembledTrace& t, size_t i, JsonWriter& w) {
  const model::Span& s = t.batch.spans[i];
  const model::Scope& scope = t.batch.ScopeOf(s);
  w.BeginObject().Field("traceId", ZipkinTraceIdHex(s.trace_id));
  if (!s.parent_span_id.IsZero()) w.Field("parentId", s.parent_span_id.ToHex());
  w.Field("id", s.span_id.ToHex());
  switch (s.kind) {
    case model::SpanKind::kServer: w.Field("kind", "SERVER"); break;
    case model::SpanKind::kClient: w.Field("kind", "CLIENT"); break;
    case model::SpanKind::kProducer: w.Field("kind", "PRODUCER"); break;
    case model::SpanKind::kConsumer: w.Field("kind", "CONSUMER"); break;
    default: break;
  }
  if (!s.name.empty()) w.Field("name", s.name);
  if (s.start_time_unix_nano) w.FieldUint("timestamp", s.start_time_unix_nano / 1000);
  if (s.end_time_unix_nano) w.FieldUint("duration", std::max<uint64_t>(1, s.DurationNanos() / 1000));
  w.Key("localEndpoint").BeginObject().Field("serviceName", t.batch.ServiceOf(s)).EndObject();
  AppendRemoteEndpoint(s, w);
  if (!s.events.empty()) {
    w.Key("annotations").BeginArray();
    for (const auto& e : s.events) {
      w.BeginObject().FieldUint("timestamp", e.time_unix_nano / 1000);
      if (e.attributes.empty()) {
        w.Field("value", e.name);
      } else {
        std::string value;
        JsonWriter vw(&value);
        vw.BeginObject().Key(e.name);
        AppendAttributesObject(e.attributes, vw);
        vw.EndObject();
        w.Field("value", value);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("tags").BeginObject();
  for (const auto& kv : s.attributes) w.Field(kv.key, kv.value.ToString());
  if (!scope.name.empty()) w.Field("otel.scope.name", scope.name);
  if (!scope.version.empty()) w.Field("otel.scope.version", scope.version);
  if (s.status_code == model::StatusCode::kOk) w.Field("otel.status_code", "OK");
  if (s.status_code == model::StatusCode::kError) {
    w.Field("otel.status_code", "ERROR");
    w.Field("error", s.status_message.empty() ? std::string_view("true") : std::string_view(s.status_message));
  }
  w.EndObject();
  if (t.spans[i].shared_server) w.FieldBool("shared", true);
  w.EndObject();
}

// Writes a JSON array of strings.
HttpResponse StringList(const std::vector<std::string>& values) {
  std::string body;
  JsonWriter w(&body);
  w.BeginArray();
  for (const auto& v : values) w.String(v);
  w.EndArray();
  return HttpResponse::Json(200, std::move(body));
}

}  // namespace

void AppendZipkinTrace(const AssembledTrace& trace, JsonWriter& w) {
  w.BeginArray();
  for (size_t i = 0; i < trace.batch.spans.size(); ++i) AppendSpan(trace, i, w);
  w.EndArray();
}

ZipkinApi::ZipkinApi(storage::SpanStore& store, std::function<uint64_t()> now_ns, QueryApiOptions options)
    : store_(store), now_ns_(std::move(now_ns)), options_(options) {}

AssemblyOptions ZipkinApi::ZipkinAssembly() const {
  AssemblyOptions o;
  o.max_spans_per_trace = options_.max_spans_per_trace;
  o.adjust_clock_skew = false;  // the Zipkin UI corrects skew itself
  return o;
}

std::optional<HttpResponse> ZipkinApi::Handle(const HttpRequest& req) {
  std::string_view path = req.path;
  if (!path.starts_with("/api/v2/")) return std::nullopt;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const std::string_view rest = path.substr(8);
  static constexpr std::string_view kEndpoints[] = {"services", "spans", "remoteServices", "traces", "traceMany",
                                                    "dependencies", "autocompleteKeys", "autocompleteValues"};
  const bool ours = std::find(std::begin(kEndpoints), std::end(kEndpoints), rest) != std::end(kEndpoints) ||
                    rest.starts_with("trace/");
  if (!ours) return std::nullopt;
  // POST /api/v2/spans is ingest, served by another handler.
  if (req.method != "GET" && req.method != "HEAD") {
    if (rest == "spans") return std::nullopt;
    return TextError(405, "method not allowed; use GET");
  }
  try {
    if (rest == "services") return Services();
    if (rest == "spans") return SpanNames(req);
    if (rest == "remoteServices") return RemoteServices(req);
    if (rest == "traces") return Traces(req);
    if (rest == "traceMany") return TraceMany(req);
    if (rest == "dependencies") return Dependencies(req);
    if (rest == "autocompleteKeys") return AutocompleteKeys();
    if (rest == "autocompleteValues") return AutocompleteValues(req);
    return Trace(rest.substr(6));
  } catch (const std::exception& e) {
    return TextError(500, std::string("internal error: ") + e.what());
  }
}

Result<std::string> ZipkinApi::ResolveService(const std::string& name) {
  auto services = store_.GetServices();
  if (!services.ok()) return services.status();
  const std::string lower = Lower(name);
  std::string found = name;
  for (const auto& s : *services) {
    if (s == name) return s;
    if (found == name && Lower(s) == lower) found = s;
  }
  return found;
}

HttpResponse ZipkinApi::Services() {
  auto services = store_.GetServices();
  if (!services.ok()) return FromStatus(services.status());
  std::sort(services->begin(), services->end());
  return StringList(*services);
}

HttpResponse ZipkinApi::SpanNames(const HttpRequest& req) {
  const std::string* name = req.Param("serviceName");
  if (!name || name->empty()) return TextError(400, "serviceName: parameter is required");
  auto service = ResolveService(*name);
  if (!service.ok()) return FromStatus(service.status());
  auto ops = store_.GetOperations(*service, std::nullopt);
  if (!ops.ok()) return FromStatus(ops.status());
  std::set<std::string> names;
  for (const auto& op : *ops) names.insert(op.name);
  return StringList({names.begin(), names.end()});
}

Status ZipkinApi::ScanRecent(const std::function<void(const model::SpanBatch&, const model::Span&)>& fn) {
  const uint64_t now = now_ns_();
  const uint64_t start = now - std::min(now, options_.recent_scan_window_ns);
  size_t seen = 0;
  return store_.ScanSpans(start, now + 1, [&](const model::SpanBatch& batch) {
    for (const auto& s : batch.spans) {
      if (seen++ >= options_.recent_scan_max_spans) return false;
      fn(batch, s);
    }
    return true;
  });
}

HttpResponse ZipkinApi::RemoteServices(const HttpRequest& req) {
  const std::string* name = req.Param("serviceName");
  if (!name || name->empty()) return TextError(400, "serviceName: parameter is required");
  const std::string lower = Lower(*name);
  std::set<std::string> peers;
  Status st = ScanRecent([&](const model::SpanBatch& b, const model::Span& s) {
    if (peers.size() >= options_.recent_max_values || Lower(b.ServiceOf(s)) != lower) return;
    if (const model::AnyValue* v = model::FindAttribute(s.attributes, "peer.service")) peers.insert(v->ToString());
  });
  if (!st.ok()) return FromStatus(st);
  return StringList({peers.begin(), peers.end()});
}

HttpResponse ZipkinApi::AutocompleteKeys() {
  std::set<std::string> keys;
  Status st = ScanRecent([&](const model::SpanBatch&, const model::Span& s) {
    for (const auto& kv : s.attributes) {
      if (keys.size() >= options_.recent_max_values) return;
      keys.insert(kv.key);
    }
  });
  if (!st.ok()) return FromStatus(st);
  return StringList({keys.begin(), keys.end()});
}

HttpResponse ZipkinApi::AutocompleteValues(const HttpRequest& req) {
  const std::string* key = req.Param("key");
  if (!key || key->empty()) return TextError(400, "key: parameter is required");
  std::set<std::string> values;
  Status st = ScanRecent([&](const model::SpanBatch&, const model::Span& s) {
    if (values.size() >= options_.recent_max_values) return;
    if (const model::AnyValue* v = model::FindAttribute(s.attributes, *key)) values.insert(v->ToString());
  });
  if (!st.ok()) return FromStatus(st);
  return StringList({values.begin(), values.end()});
}

HttpResponse ZipkinApi::Traces(const HttpRequest& req) {
  storage::TraceQuery q;
  storage::SpanCondition c;
  if (const std::string* v = req.Param("serviceName"); v && !v->empty()) {
    auto service = ResolveService(*v);
    if (!service.ok()) return FromStatus(service.status());
    c.service = *service;
  }
  if (const std::string* v = req.Param("spanName"); v && !v->empty() && *v != "all") {
    c.operation = *v;
    if (!c.service.empty()) {  // match the stored case of the name
      auto ops = store_.GetOperations(c.service, std::nullopt);
      if (!ops.ok()) return FromStatus(ops.status());
      const std::string lower = Lower(*v);
      for (const auto& op : *ops)
        if (op.name == *v) { c.operation = op.name; break; }
        else if (Lower(op.name) == lower) c.operation = op.name;
    }
  }
  if (const std::string* v = req.Param("remoteServiceName"); v && !v->empty())
    c.tags.push_back({"peer.service", *v});
  if (const std::string* v = req.Param("annotationQuery"); v && !v->empty()) {
    std::string_view rest = *v;
    while (!rest.empty()) {
      const size_t sep = rest.find(" and ");
      std::string_view term = rest.substr(0, sep);
      rest = sep == std::string_view::npos ? std::string_view() : rest.substr(sep + 5);
      while (!term.empty() && term.front() == ' ') term.remove_prefix(1);
      while (!term.empty() && term.back() == ' ') term.remove_suffix(1);
      if (term.empty()) continue;
      const size_t eq = term.find('=');
      if (eq != std::string_view::npos && eq > 0) {
        c.tags.push_back({std::string(term.substr(0, eq)), std::string(term.substr(eq + 1))});
      } else if (term == "error") {
        c.error_only = true;
      } else {
        return TextError(400, "annotationQuery: \"" + std::string(term) +
                                  "\" is not supported; use key=value terms or \"error\", joined by \" and \"");
      }
    }
  }
  auto min_us = ParseUintParam(req, "minDuration", 0, "microseconds");
  if (!min_us.ok()) return FromStatus(min_us.status());
  auto max_us = ParseUintParam(req, "maxDuration", 0, "microseconds");
  if (!max_us.ok()) return FromStatus(max_us.status());
  if (*min_us > UINT64_MAX / 1000 || *max_us > UINT64_MAX / 1000)
    return TextError(400, "minDuration/maxDuration: out of range");
  c.min_duration_ns = *min_us * 1000;
  c.max_duration_ns = *max_us * 1000;
  if (c.max_duration_ns && c.min_duration_ns > c.max_duration_ns)
    return TextError(400, "minDuration: is greater than maxDuration");
  if (!c.service.empty() || !c.operation.empty() || !c.tags.empty() || c.error_only || c.min_duration_ns ||
      c.max_duration_ns)
    q.span_conditions.push_back(std::move(c));

  auto end_ms = ParseUintParam(req, "endTs", now_ns_() / kNsPerMs, "milliseconds since the epoch");
  if (!end_ms.ok()) return FromStatus(end_ms.status());
  auto lookback_ms = ParseUintParam(req, "lookback", kDefaultLookbackMs, "milliseconds");
  if (!lookback_ms.ok()) return FromStatus(lookback_ms.status());
  if (*end_ms > UINT64_MAX / kNsPerMs) return TextError(400, "endTs: out of range");
  q.start_time_max_ns = *end_ms * kNsPerMs;
  q.start_time_min_ns = q.start_time_max_ns - std::min(q.start_time_max_ns, *lookback_ms * kNsPerMs);
  if (*lookback_ms > UINT64_MAX / kNsPerMs) q.start_time_min_ns = 0;
  auto limit = ParseUintParam(req, "limit", kDefaultLimit, "a non-negative integer");
  if (!limit.ok()) return FromStatus(limit.status());
  q.limit = *limit == 0 ? kDefaultLimit : std::min<uint64_t>(*limit, kMaxLimit);
  q.timeout_ms = options_.timeout_ms;

  auto found = store_.FindTraces(q);
  if (!found.ok()) return FromStatus(found.status());
  std::vector<model::TraceId> ids;
  for (const auto& t : found->traces) ids.push_back(t.trace_id);
  return TracesResponse(ids);
}

HttpResponse ZipkinApi::TracesResponse(const std::vector<model::TraceId>& ids) {
  std::string body;
  JsonWriter w(&body);
  w.BeginArray();
  (void)LoadAssembledTraces(store_, ids, ZipkinAssembly(), options_.max_spans_per_search, options_.timeout_ms,
                            [&](const AssembledTrace& t) { AppendZipkinTrace(t, w); });
  w.EndArray();
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse ZipkinApi::Trace(std::string_view id_hex) {
  auto id = model::TraceId::FromHex(id_hex);
  if (!id || id->IsZero())
    return TextError(400, "traceId: \"" + std::string(id_hex) + "\" is not a trace id (1 to 32 hex digits)");
  auto trace = LoadAssembledTrace(store_, *id, ZipkinAssembly());
  if (!trace.ok()) {
    if (trace.status().code() == Status::Code::kNotFound)
      return TextError(404, "trace " + std::string(id_hex) + " not found");
    return FromStatus(trace.status());
  }
  std::string body;
  JsonWriter w(&body);
  AppendZipkinTrace(*trace, w);
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse ZipkinApi::TraceMany(const HttpRequest& req) {
  const std::string* list = req.Param("traceIds");
  if (!list || list->empty()) return TextError(400, "traceIds: parameter is required (comma-separated ids)");
  std::vector<model::TraceId> ids;
  std::string_view rest = *list;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view hex = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto id = model::TraceId::FromHex(hex);
    if (!id || id->IsZero()) return TextError(400, "traceIds: \"" + std::string(hex) + "\" is not a trace id");
    if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
    if (ids.size() > kMaxLimit) return TextError(400, "traceIds: at most 1500 ids per request");
  }
  return TracesResponse(ids);
}

HttpResponse ZipkinApi::Dependencies(const HttpRequest& req) {
  auto end_ms = ParseUintParam(req, "endTs", now_ns_() / kNsPerMs, "milliseconds since the epoch");
  if (!end_ms.ok()) return FromStatus(end_ms.status());
  auto lookback_ms = ParseUintParam(req, "lookback", kDefaultLookbackMs, "milliseconds");
  if (!lookback_ms.ok()) return FromStatus(lookback_ms.status());
  if (*end_ms > UINT64_MAX / kNsPerMs) return TextError(400, "endTs: out of range");
  const uint64_t end_ns = *end_ms * kNsPerMs;
  const uint64_t start_ns =
      *lookback_ms > UINT64_MAX / kNsPerMs ? 0 : end_ns - std::min(end_ns, *lookback_ms * kNsPerMs);
  auto links = store_.GetDependencies(start_ns, end_ns);
  if (!links.ok()) return FromStatus(links.status());
  std::string body;
  JsonWriter w(&body);
  w.BeginArray();
  for (const auto& l : *links) {
    w.BeginObject().Field("parent", l.parent).Field("child", l.child).FieldUint("callCount", l.call_count);
    w.FieldUint("errorCount", l.error_count).EndObject();
  }
  w.EndArray();
  return HttpResponse::Json(200, std::move(body));
}

}  // namespace tracery::query
