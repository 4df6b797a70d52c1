#include "analysis/testing/in_memory_span_store.h"

#include <algorithm>
#include <map>
#include <set>

namespace tracery::analysis::testing {
namespace {

bool TagMatches(const model::SpanBatch& b, const model::Span& s, const storage::TagFilter& t) {
  if (t.key == "error") return (s.status_code == model::StatusCode::kError) == (t.value == "true");
  if (t.key == "span.kind") return model::SpanKindName(s.kind) == t.value;
  auto match = [&](const model::Attributes& attrs) {
    for (const auto& kv : attrs)
      if (kv.key == t.key && kv.value.ToString() == t.value) return true;
    return false;
  };
  if (match(s.attributes) || match(b.ResourceOf(s).attributes)) return true;
  for (const auto& e : s.events)
    if (match(e.attributes)) return true;
  return false;
}

bool SpanMatches(const model::SpanBatch& b, const model::Span& s, const storage::SpanCondition& c) {
  if (!c.service.empty() && b.ServiceOf(s) != c.service) return false;
  if (!c.operation.empty() && s.name != c.operation) return false;
  if (c.kind && s.kind != *c.kind) return false;
  if (c.min_duration_ns && s.DurationNanos() < c.min_duration_ns) return false;
  if (c.max_duration_ns && s.DurationNanos() > c.max_duration_ns) return false;
  if (c.error_only && s.status_code != model::StatusCode::kError) return false;
  for (const auto& t : c.tags)
    if (!TagMatches(b, s, t)) return false;
  return true;
}

}  // namespace

Status InMemorySpanStore::Write(const model::SpanBatch& batch) {
  std::lock_guard<std::mutex> g(mu_);
  for (const auto& s : batch.spans) all_.AppendFrom(batch, s);
  return Status::Ok();
}

Result<model::SpanBatch> InMemorySpanStore::GetTrace(const model::TraceId& id, size_t max_spans) {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<const model::Span*> spans;
  for (const auto& s : all_.spans)
    if (s.trace_id == id) spans.push_back(&s);
  if (spans.empty()) return Status::NotFound("trace " + id.ToHex() + " not found");
  std::stable_sort(spans.begin(), spans.end(), [](auto* a, auto* b) { return a->start_time_unix_nano < b->start_time_unix_nano; });
  if (spans.size() > max_spans) spans.resize(max_spans);
  model::SpanBatch out;
  for (const auto* s : spans) out.AppendFrom(all_, *s);
  return out;
}

Result<storage::FindResult> InMemorySpanStore::FindTraces(const storage::TraceQuery& q) {
  std::lock_guard<std::mutex> g(mu_);
  std::map<model::TraceId, std::vector<const model::Span*>> traces;
  for (const auto& s : all_.spans) traces[s.trace_id].push_back(&s);
  storage::FindResult out;
  for (const auto& [id, spans] : traces) {
    storage::TraceSummary sum;
    sum.trace_id = id;
    sum.start_time_unix_nano = UINT64_MAX;
    const model::Span* root = nullptr;
    for (const auto* s : spans) {
      sum.start_time_unix_nano = std::min(sum.start_time_unix_nano, s->start_time_unix_nano);
      sum.end_time_unix_nano = std::max(sum.end_time_unix_nano, s->end_time_unix_nano);
      sum.error_count += s->status_code == model::StatusCode::kError;
      if (s->parent_span_id.IsZero() && (!root || s->start_time_unix_nano < root->start_time_unix_nano)) root = s;
    }
    if (!root) root = *std::min_element(spans.begin(), spans.end(), [](auto* a, auto* b) { return a->start_time_unix_nano < b->start_time_unix_nano; });
    sum.root_service = std::string(all_.ServiceOf(*root));
    sum.root_operation = root->name;
    sum.span_count = static_cast<uint32_t>(spans.size());
    if (sum.start_time_unix_nano < q.start_time_min_ns || sum.start_time_unix_nano > q.start_time_max_ns) continue;
    if (q.min_trace_duration_ns && sum.DurationNanos() < q.min_trace_duration_ns) continue;
    if (q.max_trace_duration_ns && sum.DurationNanos() > q.max_trace_duration_ns) continue;
    bool ok = true;
    for (const auto& c : q.span_conditions) {
      bool any = std::any_of(spans.begin(), spans.end(), [&](auto* s) { return SpanMatches(all_, *s, c); });
      if (!any) { ok = false; break; }
    }
    if (ok) out.traces.push_back(sum);
  }
  auto cmp = [&](const storage::TraceSummary& a, const storage::TraceSummary& b) {
    switch (q.order) {
      case storage::TraceOrder::kLongestFirst: return a.DurationNanos() > b.DurationNanos();
      case storage::TraceOrder::kShortestFirst: return a.DurationNanos() < b.DurationNanos();
      default: return a.start_time_unix_nano > b.start_time_unix_nano;
    }
  };
  std::stable_sort(out.traces.begin(), out.traces.end(), cmp);
  if (out.traces.size() > q.limit) out.traces.resize(q.limit);
  return out;
}

Result<std::vector<std::string>> InMemorySpanStore::GetServices() {
  std::lock_guard<std::mutex> g(mu_);
  std::set<std::string> s;
  for (const auto& sp : all_.spans) s.emplace(all_.ServiceOf(sp));
  return std::vector<std::string>(s.begin(), s.end());
}

Result<std::vector<storage::Operation>> InMemorySpanStore::GetOperations(const std::string& service,
                                                                         std::optional<model::SpanKind> kind) {
  std::lock_guard<std::mutex> g(mu_);
  std::set<std::pair<std::string, model::SpanKind>> ops;
  for (const auto& sp : all_.spans)
    if (all_.ServiceOf(sp) == service && (!kind || sp.kind == *kind)) ops.emplace(sp.name, sp.kind);
  std::vector<storage::Operation> out;
  for (const auto& [n, k] : ops) out.push_back({n, k});
  return out;
}

Result<std::vector<storage::DependencyLink>> InMemorySpanStore::GetDependencies(uint64_t start_ns, uint64_t end_ns) {
  std::lock_guard<std::mutex> g(mu_);
  std::map<std::pair<model::TraceId, uint64_t>, const model::Span*> by_id;
  for (const auto& s : all_.spans) by_id[{s.trace_id, s.span_id.value}] = &s;
  std::map<std::pair<std::string, std::string>, storage::DependencyLink> links;
  for (const auto& s : all_.spans) {
    if (s.start_time_unix_nano < start_ns || s.start_time_unix_nano >= end_ns || s.parent_span_id.IsZero()) continue;
    auto it = by_id.find({s.trace_id, s.parent_span_id.value});
    if (it == by_id.end()) continue;
    std::string parent(all_.ServiceOf(*it->second)), child(all_.ServiceOf(s));
    if (parent == child) continue;
    auto& l = links[{parent, child}];
    l.parent = parent;
    l.child = child;
    ++l.call_count;
    l.error_count += s.status_code == model::StatusCode::kError;
  }
  std::vector<storage::DependencyLink> out;
  for (auto& [k, v] : links) out.push_back(v);
  return out;
}

Status InMemorySpanStore::ScanSpans(uint64_t start_ns, uint64_t end_ns,
                                    const std::function<bool(const model::SpanBatch&)>& fn) {
  std::map<model::TraceId, model::SpanBatch> groups;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (const auto& s : all_.spans)
      if (s.start_time_unix_nano >= start_ns && s.start_time_unix_nano < end_ns) groups[s.trace_id].AppendFrom(all_, s);
  }
  for (const auto& [id, batch] : groups)
    if (!fn(batch)) break;
  return Status::Ok();
}

storage::StoreStats InMemorySpanStore::Stats() {
  std::lock_guard<std::mutex> g(mu_);
  storage::StoreStats st;
  st.spans_written = st.spans_stored = st.memtable_spans = all_.spans.size();
  return st;
}

}  // namespace tracery::analysis::testing
