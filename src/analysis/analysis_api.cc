#include "analysis/analysis_api.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <memory>

#include "analysis/critical_path.h"
#include "analysis/flame_graph.h"
#include "analysis/heatmap.h"
#include "analysis/metrics_queries.h"
#include "analysis/trace_compare.h"
#include "analysis/trace_tree.h"
#include "common/json_writer.h"
#include "common/query_string.h"
#include "query/search_params.h"

namespace tracery::analysis {
namespace {

constexpr std::string_view kPrefix = "/api/analysis/";
constexpr uint64_t kNsPerUs = 1000;

uint64_t Us(double ns) { return ns <= 0 ? 0 : static_cast<uint64_t>(std::llround(ns / 1000.0)); }
uint64_t Us(uint64_t ns) { return (ns + 500) / 1000; }

HttpResponse ErrorResponse(const Status& st) {
  int code = st.HttpStatus();
  JsonWriter w(JsonWriter::NonFiniteDoubles::kAsZero);
  w.BeginObject().Key("data").Null().Key("errors").BeginArray();
  w.BeginObject().Key("code").Int(code).Key("msg").String(st.message()).EndObject();
  w.EndArray().EndObject();
  return HttpResponse::Json(code, w.Take());
}

// Wraps `data` (already JSON) in the envelope.
HttpResponse Ok(std::string data) { return HttpResponse::Json(200, "{\"data\":" + data + "}"); }

Result<uint64_t> ParseUint(std::string_view name, std::string_view text) {
  uint64_t v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || text.empty())
    return Status::InvalidArgument(std::string(name) + ": cannot parse \"" + std::string(text) + "\"");
  return v;
}

Result<uint64_t> DurationParam(const HttpRequest& req, std::string_view name, uint64_t def) {
  const std::string* v = req.Param(name);
  if (!v || v->empty()) return def;
  auto d = query::ParseDuration(*v);
  if (!d.ok() || *d == 0) return Status::InvalidArgument(std::string(name) + ": cannot parse \"" + *v + "\"");
  return *d;
}

struct Range {
  uint64_t start_ns = 0, end_ns = 0;
};

Result<Range> ParseRange(const HttpRequest& req, uint64_t now_ns) {
  Range r;
  r.end_ns = now_ns;
  if (const std::string* e = req.Param("end"); e && !e->empty()) {
    auto v = ParseUint("end", *e);
    if (!v.ok()) return v.status();
    if (*v > UINT64_MAX / kNsPerUs) return Status::InvalidArgument("end: out of range");
    r.end_ns = *v * kNsPerUs;
  }
  uint64_t lookback = 3600ULL * 1'000'000'000ULL;
  if (const std::string* l = req.Param("lookback"); l && !l->empty() && *l != "custom") {
    auto v = DurationParam(req, "lookback", lookback);
    if (!v.ok()) return v.status();
    lookback = *v;
  }
  r.start_ns = r.end_ns > lookback ? r.end_ns - lookback : 0;
  if (const std::string* s = req.Param("start"); s && !s->empty()) {
    auto v = ParseUint("start", *s);
    if (!v.ok()) return v.status();
    if (*v > UINT64_MAX / kNsPerUs) return Status::InvalidArgument("start: out of range");
    r.start_ns = *v * kNsPerUs;
  }
  if (r.end_ns <= r.start_ns) return Status::InvalidArgument("end: must be after start");
  return r;
}

Result<std::vector<double>> ParseQuantiles(const HttpRequest& req) {
  const std::string* p = req.Param("quantiles");
  if (!p || p->empty()) return std::vector<double>{0.5, 0.95, 0.99};
  std::vector<double> out;
  std::string_view s = *p;
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    double q = 0;
    auto r = std::from_chars(item.data(), item.data() + item.size(), q);
    if (r.ec != std::errc() || r.ptr != item.data() + item.size() || !(q >= 0 && q <= 1))
      return Status::InvalidArgument("quantiles: cannot parse \"" + std::string(item) + "\" (want numbers in [0,1])");
    out.push_back(q);
    if (out.size() > 20) return Status::InvalidArgument("quantiles: at most 20");
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

void WriteStats(JsonWriter& w, const RequestStats& s, double seconds) {
  w.Key("count").Uint(s.count);
  w.Key("rate_per_s").Double(seconds > 0 ? double(s.count) / seconds : 0);
  w.Key("errors").Uint(s.errors);
  w.Key("error_rate").Double(s.count ? double(s.errors) / double(s.count) : 0);
}
void WriteP50to99(JsonWriter& w, const LatencySketch& sk, bool with_p99 = true) {
  w.Key("p50_us").Uint(Us(sk.Quantile(0.5)));
  w.Key("p95_us").Uint(Us(sk.Quantile(0.95)));
  if (with_p99) w.Key("p99_us").Uint(Us(sk.Quantile(0.99)));
}

class Deadline {
 public:
  explicit Deadline(uint64_t budget_ms)
      : end_(std::chrono::steady_clock::now() + std::chrono::milliseconds(budget_ms)) {}
  bool Passed() const { return std::chrono::steady_clock::now() >= end_; }

 private:
  std::chrono::steady_clock::time_point end_;
};

// Traces loaded for analysis; each tree points into its batch.
struct LoadedTrace {
  std::unique_ptr<model::SpanBatch> batch;
  TraceTree tree;
};
struct Loaded {
  std::vector<LoadedTrace> traces;
  bool truncated = false;  // stopped by the time budget
};

class Request {
 public:
  Request(const AnalysisApiOptions& o, const HttpRequest& req) : o_(o), req_(req), now_ns_(o.clock_ns()) {}

  HttpResponse Route(std::string_view route) {
    if (route == "latency") return Latency();
    if (route == "red") return Red();
    if (route == "errors") return Errors();
    if (route == "service-map") return ServiceMapRoute();
    if (route.starts_with("critical-path/")) return CriticalPathRoute(route.substr(14));
    if (route == "bottlenecks") return Bottlenecks();
    if (route == "flamegraph") return FlameGraph();
    if (route == "heatmap") return HeatmapRoute();
    if (route == "compare/traces") return CompareTracesRoute();
    if (route == "compare/groups") return CompareGroupsRoute();
    return ErrorResponse(Status::NotFound("no analysis route " + std::string(route)));
  }

 private:
  Status NeedMetrics() const {
    return o_.metrics ? Status::Ok() : Status::Unavailable("span metrics are not enabled on this server");
  }
  Status NeedStore() const {
    if (!o_.store) return Status::Unavailable("no span store on this server");
    if (!o_.parse_search) return Status::Unavailable("trace search is not configured on this server");
    return Status::Ok();
  }

  HttpResponse Latency() {
    if (auto st = NeedMetrics(); !st.ok()) return ErrorResponse(st);
    auto range = ParseRange(req_, now_ns_);
    if (!range.ok()) return ErrorResponse(range.status());
    const std::string* service = req_.Param("service");
    if (!service || service->empty()) return ErrorResponse(Status::InvalidArgument("service: required"));
    std::optional<std::string> op;
    if (const std::string* p = req_.Param("operation"); p && !p->empty()) op = *p;
    auto step = DurationParam(req_, "step", DefaultStepNs(range->start_ns, range->end_ns));
    if (!step.ok()) return ErrorResponse(step.status());
    auto qs = ParseQuantiles(req_);
    if (!qs.ok()) return ErrorResponse(qs.status());
    auto series = QueryLatency(*o_.metrics, *service, op, range->start_ns, range->end_ns, *step);
    if (!series.ok()) return ErrorResponse(series.status());
    JsonWriter w(JsonWriter::NonFiniteDoubles::kAsZero);
    w.BeginObject().Key("service").String(*service).Key("operation");
    if (op) w.String(*op); else w.Null();
    w.Key("step_us").Uint(series->step_ns / kNsPerUs);
    w.Key("quantiles").BeginArray();
    for (double q : *qs) w.Double(q);
    w.EndArray();
    auto quantiles = [&](const LatencySketch& sk) {
      w.Key("quantiles_us").BeginArray();
      for (double q : *qs) w.Uint(Us(sk.Quantile(q)));
      w.EndArray();
    };
    const double step_s = double(series->step_ns) / 1e9;
    w.Key("series").BeginArray();
    for (const auto& p : series->points) {
      w.BeginObject().Key("ts_us").Uint(p.ts_ns / kNsPerUs);
      WriteStats(w, p.stats, step_s);
      quantiles(p.stats.latency_ns);
      w.EndObject();
    }
    w.EndArray();
    w.Key("overall").BeginObject();
    WriteStats(w, series->overall, double(range->end_ns - range->start_ns) / 1e9);
    quantiles(series->overall.latency_ns);
    w.EndObject().EndObject();
    return Ok(w.Take());
  }

  HttpResponse Red() {
    if (auto st = NeedMetrics(); !st.ok()) return ErrorResponse(st);
    auto range = ParseRange(req_, now_ns_);
    if (!range.ok()) return ErrorResponse(range.status());
    const std::string* service = req_.Param("service");
    auto rows = QueryRed(*o_.metrics, range->start_ns, range->end_ns, service ? *service : std::string());
    if (!rows.ok()) return ErrorResponse(rows.status());
    const double seconds = double(range->end_ns - range->start_ns) / 1e9;
    JsonWriter w(JsonWriter::NonFiniteDoubles::kAsZero);
    w.BeginArray();
    for (const auto& r : *rows) {
      w.BeginObject().Key("service").String(r.service).Key("operation").String(r.operation);
      WriteStats(w, r.stats, seconds);
      WriteP50to99(w, r.stats.latency_ns);
      w.EndObject();
    }
    w.EndArray();
    return Ok(w.Take());
  }

  HttpResponse Errors() {
    if (auto st = NeedMetrics(); !st.ok()) return ErrorResponse(st);
    auto range = ParseRange(req_, now_ns_);
    if (!range.ok()) return ErrorResponse(range.status());
    auto step = DurationParam(req_, "step", DefaultStepNs(range->start_ns, range->end_ns));
    if (!step.ok()) return ErrorResponse(step.status());
    const std::string* service = req_.Param("service");
    auto groups = QueryErrors(*o_.metrics, range->start_ns, range->end_ns, *step, service ? *service : std::string());
    if (!groups.ok()) return ErrorResponse(groups.status());
    JsonWriter w(JsonWriter::NonFiniteDoubles::kAsZero);
    w.BeginObject().Key("step_us").Uint(groups->step_ns / kNsPerUs).Key("groups").BeginArray();
    for (const auto& g : groups->groups) {
      w.BeginObject().Key("service").String(g.service).Key("operation").String(g.operation);
      w.Key("exception_type").String(g.exception_type).Key("message").String(g.message).Key("count").Uint(g.count);
      w.Key("series").BeginArray();
      for (const auto& [ts, n] : g.series) w.BeginObject().Key("ts_us").Uint(ts / kNsPerUs).Key("count").Uint(n).EndObject();
      w.EndArray().Key("example_trace_ids").BeginArray();
      for (const auto& id : g.example_trace_ids) w.String(id.ToHex());
      w.EndArray().EndObject();
    }
    w.EndArray().EndObject();
    return Ok(w.Take());
  }

  HttpResponse ServiceMapRoute() {
    if (auto st = NeedMetrics(); !st.ok()) return ErrorResponse(st);
    auto range = ParseRange(req_, now_ns_);
    if (!range.ok()) return ErrorResponse(range.status());
    auto map = QueryServiceMap(*o_.metrics, range->start_ns, range->end_ns);
    if (!map.ok()) return ErrorResponse(map.status());
    const double seconds = double(range->end_ns - range->start_ns) / 1e9;
    JsonWriter w(JsonWriter::NonFiniteDoubles::kAsZero);
    w.BeginObject().Key("nodes").BeginArray();
    for (const auto& n : map->nodes) {
      w.BeginObject().Key("id").String(n.id).Key("instrumented").Bool(n.instrumented);
      WriteStats(w, n.requests, seconds);
      WriteP50to99(w, n.requests.latency_ns);
      w.EndObject();
    }
    w.EndArray().Key("edges").BeginArray();
    for (const auto& e : map->edges) {
      w.BeginObject().Key("source").String(e.source).Key("target").String(e.target);
      w.Key("calls").Uint(e.calls.count).Key("errors").Uint(e.calls.errors);
      WriteP50to99(w, e.calls.latency_ns, /*with_p99=*/false);
      w.EndObject();
    }
    w.EndArray().Key("instrumented_share").Double(map->instrumented_share).EndObject();
    return Ok(w.Take());
  }

  Result<LoadedTrace> LoadOne(std::string_view hex, std::string_view param) {
    auto id = model::TraceId::FromHex(hex);
    if (!id || hex.empty())
      return Status::InvalidArgument(std::string(param) + ": \"" + std::string(hex) + "\" is not a hex trace id");
    auto batch = o_.store->GetTrace(*id, o_.max_spans_per_trace);
    if (!batch.ok()) return batch.status();
    LoadedTrace t;
    t.batch = std::make_unique<model::SpanBatch>(std::move(batch).value());
    t.tree = TraceTree::Build(*t.batch);
    return t;
  }

  // Runs the search in `req` and loads the matching traces, bounded.
  Result<Loaded> LoadSearch(const HttpRequest& req) {
    auto q = o_.parse_search(req, now_ns_);
    if (!q.ok()) return q.status();
    storage::TraceQuery query = std::move(q).value();
    size_t want = o_.default_traces;
    if (req.Param("limit")) want = query.limit;
    want = std::clamp<size_t>(want, 1, o_.max_traces);
    query.timeout_ms = o_.time_budget_ms;
    Deadline deadline(o_.time_budget_ms);
    Loaded out;
    std::vector<model::TraceId> ids;
    while (ids.size() < want) {
      query.limit = want - ids.size();
      auto found = o_.store->FindTraces(query);
      if (!found.ok()) {
        if (found.status().code() == Status::Code::kDeadlineExceeded && !ids.empty()) {
          out.truncated = true;
          break;
        }
        return found.status();
      }
      for (const auto& t : found->traces) ids.push_back(t.trace_id);
      if (found->next_cursor.empty() || found->traces.empty()) break;
      query.cursor = found->next_cursor;
    }
    for (const auto& id : ids) {
      if (deadline.Passed()) {
        out.truncated = true;
        break;
      }
      auto batch = o_.store->GetTrace(id, o_.max_spans_per_trace);
      if (!batch.ok()) {
        if (batch.status().code() == Status::Code::kNotFound) continue;  // expired meanwhile
        return batch.status();
      }
      LoadedTrace t;
      t.batch = std::make_unique<model::SpanBatch>(std::move(batch).value());
      t.tree = TraceTree::Build(*t.batch);
      out.traces.push_back(std::move(t));
    }
    return out;
  }

  HttpResponse CriticalPathRoute(std::string_view hex) {
    if (!o_.store) return ErrorResponse(Status::Unavailable("no span store on this server"));
    auto t = LoadOne(hex, "traceID");
    if (!t.ok()) return ErrorResponse(t.status());
    const TraceTree& tree = t->tree;
    auto path = ComputeCriticalPath(tree);
    JsonWriter w(JsonWriter::NonFiniteDoubles::kAsZero);
    w.BeginObject().Key("trace_id").String(t->batch->spans.front().trace_id.ToHex());
    w.Key("total_us").Uint(Us(path.total_ns)).Key("path").BeginArray();
    for (const auto& seg : path.segments) {
      const auto& n = tree.nodes()[seg.node];
      w.BeginObject().Key("span_id").String(n.span->span_id.ToHex()).Key("service").String(n.service);
      w.Key("operation").String(n.span->name).Key("start_us").Uint(seg.start_ns / kNsPerUs);
      w.Key("end_us").Uint(seg.end_ns / kNsPerUs).Key("self_us").Uint(Us(seg.end_ns - seg.start_ns)).EndObject();
    }
    w.EndArray().Key("spans").BeginArray();
    for (uint32_t i : tree.preorder()) {
      const auto& n = tree.nodes()[i];
      w.BeginObject().Key("span_id").String(n.span->span_id.ToHex()).Key("self_us").Uint(Us(n.self_ns));
      w.Key("critical_us").Uint(Us(path.critical_ns[i])).EndObject();
    }
    w.EndArray().EndObject();
    return Ok(w.Take());
  }

  HttpResponse Bottlenecks() {
    if (auto st = NeedStore(); !st.ok()) return ErrorResponse(st);
    auto loaded = LoadSearch(req_);
    if (!loaded.ok()) return ErrorResponse(loaded.status());
    BottleneckAccumulator acc;
    for (const auto& t : loaded->traces) acc.Add(t.tree, ComputeCriticalPath(t.tree));
    JsonWriter w(JsonWriter::NonFiniteDoubles::kAsZero);
    w.BeginObject().Key("traces").Uint(acc.traces()).Key("truncated").Bool(loaded->truncated);
    w.Key("operations").BeginArray();
    for (const auto& r : acc.Ranked()) {
      w.BeginObject().Key("service").String(r.service).Key("operation").String(r.operation);
      w.Key("critical_us_total").Uint(Us(r.critical_ns_total));
      w.Key("critical_us_mean").Double(acc.traces() ? double(r.critical_ns_total) / 1000.0 / double(acc.traces()) : 0);
      w.Key("share").Double(r.share);
      w.Key("self_us_mean").Double(r.spans ? double(r.self_ns_total) / 1000.0 / double(r.spans) : 0);
      w.EndObject();
    }
    w.EndArray().EndObject();
    return Ok(w.Take());
  }

  static void WriteFlame(JsonWriter& w, const FlameNode& root) {
    // Iterative: a deep call tree must not overflow the stack.
    struct Item {
      const FlameNode* node;
      size_t next_child;
    };
    std::vector<Item> stack;
    auto open = [&](const FlameNode& n) {
      w.BeginObject().Key("service").String(n.service).Key("operation").String(n.operation);
      w.Key("total_us").Uint(Us(n.total_ns)).Key("self_us").Uint(Us(n.self_ns)).Key("count").Uint(n.count);
      w.Key("children").BeginArray();
      stack.push_back({&n, 0});
    };
    open(root);
    while (!stack.empty()) {
      Item& it = stack.back();
      if (it.next_child < it.node->children.size()) {
        open(it.node->children[it.next_child++]);
      } else {
        w.EndArray().EndObject();
        stack.pop_back();
      }
    }
  }

  HttpResponse FlameGraph() {
    FlameGraphBuilder fg;
    bool truncated = false;
    if (const std::string* id = req_.Param("traceID"); id && !id->empty()) {
      if (!o_.store) return ErrorResponse(Status::Unavailable("no span store on this server"));
      auto t = LoadOne(*id, "traceID");
      if (!t.ok()) return ErrorResponse(t.status());
      fg.AddTrace(t->tree);
    } else {
      if (auto st = NeedStore(); !st.ok()) return ErrorResponse(st);
      auto loaded = LoadSearch(req_);
      if (!loaded.ok()) return ErrorResponse(loaded.status());
      for (const auto& t : loaded->traces) fg.AddTrace(t.tree);
      truncated = loaded->truncated;
    }
    JsonWriter w(JsonWriter::NonFiniteDoubles::kAsZero);
    w.BeginObject().Key("traces").Uint(fg.traces()).Key("truncated").Bool(truncated).Key("root");
    WriteFlame(w, fg.Build());
    w.EndObject();
    return Ok(w.Take());
  }

  HttpResponse HeatmapRoute() {
    if (auto st = NeedStore(); !st.ok()) return ErrorResponse(st);
    auto range = ParseRange(req_, now_ns_);
    if (!range.ok()) return ErrorResponse(range.status());
    auto step = DurationParam(req_, "step", DefaultStepNs(range->start_ns, range->end_ns));
    if (!step.ok()) return ErrorResponse(step.status());
    uint64_t buckets = 40;
    if (const std::string* b = req_.Param("buckets"); b && !b->empty()) {
      auto v = ParseUint("buckets", *b);
      if (!v.ok()) return ErrorResponse(v.status());
      buckets = *v;
    }
    if (buckets < 1 || buckets > 200) return ErrorResponse(Status::InvalidArgument("buckets: must be between 1 and 200"));
    bool trace_level = false;
    if (const std::string* l = req_.Param("level"); l && !l->empty()) {
      if (*l == "trace") trace_level = true;
      else if (*l != "span") return ErrorResponse(Status::InvalidArgument("level: must be span or trace"));
    }
    auto q = o_.parse_search(req_, now_ns_);
    if (!q.ok()) return ErrorResponse(q.status());
    // Spans counted at span level: those matching the search's first span
    // condition (service, operation, kind, duration), else every span.
    std::optional<storage::SpanCondition> cond;
    if (!q->span_conditions.empty()) cond = q->span_conditions.front();
    auto loaded = LoadSearch(req_);
    if (!loaded.ok()) return ErrorResponse(loaded.status());
    std::vector<HeatmapPoint> points;
    for (const auto& t : loaded->traces) {
      if (trace_level) {
        points.push_back({t.tree.start_ns(), t.tree.end_ns() - t.tree.start_ns()});
        continue;
      }
      for (const auto& n : t.tree.nodes()) {
        const model::Span& s = *n.span;
        if (cond) {
          if (!cond->service.empty() && n.service != cond->service) continue;
          if (!cond->operation.empty() && s.name != cond->operation) continue;
          if (cond->kind && s.kind != *cond->kind) continue;
          if (cond->min_duration_ns && s.DurationNanos() < cond->min_duration_ns) continue;
          if (cond->max_duration_ns && s.DurationNanos() > cond->max_duration_ns) continue;
          if (cond->error_only && s.status_code != model::StatusCode::kError) continue;
        }
        points.push_back({s.start_time_unix_nano, s.DurationNanos()});
      }
    }
    auto h = BuildHeatmap(points, range->start_ns, range->end_ns, *step, static_cast<int>(buckets));
    if (!h.ok()) return ErrorResponse(h.status());
    JsonWriter w(JsonWriter::NonFiniteDoubles::kAsZero);
    w.BeginObject().Key("start_us").Uint(h->start_ns / kNsPerUs).Key("step_us").Uint(h->step_ns / kNsPerUs);
    w.Key("traces").Uint(loaded->traces.size()).Key("truncated").Bool(loaded->truncated);
    w.Key("bucket_bounds_us").BeginArray();
    for (double b : h->bucket_bounds_us) w.Double(b);
    w.EndArray().Key("columns").BeginArray();
    for (const auto& c : h->columns) {
      w.BeginObject().Key("ts_us").Uint(c.ts_ns / kNsPerUs).Key("counts").BeginArray();
      for (uint64_t n : c.counts) w.Uint(n);
      w.EndArray().EndObject();
    }
    w.EndArray().Key("max_count").Uint(h->max_count).EndObject();
    return Ok(w.Take());
  }

  HttpResponse CompareTracesRoute() {
    if (!o_.store) return ErrorResponse(Status::Unavailable("no span store on this server"));
    const std::string* a = req_.Param("a");
    const std::string* b = req_.Param("b");
    if (!a || !b) return ErrorResponse(Status::InvalidArgument("a, b: two trace ids are required"));
    auto ta = LoadOne(*a, "a");
    if (!ta.ok()) return ErrorResponse(ta.status());
    auto tb = LoadOne(*b, "b");
    if (!tb.ok()) return ErrorResponse(tb.status());
    auto diff = CompareTraces(ta->tree, tb->tree);
    JsonWriter w(JsonWriter::NonFiniteDoubles::kAsZero);
    w.BeginObject();
    for (auto* t : {&ta.value(), &tb.value()}) {
      w.Key(t == &ta.value() ? "a" : "b").BeginObject();
      w.Key("trace_id").String(t->batch->spans.front().trace_id.ToHex());
      w.Key("duration_us").Uint(Us(t->tree.end_ns() - t->tree.start_ns()));
      w.Key("span_count").Uint(t->tree.nodes().size()).EndObject();
    }
    w.Key("operations").BeginArray();
    for (const auto& d : diff) {
      w.BeginObject().Key("path").String(d.path).Key("service").String(d.service).Key("operation").String(d.operation);
      w.Key("status").String(PathDiffStatusName(d.status)).Key("a_count").Uint(d.a_count).Key("b_count").Uint(d.b_count);
      w.Key("a_us").Uint(Us(d.a_ns)).Key("b_us").Uint(Us(d.b_ns));
      w.Key("delta_us").Int(d.delta_ns >= 0 ? int64_t(Us(uint64_t(d.delta_ns))) : -int64_t(Us(uint64_t(-d.delta_ns))));
      w.EndObject();
    }
    w.EndArray().EndObject();
    return Ok(w.Take());
  }

  HttpResponse CompareGroupsRoute() {
    if (auto st = NeedStore(); !st.ok()) return ErrorResponse(st);
    GroupProfile profiles[2];
    bool truncated = false;
    const char* names[2] = {"a", "b"};
    for (int g = 0; g < 2; ++g) {
      const std::string* qs = req_.Param(names[g]);
      if (!qs) return ErrorResponse(Status::InvalidArgument(std::string(names[g]) + ": a search query string is required"));
      auto pairs = ParseQueryStringStrict(*qs);
      if (!pairs.ok())
        return ErrorResponse(Status::InvalidArgument(std::string(names[g]) + ": " + pairs.status().message()));
      HttpRequest sub;
      sub.method = "GET";
      sub.path = "/api/traces";
      sub.query = std::move(pairs).value();
      auto loaded = LoadSearch(sub);
      if (!loaded.ok())
        return ErrorResponse(Status(loaded.status().code(), std::string(names[g]) + ": " + loaded.status().message()));
      truncated |= loaded->truncated;
      for (const auto& t : loaded->traces) profiles[g].AddTrace(t.tree);
    }
    auto cmp = CompareGroups(profiles[0], profiles[1]);
    JsonWriter w(JsonWriter::NonFiniteDoubles::kAsZero);
    w.BeginObject();
    for (int g = 0; g < 2; ++g) {
      w.Key(names[g]).BeginObject().Key("traces").Uint(profiles[g].traces());
      w.Key("p50_us").Uint(Us(profiles[g].P50TraceNs())).EndObject();
    }
    w.Key("truncated").Bool(truncated).Key("operations").BeginArray();
    for (const auto& o : cmp.operations) {
      w.BeginObject().Key("service").String(o.service).Key("operation").String(o.operation);
      w.Key("a_share").Double(o.a_share).Key("b_share").Double(o.b_share);
      w.Key("a_p50_us").Uint(Us(o.a_p50_ns)).Key("b_p50_us").Uint(Us(o.b_p50_ns)).Key("score").Double(o.score);
      w.EndObject();
    }
    w.EndArray().Key("attributes").BeginArray();
    for (const auto& a : cmp.attributes) {
      w.BeginObject().Key("key").String(a.key).Key("value").String(a.value);
      w.Key("a_share").Double(a.a_share).Key("b_share").Double(a.b_share).Key("score").Double(a.score).EndObject();
    }
    w.EndArray().EndObject();
    return Ok(w.Take());
  }

  const AnalysisApiOptions& o_;
  const HttpRequest& req_;
  const uint64_t now_ns_;
};

}  // namespace

AnalysisApi::AnalysisApi(AnalysisApiOptions options) : options_(std::move(options)) {
  if (!options_.clock_ns) {
    options_.clock_ns = [] {
      return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    };
  }
}

std::optional<HttpResponse> AnalysisApi::Handle(const HttpRequest& req) {
  std::string_view path = req.path;
  if (!path.starts_with(kPrefix)) return std::nullopt;
  if (req.method != "GET") {
    HttpResponse r = ErrorResponse(Status::InvalidArgument("method " + req.method + " not allowed; use GET"));
    r.status = 405;
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  path.remove_prefix(kPrefix.size());
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  Request r(options_, req);
  return r.Route(path);
}

}  // namespace tracery::analysis
