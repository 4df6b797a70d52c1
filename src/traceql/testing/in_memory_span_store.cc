#include "traceql/testing/in_memory_span_store.h"

#include <algorithm>
#include <set>

namespace tracery::traceql::testing {
namespace {

bool AttributeIs(const model::Attributes& attrs, const storage::TagFilter& tag) {
  for (const model::KeyValue& kv : attrs)
    if (kv.key == tag.key && kv.value.ToString() == tag.value) return true;
  return false;
}

storage::TraceSummary Summarize(const model::TraceId& id, const model::SpanBatch& b) {
  storage::TraceSummary s;
  s.trace_id = id;
  s.start_time_unix_nano = UINT64_MAX;
  const model::Span* root = nullptr;
  for (const model::Span& span : b.spans) {
    s.start_time_unix_nano = std::min(s.start_time_unix_nano, span.start_time_unix_nano);
    s.end_time_unix_nano = std::max(s.end_time_unix_nano, span.end_time_unix_nano);
    ++s.span_count;
    if (span.status_code == model::StatusCode::kError) ++s.error_count;
    bool is_root = span.parent_span_id.IsZero();
    bool root_is_root = root && root->parent_span_id.IsZero();
    if (!root || (is_root && !root_is_root) ||
        (is_root == root_is_root && span.start_time_unix_nano < root->start_time_unix_nano))
      root = &span;
  }
  if (root) {
    s.root_service = std::string(b.ServiceOf(*root));
    s.root_operation = root->name;
  }
  return s;
}

}  // namespace

bool SpanSatisfies(const model::SpanBatch& b, const model::Span& span, const storage::SpanCondition& c) {
  if (!c.service.empty() && b.ServiceOf(span) != c.service) return false;
  if (!c.operation.empty() && span.name != c.operation) return false;
  if (c.kind && span.kind != *c.kind) return false;
  const uint64_t d = span.DurationNanos();
  if (c.min_duration_ns && d < c.min_duration_ns) return false;
  if (c.max_duration_ns && d > c.max_duration_ns) return false;
  if (c.error_only && span.status_code != model::StatusCode::kError) return false;
  for (const storage::TagFilter& tag : c.tags) {
    if (tag.key == "error") {
      if ((span.status_code == model::StatusCode::kError) != (tag.value == "true")) return false;
      continue;
    }
    if (tag.key == "span.kind") {
      if (model::SpanKindName(span.kind) != tag.value) return false;
      continue;
    }
    bool found = AttributeIs(span.attributes, tag) || AttributeIs(b.ResourceOf(span).attributes, tag);
    for (const model::Event& e : span.events) found = found || AttributeIs(e.attributes, tag);
    if (!found) return false;
  }
  return true;
}

Status InMemorySpanStore::Write(const model::SpanBatch& batch) {
  std::lock_guard lock(mu_);
  for (const model::Span& span : batch.spans) traces_[span.trace_id].AppendFrom(batch, span);
  spans_written_ += batch.spans.size();
  return Status::Ok();
}

Result<model::SpanBatch> InMemorySpanStore::GetTrace(const model::TraceId& id, size_t max_spans) {
  std::lock_guard lock(mu_);
  ++get_trace_calls_;
  auto it = traces_.find(id);
  if (it == traces_.end()) return Status::NotFound("trace " + id.ToHex() + " not found");
  if (it->second.spans.size() <= max_spans) return it->second;
  std::vector<const model::Span*> spans;
  for (const model::Span& s : it->second.spans) spans.push_back(&s);
  std::stable_sort(spans.begin(), spans.end(), [](const model::Span* a, const model::Span* b) {
    return a->start_time_unix_nano < b->start_time_unix_nano;
  });
  model::SpanBatch out;
  for (size_t i = 0; i < max_spans; ++i) out.AppendFrom(it->second, *spans[i]);
  return out;
}

Result<storage::FindResult> InMemorySpanStore::FindTraces(const storage::TraceQuery& q) {
  size_t offset = 0;
  if (!q.cursor.empty()) {
    for (char c : q.cursor) {
      if (c < '0' || c > '9' || offset > 1'000'000'000) return Status::InvalidArgument("bad cursor");
      offset = offset * 10 + static_cast<size_t>(c - '0');
    }
  }
  std::vector<storage::TraceSummary> matches;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, b] : traces_) {
      storage::TraceSummary s = Summarize(id, b);
      if (s.start_time_unix_nano < q.start_time_min_ns || s.start_time_unix_nano > q.start_time_max_ns) continue;
      if (q.min_trace_duration_ns && s.DurationNanos() < q.min_trace_duration_ns) continue;
      if (q.max_trace_duration_ns && s.DurationNanos() > q.max_trace_duration_ns) continue;
      bool all = true;
      for (const storage::SpanCondition& c : q.span_conditions) {
        bool any = false;
        for (const model::Span& span : b.spans) any = any || SpanSatisfies(b, span, c);
        all = all && any;
      }
      if (all) matches.push_back(std::move(s));
    }
  }
  auto by = [&](const storage::TraceSummary& a, const storage::TraceSummary& b) {
    switch (q.order) {
      case storage::TraceOrder::kLongestFirst: return a.DurationNanos() > b.DurationNanos();
      case storage::TraceOrder::kShortestFirst: return a.DurationNanos() < b.DurationNanos();
      case storage::TraceOrder::kMostRecent: break;
    }
    return a.start_time_unix_nano > b.start_time_unix_nano;
  };
  std::stable_sort(matches.begin(), matches.end(), by);
  storage::FindResult r;
  for (size_t i = offset; i < matches.size() && r.traces.size() < q.limit; ++i) r.traces.push_back(matches[i]);
  if (offset + r.traces.size() < matches.size()) r.next_cursor = std::to_string(offset + r.traces.size());
  return r;
}

Result<std::vector<std::string>> InMemorySpanStore::GetServices() {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [id, b] : traces_)
    for (const model::Span& s : b.spans) out.insert(std::string(b.ServiceOf(s)));
  return std::vector<std::string>(out.begin(), out.end());
}

Result<std::vector<storage::Operation>> InMemorySpanStore::GetOperations(const std::string& service,
                                                                         std::optional<model::SpanKind> kind) {
  std::lock_guard lock(mu_);
  std::vector<storage::Operation> out;
  for (const auto& [id, b] : traces_)
    for (const model::Span& s : b.spans) {
      if (b.ServiceOf(s) != service || (kind && s.kind != *kind)) continue;
      storage::Operation op{s.name, s.kind};
      if (std::find(out.begin(), out.end(), op) == out.end()) out.push_back(op);
    }
  return out;
}

Result<std::vector<storage::DependencyLink>> InMemorySpanStore::GetDependencies(uint64_t start_ns, uint64_t end_ns) {
  std::lock_guard lock(mu_);
  std::map<std::pair<std::string, std::string>, storage::DependencyLink> links;
  for (const auto& [id, b] : traces_) {
    for (const model::Span& child : b.spans) {
      if (child.start_time_unix_nano < start_ns || child.start_time_unix_nano >= end_ns) continue;
      for (const model::Span& parent : b.spans) {
        if (parent.span_id != child.parent_span_id || child.parent_span_id.IsZero()) continue;
        std::string p(b.ServiceOf(parent)), c(b.ServiceOf(child));
        if (p == c) continue;
        auto& link = links[{p, c}];
        link.parent = p;
        link.child = c;
        ++link.call_count;
        if (child.status_code == model::StatusCode::kError) ++link.error_count;
      }
    }
  }
  std::vector<storage::DependencyLink> out;
  for (auto& [k, v] : links) out.push_back(v);
  return out;
}

Status InMemorySpanStore::ScanSpans(uint64_t start_ns, uint64_t end_ns,
                                    const std::function<bool(const model::SpanBatch&)>& fn) {
  std::vector<model::SpanBatch> groups;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, b] : traces_) {
      model::SpanBatch g;
      for (const model::Span& s : b.spans)
        if (s.start_time_unix_nano >= start_ns && s.start_time_unix_nano < end_ns) g.AppendFrom(b, s);
      if (!g.empty()) groups.push_back(std::move(g));
    }
  }
  for (const model::SpanBatch& g : groups)
    if (!fn(g)) break;
  return Status::Ok();
}

storage::StoreStats InMemorySpanStore::Stats() {
  std::lock_guard lock(mu_);
  storage::StoreStats s;
  s.spans_written = spans_written_;
  for (const auto& [id, b] : traces_) s.spans_stored += b.spans.size();
  s.memtable_spans = s.spans_stored;
  return s;
}

size_t InMemorySpanStore::get_trace_calls() const {
  std::lock_guard lock(mu_);
  return get_trace_calls_;
}

}  // namespace tracery::traceql::testing
