#include "storage/testing/memory_span_store.h"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace tracery::storage::testing {
namespace {

using model::SpanBatch;
using model::TraceId;

bool HasAttribute(const model::Attributes& attrs, const TagFilter& tag) {
  for (const model::KeyValue& kv : attrs)
    if (kv.key == tag.key && kv.value.ToString() == tag.value) return true;
  return false;
}

bool TagMatches(const SpanBatch& b, const model::Span& s, const TagFilter& tag) {
  if (tag.key == "error") return (s.status_code == model::StatusCode::kError) == (tag.value == "true");
  if (tag.key == "span.kind") return model::SpanKindName(s.kind) == tag.value;
  if (HasAttribute(s.attributes, tag) || HasAttribute(b.ResourceOf(s).attributes, tag)) return true;
  for (const model::Event& e : s.events)
    if (HasAttribute(e.attributes, tag)) return true;
  return false;
}

TraceSummary Summarize(const TraceId& id, const SpanBatch& b) {
  TraceSummary sum;
  sum.trace_id = id;
  sum.start_time_unix_nano = UINT64_MAX;
  const model::Span* root = nullptr;
  for (const model::Span& s : b.spans) {
    sum.start_time_unix_nano = std::min(sum.start_time_unix_nano, s.start_time_unix_nano);
    sum.end_time_unix_nano = std::max(sum.end_time_unix_nano, s.end_time_unix_nano);
    ++sum.span_count;
    if (s.status_code == model::StatusCode::kError) ++sum.error_count;
    const bool is_root = s.parent_span_id.IsZero();
    const bool root_is_root = root && root->parent_span_id.IsZero();
    if (!root || (is_root && !root_is_root) ||
        (is_root == root_is_root && s.start_time_unix_nano < root->start_time_unix_nano))
      root = &s;
  }
  if (root) {
    sum.root_service = std::string(b.ServiceOf(*root));
    sum.root_operation = root->name;
  }
  return sum;
}

}  // namespace

bool SpanSatisfies(const SpanBatch& b, const model::Span& s, const SpanCondition& c) {
  if (!c.service.empty() && b.ServiceOf(s) != c.service) return false;
  if (!c.operation.empty() && s.name != c.operation) return false;
  if (c.kind && s.kind != *c.kind) return false;
  if (c.min_duration_ns && s.DurationNanos() < c.min_duration_ns) return false;
  if (c.max_duration_ns && s.DurationNanos() > c.max_duration_ns) return false;
  if (c.error_only && s.status_code != model::StatusCode::kError) return false;
  for (const TagFilter& t : c.tags)
    if (!TagMatches(b, s, t)) return false;
  return true;
}

Status MemorySpanStore::Write(const SpanBatch& batch) {
  std::lock_guard lock(mu_);
  for (const model::Span& s : batch.spans) traces_[s.trace_id].AppendFrom(batch, s);
  spans_written_ += batch.spans.size();
  return Status::Ok();
}

Result<SpanBatch> MemorySpanStore::GetTrace(const TraceId& id, size_t max_spans) {
  std::lock_guard lock(mu_);
  ++get_trace_calls_;
  auto it = traces_.find(id);
  if (it == traces_.end()) return Status::NotFound("trace " + id.ToHex() + " not found");
  const SpanBatch& trace = it->second;
  std::vector<const model::Span*> spans;
  spans.reserve(trace.spans.size());
  for (const model::Span& s : trace.spans) spans.push_back(&s);
  std::stable_sort(spans.begin(), spans.end(), [](const model::Span* a, const model::Span* b) {
    return a->start_time_unix_nano < b->start_time_unix_nano;
  });
  if (spans.size() > max_spans) spans.resize(max_spans);
  SpanBatch out;
  for (const model::Span* s : spans) out.AppendFrom(trace, *s);
  return out;
}

Result<FindResult> MemorySpanStore::FindTraces(const TraceQuery& q) {
  std::optional<TraceId> after;
  if (!q.cursor.empty()) {
    after = TraceId::FromHex(q.cursor);
    if (!after) return Status::InvalidArgument("cursor: not a cursor this store issued; pass next_cursor unchanged");
  }
  std::vector<TraceSummary> matched;
  {
    std::lock_guard lock(mu_);
    last_query_ = q;
    for (const auto& [id, b] : traces_) {
      TraceSummary sum = Summarize(id, b);
      if (sum.start_time_unix_nano < q.start_time_min_ns || sum.start_time_unix_nano > q.start_time_max_ns)
        continue;
      if (q.min_trace_duration_ns && sum.DurationNanos() < q.min_trace_duration_ns) continue;
      if (q.max_trace_duration_ns && sum.DurationNanos() > q.max_trace_duration_ns) continue;
      const bool all = std::all_of(q.span_conditions.begin(), q.span_conditions.end(), [&](const SpanCondition& c) {
        return std::any_of(b.spans.begin(), b.spans.end(), [&](const model::Span& s) { return SpanSatisfies(b, s, c); });
      });
      if (all) matched.push_back(std::move(sum));
    }
  }
  auto key_less = [&](const TraceSummary& a, const TraceSummary& b) {
    switch (q.order) {
      case TraceOrder::kLongestFirst:
        if (a.DurationNanos() != b.DurationNanos()) return a.DurationNanos() > b.DurationNanos();
        break;
      case TraceOrder::kShortestFirst:
        if (a.DurationNanos() != b.DurationNanos()) return a.DurationNanos() < b.DurationNanos();
        break;
      case TraceOrder::kMostRecent:
        if (a.start_time_unix_nano != b.start_time_unix_nano) return a.start_time_unix_nano > b.start_time_unix_nano;
        break;
    }
    return a.trace_id < b.trace_id;
  };
  std::sort(matched.begin(), matched.end(), key_less);
  size_t begin = 0;
  if (after) {
    for (size_t i = 0; i < matched.size(); ++i)
      if (matched[i].trace_id == *after) begin = i + 1;
  }
  FindResult out;
  for (size_t i = begin; i < matched.size() && out.traces.size() < q.limit; ++i) out.traces.push_back(matched[i]);
  if (begin + out.traces.size() < matched.size() && !out.traces.empty())
    out.next_cursor = out.traces.back().trace_id.ToHex();
  return out;
}

Result<std::vector<std::string>> MemorySpanStore::GetServices() {
  std::lock_guard lock(mu_);
  std::set<std::string> names;
  for (const auto& [id, b] : traces_)
    for (const model::Span& s : b.spans) names.emplace(b.ServiceOf(s));
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<Operation>> MemorySpanStore::GetOperations(const std::string& service,
                                                              std::optional<model::SpanKind> kind) {
  std::lock_guard lock(mu_);
  std::set<std::pair<std::string, model::SpanKind>> ops;
  for (const auto& [id, b] : traces_)
    for (const model::Span& s : b.spans)
      if (b.ServiceOf(s) == service && (!kind || s.kind == *kind)) ops.emplace(s.name, s.kind);
  std::vector<Operation> out;
  for (const auto& [name, k] : ops) out.push_back({name, k});
  return out;
}

Result<std::vector<DependencyLink>> MemorySpanStore::GetDependencies(uint64_t start_ns, uint64_t end_ns) {
  std::lock_guard lock(mu_);
  std::map<std::pair<std::string, std::string>, DependencyLink> links;
  for (const auto& [id, b] : traces_) {
    std::unordered_map<uint64_t, const model::Span*> by_span_id;
    for (const model::Span& s : b.spans) by_span_id.emplace(s.span_id.value, &s);
    for (const model::Span& child : b.spans) {
      if (child.start_time_unix_nano < start_ns || child.start_time_unix_nano >= end_ns) continue;
      if (child.parent_span_id.IsZero()) continue;
      auto parent = by_span_id.find(child.parent_span_id.value);
      if (parent == by_span_id.end()) continue;
      std::string p(b.ServiceOf(*parent->second)), c(b.ServiceOf(child));
      if (p == c) continue;
      DependencyLink& link = links[{p, c}];
      link.parent = std::move(p);
      link.child = std::move(c);
      ++link.call_count;
      if (child.status_code == model::StatusCode::kError) ++link.error_count;
    }
  }
  std::vector<DependencyLink> out;
  for (auto& [k, link] : links) out.push_back(std::move(link));
  return out;
}

Status MemorySpanStore::ScanSpans(uint64_t start_ns, uint64_t end_ns,
                                  const std::function<bool(const SpanBatch&)>& fn) {
  std::vector<SpanBatch> groups;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, b] : traces_) {
      SpanBatch g;
      for (const model::Span& s : b.spans)
        if (s.start_time_unix_nano >= start_ns && s.start_time_unix_nano < end_ns) g.AppendFrom(b, s);
      if (!g.empty()) groups.push_back(std::move(g));
    }
  }
  for (const SpanBatch& g : groups)
    if (!fn(g)) break;
  return Status::Ok();
}

StoreStats MemorySpanStore::Stats() {
  std::lock_guard lock(mu_);
  StoreStats st;
  st.spans_written = spans_written_;
  for (const auto& [id, b] : traces_) st.spans_stored += b.spans.size();
  st.memtable_spans = st.spans_stored;
  return st;
}

TraceQuery MemorySpanStore::last_query() const {
  std::lock_guard lock(mu_);
  return last_query_;
}

size_t MemorySpanStore::get_trace_calls() const {
  std::lock_guard lock(mu_);
  return get_trace_calls_;
}

}  // namespace tracery::storage::testing
