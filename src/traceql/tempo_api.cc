#include "traceql/tempo_api.h"

#include <charconv>
#include <ctime>

#include "common/json_writer.h"
#include "ingest/otlp_protobuf.h"
#include "query/otlp_json_encoder.h"
#include "traceql/evaluator.h"
#include "traceql/lexer.h"
#include "traceql/parser.h"
#include "traceql/planner.h"

namespace tracery::traceql {
namespace {

constexpr std::string_view kIntrinsicTags[] = {"duration", "kind", "name", "rootName", "rootServiceName",
                                               "status", "statusMessage", "traceDuration"};

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

HttpResponse FromStatus(const Status& st) { return Text(st.HttpStatus(), st.message() + "\n"); }

void AppendString(std::string_view s, std::string* out) { AppendJsonString(out, s); }

// An OTLP JSON AnyValue object ({"stringValue":"x"}, {"intValue":"5"}, ...).
void AppendAnyValueJson(const model::AnyValue& v, std::string* out) {
  JsonWriter w(out);
  query::AppendOtlpAnyValue(v, w);
}

uint64_t NowUnixNanos() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

Result<uint64_t> ParseUint(const HttpRequest& req, std::string_view name, uint64_t fallback) {
  const std::string* v = req.Param(name);
  if (!v || v->empty()) return fallback;
  uint64_t out = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), out);
  if (r.ec != std::errc() || r.ptr != v->data() + v->size())
    return Status::InvalidArgument("invalid " + std::string(name) + ": expected a non-negative integer, got '" +
                                   *v + "'");
  return out;
}

// Go-style durations ("100ms", "1.5s", "1m30s") via the TraceQL lexer.
Result<uint64_t> ParseDurationParam(const HttpRequest& req, std::string_view name) {
  const std::string* v = req.Param(name);
  if (!v || v->empty()) return uint64_t{0};
  auto tokens = Tokenize(*v);
  if (!tokens.ok() || tokens->size() != 2 || (*tokens)[0].type != TokenType::kDuration || (*tokens)[0].int_value < 0)
    return Status::InvalidArgument("invalid " + std::string(name) + ": expected a duration such as 100ms, got '" +
                                   *v + "'");
  return static_cast<uint64_t>((*tokens)[0].int_value);
}

void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

bool IsInteger(std::string_view v) {
  int64_t x;
  auto r = std::from_chars(v.data(), v.data() + v.size(), x);
  return !v.empty() && r.ec == std::errc() && r.ptr == v.data() + v.size();
}

std::string_view TypeName(const model::AnyValue& v) {
  switch (v.type) {
    case model::AnyValue::Type::kString: return "string";
    case model::AnyValue::Type::kInt: return "int";
    case model::AnyValue::Type::kDouble: return "float";
    case model::AnyValue::Type::kBool: return "bool";
    default: return {};
  }
}

void AppendSpanJson(const model::SpanBatch& trace, const TraceIndex& index, uint32_t span,
                    const std::vector<const FieldExpr*>& fields, std::string* out) {
  const model::Span& s = trace.spans[span];
  *out += "{\"spanID\":\"" + s.span_id.ToHex() + "\",\"name\":";
  AppendString(s.name, out);
  *out += ",\"startTimeUnixNano\":\"" + std::to_string(s.start_time_unix_nano) + "\",\"durationNanos\":\"" +
          std::to_string(s.DurationNanos()) + "\",\"attributes\":[";
  bool first = true;
  for (const FieldExpr* f : fields) {
    if (f->op == FieldOp::kIntrinsic && (f->intrinsic == Intrinsic::kName || f->intrinsic == Intrinsic::kDuration))
      continue;  // already span fields
    Value v = ReadField(*f, index, span);
    if (v.type == Value::Type::kNil) continue;
    if (!first) out->push_back(',');
    first = false;
    *out += "{\"key\":";
    AppendString(f->op == FieldOp::kAttribute ? f->text : f->FieldName(), out);
    *out += ",\"value\":";
    AppendAnyValueJson(ValueToAnyValue(v), out);
    out->push_back('}');
  }
  *out += "]}";
}

void AppendSpansetJson(const model::SpanBatch& trace, const TraceIndex& index, const Spanset& set, size_t spss,
                       const std::vector<const FieldExpr*>& fields, std::string* out) {
  *out += "{\"spans\":[";
  for (size_t i = 0; i < set.spans.size() && i < spss; ++i) {
    if (i) out->push_back(',');
    AppendSpanJson(trace, index, set.spans[i], fields, out);
  }
  *out += "],\"matched\":" + std::to_string(set.spans.size());
  if (!set.attributes.empty()) {
    *out += ",\"attributes\":[";
    for (size_t i = 0; i < set.attributes.size(); ++i) {
      if (i) out->push_back(',');
      *out += "{\"key\":";
      AppendString(set.attributes[i].key, out);
      *out += ",\"value\":";
      AppendAnyValueJson(set.attributes[i].value, out);
      out->push_back('}');
    }
    out->push_back(']');
  }
  out->push_back('}');
}

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

}  // namespace

Result<std::string> TagsToTraceQL(std::string_view logfmt) {
  std::string q = "{";
  size_t i = 0, terms = 0;
  while (true) {
    while (i < logfmt.size() && (logfmt[i] == ' ' || logfmt[i] == '\t')) ++i;
    if (i >= logfmt.size()) break;
    size_t key_start = i;
    while (i < logfmt.size() && logfmt[i] != '=' && logfmt[i] != ' ') ++i;
    std::string_view key = logfmt.substr(key_start, i - key_start);
    if (key.empty() || i >= logfmt.size() || logfmt[i] != '=')
      return Status::InvalidArgument("invalid tags: expected key=value at position " + std::to_string(key_start + 1));
    ++i;
    std::string value;
    if (i < logfmt.size() && logfmt[i] == '"') {
      ++i;
      bool closed = false;
      while (i < logfmt.size()) {
        char c = logfmt[i++];
        if (c == '\\' && i < logfmt.size()) { value.push_back(logfmt[i++]); continue; }
        if (c == '"') { closed = true; break; }
        value.push_back(c);
      }
      if (!closed) return Status::InvalidArgument("invalid tags: unterminated quoted value for '" + std::string(key) + "'");
    } else {
      size_t v_start = i;
      while (i < logfmt.size() && logfmt[i] != ' ') ++i;
      value = std::string(logfmt.substr(v_start, i - v_start));
    }
    q += terms++ ? " && " : " ";
    if (key == "name") {
      q += "name = ";
      AppendQuoted(value, &q);
    } else if (key == "error" && value == "true") {
      q += "status = error";
    } else {
      q += ".";
      AppendQuoted(key, &q);
      q += " = ";
      if (IsInteger(value) || value == "true" || value == "false") q += value;
      else AppendQuoted(value, &q);
    }
  }
  q += terms ? " }" : "}";
  return q;
}

TempoApiHandler::TempoApiHandler(storage::SpanStore* store, TempoApiOptions options)
    : store_(store), options_(options) {}

std::optional<HttpResponse> TempoApiHandler::Handle(const HttpRequest& req) {
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  const std::string& p = req.path;
  const std::string* accept = req.Header("accept");
  const bool protobuf = accept && accept->find("application/protobuf") != std::string::npos;
  if (p == "/api/echo") return Text(200, "echo");
  if (p == "/api/status/buildinfo")
    return HttpResponse::Json(200,
                              "{\"version\":\"tracery-0.1.0\",\"revision\":\"\",\"branch\":\"\",\"buildUser\":\"\","
                              "\"buildDate\":\"\",\"goVersion\":\"\"}");
  if (p == "/api/search") return Search(req);
  if (p == "/api/search/tags") return TagNames(req, false);
  if (p == "/api/v2/search/tags") return TagNames(req, true);
  auto between = [&](std::string_view prefix, std::string_view suffix) -> std::optional<std::string> {
    if (p.size() > prefix.size() + suffix.size() && p.starts_with(prefix) && p.ends_with(suffix))
      return p.substr(prefix.size(), p.size() - prefix.size() - suffix.size());
    return std::nullopt;
  };
  if (auto tag = between("/api/search/tag/", "/values")) return TagValues(*tag, false);
  if (auto tag = between("/api/v2/search/tag/", "/values")) return TagValues(*tag, true);
  if (auto id = between("/api/v2/traces/", "")) return TraceById(*id, true, protobuf);
  if (auto id = between("/api/traces/", "")) {
    if (!protobuf) return std::nullopt;  // JSON at this path is the Jaeger API's
    return TraceById(*id, false, true);
  }
  return std::nullopt;
}

HttpResponse TempoApiHandler::Search(const HttpRequest& req) {
  std::string query_text;
  if (const std::string* q = req.Param("q"); q && !q->empty()) {
    query_text = *q;
  } else {
    auto from_tags = TagsToTraceQL(req.Param("tags") ? *req.Param("tags") : "");
    if (!from_tags.ok()) return FromStatus(from_tags.status());
    query_text = std::move(from_tags).value();
  }
  auto query = ParseTraceQL(query_text);
  if (!query.ok()) return FromStatus(query.status());

  SearchOptions opts;
  auto limit = ParseUint(req, "limit", 20);
  auto spss = ParseUint(req, "spss", options_.default_spans_per_spanset);
  auto start = ParseUint(req, "start", 0);
  auto end = ParseUint(req, "end", 0);
  auto min_d = ParseDurationParam(req, "minDuration");
  auto max_d = ParseDurationParam(req, "maxDuration");
  for (const Status* st : {&limit.status(), &spss.status(), &start.status(), &end.status(), &min_d.status(),
                           &max_d.status()})
    if (!st->ok()) return FromStatus(*st);
  if (*end != 0 && *start > *end) return Text(400, "invalid start: after end\n");
  if (*start > UINT64_MAX / 1'000'000'000ULL || *end > UINT64_MAX / 1'000'000'000ULL)
    return Text(400, "invalid start or end: expected unix seconds\n");
  if (*max_d != 0 && *min_d > *max_d) return Text(400, "invalid minDuration: greater than maxDuration\n");
  opts.limit = std::min<uint64_t>(*limit == 0 ? 20 : *limit, options_.max_limit);
  const size_t spans_per_set = *spss == 0 ? options_.default_spans_per_spanset : *spss;
  opts.start_time_min_ns = *start * 1'000'000'000ULL;
  opts.start_time_max_ns = *end == 0 ? UINT64_MAX : *end * 1'000'000'000ULL + 999'999'999ULL;
  opts.min_trace_duration_ns = *min_d;
  opts.max_trace_duration_ns = *max_d;
  opts.max_inspected_traces = options_.max_inspected_traces;
  opts.time_budget_ms = options_.search_time_budget_ms;

  auto result = SearchTraces(*store_, *query, opts);
  if (!result.ok()) return FromStatus(result.status());

  const std::vector<const FieldExpr*> fields = DisplayedFields(*query);
  std::string out = "{\"traces\":[";
  TraceIndex index;
  for (size_t t = 0; t < result->traces.size(); ++t) {
    const TraceMatch& m = result->traces[t];
    index.Build(m.trace);
    if (t) out.push_back(',');
    out += "{\"traceID\":\"" + m.summary.trace_id.ToHex() + "\",\"rootServiceName\":";
    AppendString(m.summary.root_service.empty() ? "<root span not yet received>" : m.summary.root_service, &out);
    out += ",\"rootTraceName\":";
    AppendString(m.summary.root_operation, &out);
    out += ",\"startTimeUnixNano\":\"" + std::to_string(m.summary.start_time_unix_nano) + "\",\"durationMs\":" +
           std::to_string(m.summary.DurationNanos() / 1'000'000) + ",\"spanSet\":";
    AppendSpansetJson(m.trace, index, m.spansets[0], spans_per_set, fields, &out);
    out += ",\"spanSets\":[";
    for (size_t s = 0; s < m.spansets.size(); ++s) {
      if (s) out.push_back(',');
      AppendSpansetJson(m.trace, index, m.spansets[s], spans_per_set, fields, &out);
    }
    out += "]}";
  }
  out += "],\"metrics\":{\"inspectedTraces\":" + std::to_string(result->inspected_traces) +
         ",\"inspectedBytes\":\"0\",\"completedJobs\":1,\"totalJobs\":1}}";
  return HttpResponse::Json(200, std::move(out));
}

HttpResponse TempoApiHandler::TraceById(const std::string& hex, bool v2, bool protobuf) {
  auto id = model::TraceId::FromHex(hex);
  if (!id || hex.empty()) return Text(400, "invalid trace id '" + hex + "': expected up to 32 hex digits\n");
  auto trace = store_->GetTrace(*id, options_.max_trace_spans);
  if (!trace.ok()) {
    if (trace.status().code() == Status::Code::kNotFound) return Text(404, "trace not found\n");
    return FromStatus(trace.status());
  }
  if (protobuf) {
    // An ExportTraceServiceRequest has the same field 1 (resource spans) as
    // TracesData, so its bytes are a TracesData.
    std::string bytes = ingest::EncodeOtlpProtobuf(*trace);
    HttpResponse r;
    r.content_type = "application/protobuf";
    if (v2) {
      // tempopb.TraceByIDResponse { Trace trace = 1; }, whose Trace has the
      // same field 1 (resource spans) as TracesData.
      r.body.push_back('\x0a');
      AppendVarint(bytes.size(), &r.body);
      r.body += bytes;
    } else {
      r.body = std::move(bytes);
    }
    return r;
  }
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("trace").BeginObject().Key("resourceSpans").BeginArray();
  query::AppendOtlpResourceSpans(*trace, w);
  w.EndArray().EndObject().EndObject();
  return HttpResponse::Json(200, std::move(out));
}

Result<std::shared_ptr<const TempoApiHandler::TagSnapshot>> TempoApiHandler::Tags() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    if (tags_ && now - tags_built_at_ < std::chrono::milliseconds(options_.tag_cache_ttl_ms)) return tags_;
  }
  // Built outside the lock; concurrent refreshes are harmless (last wins).
  auto snap = std::make_shared<TagSnapshot>();
  storage::TraceQuery q;
  const uint64_t now_ns = NowUnixNanos();
  q.start_time_min_ns = now_ns > options_.tag_lookback_ns ? now_ns - options_.tag_lookback_ns : 0;
  q.limit = options_.tag_sample_traces;
  q.timeout_ms = 5'000;
  auto found = store_->FindTraces(q);
  if (!found.ok()) return found.status();
  auto add = [&](std::map<std::string, ValueSet>& into, const model::KeyValue& kv) {
    std::string_view type = TypeName(kv.value);
    if (type.empty()) return;
    ValueSet& values = into[kv.key];
    if (values.size() < options_.max_tag_values) values.emplace(kv.value.ToString(), type);
  };
  for (const storage::TraceSummary& s : found->traces) {
    auto trace = store_->GetTrace(s.trace_id, 1000);
    if (!trace.ok()) continue;
    for (const model::Resource& r : trace->resources)
      for (const model::KeyValue& kv : r.attributes) add(snap->resource, kv);
    for (const model::Span& span : trace->spans) {
      for (const model::KeyValue& kv : span.attributes) add(snap->span, kv);
      if (snap->names.size() < options_.max_tag_values) snap->names.insert(span.name);
      if (!span.status_message.empty() && snap->status_messages.size() < options_.max_tag_values)
        snap->status_messages.insert(span.status_message);
    }
  }
  std::lock_guard lock(mu_);
  tags_ = snap;
  tags_built_at_ = now;
  return tags_;
}

HttpResponse TempoApiHandler::TagNames(const HttpRequest& req, bool v2) {
  auto tags = Tags();
  if (!tags.ok()) return FromStatus(tags.status());
  const TagSnapshot& t = **tags;
  auto append_names = [](const std::map<std::string, ValueSet>& m, std::string* out) {
    bool first = true;
    for (const auto& [k, v] : m) {
      if (!first) out->push_back(',');
      first = false;
      AppendString(k, out);
    }
  };
  if (!v2) {
    std::map<std::string, ValueSet> all = t.span;
    for (const auto& [k, v] : t.resource) all[k];
    std::string out = "{\"tagNames\":[";
    append_names(all, &out);
    out += "]}";
    return HttpResponse::Json(200, std::move(out));
  }
  const std::string* scope = req.Param("scope");
  std::string want = scope ? *scope : "";
  if (!want.empty() && want != "all" && want != "resource" && want != "span" && want != "intrinsic")
    return Text(400, "invalid scope '" + want + "': expected resource, span, intrinsic or all\n");
  std::string out = "{\"scopes\":[";
  bool first = true;
  auto scope_json = [&](std::string_view name, auto&& append_tags) {
    if (!want.empty() && want != "all" && want != name) return;
    if (!first) out.push_back(',');
    first = false;
    out += "{\"name\":\"" + std::string(name) + "\",\"tags\":[";
    append_tags();
    out += "]}";
  };
  scope_json("resource", [&] { append_names(t.resource, &out); });
  scope_json("span", [&] { append_names(t.span, &out); });
  scope_json("intrinsic", [&] {
    for (size_t i = 0; i < std::size(kIntrinsicTags); ++i) {
      if (i) out.push_back(',');
      AppendString(kIntrinsicTags[i], &out);
    }
  });
  out += "]}";
  return HttpResponse::Json(200, std::move(out));
}

HttpResponse TempoApiHandler::TagValues(const std::string& tag, bool v2) {
  auto tags = Tags();
  if (!tags.ok()) return FromStatus(tags.status());
  const TagSnapshot& t = **tags;
  ValueSet values;
  auto merge = [&](const std::map<std::string, ValueSet>& m, const std::string& key) {
    if (auto it = m.find(key); it != m.end()) values.insert(it->second.begin(), it->second.end());
  };
  if (!v2) {
    merge(t.span, tag);
    merge(t.resource, tag);
  } else if (tag.starts_with("span.")) {
    merge(t.span, tag.substr(5));
  } else if (tag.starts_with("resource.")) {
    merge(t.resource, tag.substr(9));
  } else if (tag.starts_with(".")) {
    merge(t.span, tag.substr(1));
    merge(t.resource, tag.substr(1));
  } else if (tag == "name" || tag == "rootName") {
    for (const std::string& n : t.names) values.emplace(n, "string");
  } else if (tag == "statusMessage") {
    for (const std::string& n : t.status_messages) values.emplace(n, "string");
  } else if (tag == "rootServiceName") {
    merge(t.resource, "service.name");
  } else if (tag == "status") {
    for (const char* v : {"error", "ok", "unset"}) values.emplace(v, "keyword");
  } else if (tag == "kind") {
    for (const char* v : {"client", "consumer", "internal", "producer", "server", "unspecified"})
      values.emplace(v, "keyword");
  } else if (tag == "duration" || tag == "traceDuration") {
    // durations have no enumerable values
  } else {
    return Text(400, "unknown tag '" + tag + "': use span." + tag + ", resource." + tag + ", ." + tag +
                         " or an intrinsic (name, status, kind, ...)\n");
  }
  std::string out = "{\"tagValues\":[";
  bool first = true;
  for (const auto& [value, type] : values) {
    if (!first) out.push_back(',');
    first = false;
    if (v2) {
      out += "{\"type\":\"" + type + "\",\"value\":";
      AppendString(value, &out);
      out.push_back('}');
    } else {
      AppendString(value, &out);
    }
  }
  out += "]}";
  return HttpResponse::Json(200, std::move(out));
}

}  // namespace tracery::traceql
