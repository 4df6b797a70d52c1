#include "query/testing/memory_span_store.h"

#include <algorithm>
#include <map>
#include <set>

namespace tracery::query::testing {

using model::SpanBatch;
using model::TraceId;

namespace {

bool MatchesTag(const SpanBatch& b, const model::Span& s, const storage::TagFilter& t) {
  if (t.key == "error") return (s.status_code == model::StatusCode::kError) == (t.value == "true");
  if (t.key == "span.kind") return model::SpanKindName(s.kind) == t.value;
  auto in = [&](const model::Attributes& attrs) {
    for (const auto& kv : attrs)
      if (kv.key == t.key && kv.value.ToString() == t.value) return true;
    return false;
  };
  if (in(s.attributes) || in(b.ResourceOf(s).attributes)) return true;
  for (const auto& e : s.events)
    if (in(e.attributes)) return true;
  return false;
}

bool Matches(const SpanBatch& b, const model::Span& s, const storage::SpanCondition& c) {
  if (!c.service.empty() && b.ServiceOf(s) != c.service) return false;
  if (!c.operation.empty() && s.name != c.operation) return false;
  if (c.kind && s.kind != *c.kind) return false;
  if (c.min_duration_ns && s.DurationNanos() < c.min_duration_ns) return false;
  if (c.max_duration_ns && s.DurationNanos() > c.max_duration_ns) return false;
  if (c.error_only && s.status_code != model::StatusCode::kError) return false;
  for (const auto& t : c.tags)
    if (!MatchesTag(b, s, t)) return false;
  return true;
}

}  // namespace

Status MemorySpanStore::Write(const SpanBatch& batch) {
  std::lock_guard lock(mu_);
  for (const auto& s : batch.spans) all_.AppendFrom(batch, s);
  return Status::Ok();
}

Result<SpanBatch> MemorySpanStore::GetTrace(const TraceId& id, size_t max_spans) {
  std::lock_guard lock(mu_);
  ++get_trace_calls_;
  std::vector<const model::Span*> found;
  for (const auto& s : all_.spans)
    if (s.trace_id == id) found.push_back(&s);
  if (found.empty()) return Status::NotFound("trace " + id.ToHex() + " not found");
  std::stable_sort(found.begin(), found.end(), [](auto* a, auto* b) {
    return a->start_time_unix_nano < b->start_time_unix_nano;
  });
  if (found.size() > max_spans) found.resize(max_spans);
  SpanBatch out;
  for (auto* s : found) out.AppendFrom(all_, *s);
  return out;
}

Result<storage::FindResult> MemorySpanStore::FindTraces(const storage::TraceQuery& q) {
  std::lock_guard lock(mu_);
  last_query_ = q;
  std::map<TraceId, std::vector<const model::Span*>> traces;
  for (const auto& s : all_.spans) traces[s.trace_id].push_back(&s);
  std::vector<storage::TraceSummary> matched;
  for (const auto& [id, spans] : traces) {
    storage::TraceSummary sum;
    sum.trace_id = id;
    sum.start_time_unix_nano = UINT64_MAX;
    const model::Span* root = nullptr;
    for (auto* s : spans) {
      sum.start_time_unix_nano = std::min(sum.start_time_unix_nano, s->start_time_unix_nano);
      sum.end_time_unix_nano = std::max(sum.end_time_unix_nano, s->end_time_unix_nano);
      ++sum.span_count;
      if (s->status_code == model::StatusCode::kError) ++sum.error_count;
      if (s->parent_span_id.IsZero() && !root) root = s;
    }
    if (!root)
      root = *std::min_element(spans.begin(), spans.end(), [](auto* a, auto* b) {
        return a->start_time_unix_nano < b->start_time_unix_nano;
      });
    sum.root_service = std::string(all_.ServiceOf(*root));
    sum.root_operation = root->name;
    if (sum.start_time_unix_nano < q.start_time_min_ns || sum.start_time_unix_nano > q.start_time_max_ns)
      continue;
    if (q.min_trace_duration_ns && sum.DurationNanos() < q.min_trace_duration_ns) continue;
    if (q.max_trace_duration_ns && sum.DurationNanos() > q.max_trace_duration_ns) continue;
    bool all = true;
    for (const auto& c : q.span_conditions) {
      bool any = false;
      for (auto* s : spans)
        if (Matches(all_, *s, c)) { any = true; break; }
      if (!any) { all = false; break; }
    }
    if (all) matched.push_back(sum);
  }
  auto key_less = [&](const storage::TraceSummary& a, const storage::TraceSummary& b) {
    switch (q.order) {
      case storage::TraceOrder::kLongestFirst:
        if (a.DurationNanos() != b.DurationNanos()) return a.DurationNanos() > b.DurationNanos();
        break;
      case storage::TraceOrder::kShortestFirst:
        if (a.DurationNanos() != b.DurationNanos()) return a.DurationNanos() < b.DurationNanos();
        break;
      case storage::TraceOrder::kMostRecent:
        if (a.start_time_unix_nano != b.start_time_unix_nano)
          return a.start_time_unix_nano > b.start_time_unix_nano;
        break;
    }
    return a.trace_id < b.trace_id;
  };
  std::sort(matched.begin(), matched.end(), key_less);
  // The cursor is the hex id of the last trace of the previous page.
  size_t begin = 0;
  if (!q.cursor.empty()) {
    auto id = TraceId::FromHex(q.cursor);
    if (!id) return Status::InvalidArgument("cursor: not a cursor this store issued");
    for (size_t i = 0; i < matched.size(); ++i)
      if (matched[i].trace_id == *id) begin = i + 1;
  }
  storage::FindResult out;
  for (size_t i = begin; i < matched.size() && out.traces.size() < q.limit; ++i)
    out.traces.push_back(matched[i]);
  if (begin + out.traces.size() < matched.size() && !out.traces.empty())
    out.next_cursor = out.traces.back().trace_id.ToHex();
  return out;
}

Result<std::vector<std::string>> MemorySpanStore::GetServices() {
  std::lock_guard lock(mu_);
  std::set<std::string> names;
  for (const auto& s : all_.spans) names.emplace(all_.ServiceOf(s));
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<storage::Operation>> MemorySpanStore::GetOperations(
    const std::string& service, std::optional<model::SpanKind> kind) {
  std::lock_guard lock(mu_);
  std::set<std::pair<std::string, model::SpanKind>> ops;
  for (const auto& s : all_.spans) {
    if (all_.ServiceOf(s) != service) continue;
    if (kind && s.kind != *kind) continue;
    ops.emplace(s.name, s.kind);
  }
  std::vector<storage::Operation> out;
  for (const auto& [n, k] : ops) out.push_back({n, k});
  return out;
}

Result<std::vector<storage::DependencyLink>> MemorySpanStore::GetDependencies(uint64_t start_ns,
                                                                              uint64_t end_ns) {
  std::lock_guard lock(mu_);
  std::map<std::pair<TraceId, uint64_t>, const model::Span*> by_id;
  for (const auto& s : all_.spans) by_id[{s.trace_id, s.span_id.value}] = &s;
  std::map<std::pair<std::string, std::string>, storage::DependencyLink> links;
  for (const auto& s : all_.spans) {
    if (s.start_time_unix_nano < start_ns || s.start_time_unix_nano >= end_ns) continue;
    if (s.parent_span_id.IsZero()) continue;
    auto it = by_id.find({s.trace_id, s.parent_span_id.value});
    if (it == by_id.end()) continue;
    std::string parent(all_.ServiceOf(*it->second)), child(all_.ServiceOf(s));
    if (parent == child) continue;
    auto& l = links[{parent, child}];
    l.parent = parent;
    l.child = child;
    ++l.call_count;
    if (s.status_code == model::StatusCode::kError) ++l.error_count;
  }
  std::vector<storage::DependencyLink> out;
  for (auto& [k, l] : links) out.push_back(l);
  return out;
}

Status MemorySpanStore::ScanSpans(uint64_t start_ns, uint64_t end_ns,
                                  const std::function<bool(const SpanBatch&)>& fn) {
  std::map<TraceId, SpanBatch> groups;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : all_.spans)
      if (s.start_time_unix_nano >= start_ns && s.start_time_unix_nano < end_ns)
        groups[s.trace_id].AppendFrom(all_, s);
  }
  for (const auto& [id, b] : groups)
    if (!fn(b)) break;
  return Status::Ok();
}

storage::StoreStats MemorySpanStore::Stats() {
  std::lock_guard lock(mu_);
  storage::StoreStats st;
  st.spans_written = st.spans_stored = all_.spans.size();
  return st;
}

storage::TraceQuery MemorySpanStore::last_query() const {
  std::lock_guard lock(mu_);
  return last_query_;
}
size_t MemorySpanStore::get_trace_calls() const {
  std::lock_guard lock(mu_);
  return get_trace_calls_;
}

}  // namespace tracery::query::testing
