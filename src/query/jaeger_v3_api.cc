#include "query/jaeger_v3_api.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include <simdjson.h>

#include "common/json_writer.h"
#include "query/otlp_json_encoder.h"
#include "query/search_params.h"
#include "query/trace_assembly.h"

namespace tracery::query {

namespace {

constexpr size_t kDefaultSearchDepth = 20;
constexpr size_t kMaxSearchDepth = 1500;
constexpr uint64_t kDefaultLookbackNs = 3600ULL * 1'000'000'000ULL;

std::string_view HttpStatusText(int code) {
  switch (code) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return code >= 500 ? "Internal Server Error" : "Error";
  }
}

HttpResponse V3Error(int code, std::string_view message) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("error").BeginObject().FieldInt("httpCode", code).Field("httpStatus", HttpStatusText(code));
  w.Field("message", message).EndObject().EndObject();
  return HttpResponse::Json(code, std::move(body));
}

HttpResponse FromStatus(const Status& st) { return V3Error(st.HttpStatus(), st.message()); }

Status BadParam(std::string_view name, std::string_view what) {
  return Status::InvalidArgument(std::string(name) + ": " + std::string(what));
}

Result<bool> ParseBoolParam(const HttpRequest& req, std::string_view name) {
  const std::string* v = req.Param(name);
  if (!v || v->empty() || *v == "false") return false;
  if (*v == "true") return true;
  return BadParam(name, "expected true or false, got \"" + *v + "\"");
}

int DigitsAt(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

Result<storage::TraceQuery> ParseV3Query(const HttpRequest& req, uint64_t now_ns) {
  storage::TraceQuery q;
  storage::SpanCondition c;
  if (auto* v = req.Param("query.service_name")) c.service = *v;
  if (auto* v = req.Param("query.operation_name")) c.operation = *v;
  for (const char* name : {"query.duration_min", "query.duration_max"}) {
    const std::string* v = req.Param(name);
    if (!v || v->empty()) continue;
    auto d = ParseDuration(*v);
    if (!d.ok()) return BadParam(name, "cannot parse \"" + *v + "\" as a duration (e.g. \"1.5ms\", \"2s\")");
    (std::string_view(name) == "query.duration_min" ? c.min_duration_ns : c.max_duration_ns) = *d;
  }
  if (const std::string* v = req.Param("query.attributes"); v && !v->empty()) {
    simdjson::dom::parser parser;
    simdjson::dom::object obj;
    if (parser.parse(simdjson::padded_string(*v)).get(obj) != simdjson::SUCCESS)
      return BadParam("query.attributes", "expected a JSON object of attribute key to string value");
    for (auto [k, val] : obj) {
      std::string_view sv;
      if (val.get_string().get(sv) != simdjson::SUCCESS)
        return BadParam("query.attributes", "value of \"" + std::string(k) + "\" must be a string");
      c.tags.push_back({std::string(k), std::string(sv)});
    }
  }
  for (const auto& [k, v] : req.query) {
    constexpr std::string_view kPrefix = "query.attributes[";
    if (k.size() > kPrefix.size() + 1 && k.starts_with(kPrefix) && k.back() == ']')
      c.tags.push_back({k.substr(kPrefix.size(), k.size() - kPrefix.size() - 1), v});
  }
  if (!c.service.empty() || !c.operation.empty() || c.min_duration_ns || c.max_duration_ns || !c.tags.empty())
    q.span_conditions.push_back(std::move(c));

  q.start_time_max_ns = now_ns;
  if (const std::string* v = req.Param("query.start_time_max"); v && !v->empty()) {
    auto t = ParseRfc3339(*v);
    if (!t.ok()) return BadParam("query.start_time_max", t.status().message());
    q.start_time_max_ns = *t;
  }
  q.start_time_min_ns = q.start_time_max_ns - std::min(q.start_time_max_ns, kDefaultLookbackNs);
  if (const std::string* v = req.Param("query.start_time_min"); v && !v->empty()) {
    auto t = ParseRfc3339(*v);
    if (!t.ok()) return BadParam("query.start_time_min", t.status().message());
    q.start_time_min_ns = *t;
  }
  if (q.start_time_min_ns > q.start_time_max_ns)
    return BadParam("query.start_time_min", "is after query.start_time_max");

  q.limit = kDefaultSearchDepth;
  for (const char* name : {"query.num_traces", "query.search_depth"}) {
    const std::string* v = req.Param(name);
    if (!v || v->empty()) continue;
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size())
      return BadParam(name, "cannot parse \"" + *v + "\" as a non-negative integer");
    if (n > 0) q.limit = std::min<uint64_t>(n, kMaxSearchDepth);
  }
  return q;
}

HttpResponse ResultResponse(const std::string& resource_spans_json_array) {
  std::string body = "{\"result\":{\"resourceSpans\":";
  body += resource_spans_json_array;
  body += "}}";
  return HttpResponse::Json(200, std::move(body));
}

}  // namespace

Result<uint64_t> ParseRfc3339(std::string_view s) {
  auto bad = [&] {
    return Status::InvalidArgument("cannot parse \"" + std::string(s) +
                                   "\" as an RFC 3339 time (e.g. 2024-05-01T12:00:00Z)");
  };
  // YYYY-MM-DDTHH:MM:SS
  const int year = DigitsAt(s, 0, 4), month = DigitsAt(s, 5, 2), day = DigitsAt(s, 8, 2);
  const int hour = DigitsAt(s, 11, 2), minute = DigitsAt(s, 14, 2), second = DigitsAt(s, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return bad();
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
      s[16] != ':')
    return bad();
  if (hour > 23 || minute > 59 || second > 60) return bad();
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(unsigned(month)),
                                        std::chrono::day(unsigned(day))};
  if (!ymd.ok()) return bad();
  size_t pos = 19;
  uint64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    uint64_t scale = 100'000'000;
    const size_t begin = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ns += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == begin) return bad();
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int oh = DigitsAt(s, pos + 1, 2), om = DigitsAt(s, pos + 4, 2);
    if (oh < 0 || om < 0 || s[pos + 3] != ':' || oh > 23 || om > 59) return bad();
    offset_s = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  const int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  if (secs < 0 || secs > 18'000'000'000LL) return bad();
  return static_cast<uint64_t>(secs) * 1'000'000'000ULL + frac_ns;
}

JaegerV3Api::JaegerV3Api(storage::SpanStore& store, std::function<uint64_t()> now_ns, QueryApiOptions options)
    : store_(store), now_ns_(std::move(now_ns)), options_(options) {}

std::optional<HttpResponse> JaegerV3Api::Handle(const HttpRequest& req) {
  std::string_view path = req.path;
  if (!path.starts_with("/api/v3/")) return std::nullopt;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  constexpr std::string_view kTraces = "/api/v3/traces";
  const bool ours = path == "/api/v3/services" || path == "/api/v3/operations" || path == kTraces ||
                    path.starts_with("/api/v3/traces/");
  if (!ours) return std::nullopt;
  if (req.method != "GET" && req.method != "HEAD") return V3Error(405, "method not allowed; use GET");
  try {
    if (path == "/api/v3/services") return Services();
    if (path == "/api/v3/operations") return Operations(req);
    if (path == kTraces) return FindTraces(req);
    return GetTrace(path.substr(kTraces.size() + 1), req);
  } catch (const std::exception& e) {
    return V3Error(500, std::string("internal error: ") + e.what());
  }
}

HttpResponse JaegerV3Api::Services() {
  auto services = store_.GetServices();
  if (!services.ok()) return FromStatus(services.status());
  std::sort(services->begin(), services->end());
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("services").BeginArray();
  for (const auto& s : *services) w.String(s);
  w.EndArray().EndObject();
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse JaegerV3Api::Operations(const HttpRequest& req) {
  const std::string* service = req.Param("service");
  if (!service || service->empty()) return V3Error(400, "service: parameter is required");
  std::optional<model::SpanKind> kind;
  if (const std::string* k = req.Param("span_kind"); k && !k->empty()) {
    for (auto candidate : {model::SpanKind::kServer, model::SpanKind::kClient, model::SpanKind::kProducer,
                           model::SpanKind::kConsumer, model::SpanKind::kInternal, model::SpanKind::kUnspecified})
      if (model::SpanKindName(candidate) == *k) kind = candidate;
    if (!kind) return V3Error(400, "span_kind: unknown span kind \"" + *k + "\"");
  }
  auto ops = store_.GetOperations(*service, kind);
  if (!ops.ok()) return FromStatus(ops.status());
  std::sort(ops->begin(), ops->end(),
            [](const auto& a, const auto& b) { return std::tie(a.name, a.kind) < std::tie(b.name, b.kind); });
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("operations").BeginArray();
  for (const auto& op : *ops) {
    w.BeginObject().Field("name", op.name);
    w.Field("spanKind", op.kind == model::SpanKind::kUnspecified ? "" : model::SpanKindName(op.kind));
    w.EndObject();
  }
  w.EndArray().EndObject();
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse JaegerV3Api::FindTraces(const HttpRequest& req) {
  auto q = ParseV3Query(req, now_ns_());
  if (!q.ok()) return FromStatus(q.status());
  auto raw = ParseBoolParam(req, "query.raw_traces");
  if (!raw.ok()) return FromStatus(raw.status());
  q->timeout_ms = options_.timeout_ms;
  auto found = store_.FindTraces(*q);
  if (!found.ok()) return FromStatus(found.status());
  std::vector<model::TraceId> ids;
  for (const auto& t : found->traces) ids.push_back(t.trace_id);
  std::string array;
  JsonWriter w(&array);
  w.BeginArray();
  size_t written = 0;
  AssemblyOptions ao{options_.max_spans_per_trace, options_.adjust_clock_skew && !*raw};
  (void)LoadAssembledTraces(store_, ids, ao, options_.max_spans_per_search, options_.timeout_ms,
                            [&](const AssembledTrace& t) {
                              AppendOtlpResourceSpans(t.batch, w);
                              ++written;
                            });
  w.EndArray();
  if (written == 0) return V3Error(404, "No traces found");
  return ResultResponse(array);
}

HttpResponse JaegerV3Api::GetTrace(std::string_view id_hex, const HttpRequest& req) {
  auto id = model::TraceId::FromHex(id_hex);
  if (!id || id->IsZero())
    return V3Error(400, "trace_id: \"" + std::string(id_hex) + "\" is not a trace id (1 to 32 hex digits)");
  auto raw = ParseBoolParam(req, "raw_traces");
  if (!raw.ok()) return FromStatus(raw.status());
  AssemblyOptions ao{options_.max_spans_per_trace, options_.adjust_clock_skew && !*raw};
  auto trace = LoadAssembledTrace(store_, *id, ao);
  if (!trace.ok()) {
    if (trace.status().code() == Status::Code::kNotFound) return V3Error(404, "trace not found");
    return FromStatus(trace.status());
  }
  std::string array;
  JsonWriter w(&array);
  w.BeginArray();
  AppendOtlpResourceSpans(trace->batch, w);
  w.EndArray();
  return ResultResponse(array);
}

}  // namespace tracery::query
