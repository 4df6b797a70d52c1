#include "query/trace_assembly.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

namespace tracery::query {

using model::Span;
using model::SpanKind;

namespace {

// Higher is more complete: finished spans first, then the richer copy.
std::pair<bool, size_t> Completeness(const Span& s) {
  return {s.end_time_unix_nano != 0,
          s.attributes.size() + s.events.size() + s.links.size() + (s.status_code != model::StatusCode::kUnset)};
}

bool StartsBefore(const Span& a, const Span& b) {
  if (a.start_time_unix_nano != b.start_time_unix_nano) return a.start_time_unix_nano < b.start_time_unix_nano;
  return a.span_id < b.span_id;
}

uint64_t Shift(uint64_t t, int64_t delta) {
  if (delta < 0 && t < static_cast<uint64_t>(-delta)) return 0;
  return t + static_cast<uint64_t>(delta);
}

// Jaeger's skew rule: how far to move `child` so it lies within `parent`.
int64_t CalculateSkewNs(const Span& child, const Span& parent) {
  const auto p_start = static_cast<int64_t>(parent.start_time_unix_nano);
  const auto c_start = static_cast<int64_t>(child.start_time_unix_nano);
  const auto p_dur = static_cast<int64_t>(parent.DurationNanos());
  const auto c_dur = static_cast<int64_t>(child.DurationNanos());
  if (p_dur < c_dur) return p_start - c_start;  // can only align the starts
  if (c_start >= p_start && c_start + c_dur <= p_start + p_dur) return 0;
  const int64_t latency = (p_dur - c_dur) / 2;
  return p_start + latency - c_start;
}

}  // namespace

std::string FormatDeltaMs(int64_t delta_ns) {
  const bool negative = delta_ns < 0;
  const uint64_t abs_ns = negative ? 0 - static_cast<uint64_t>(delta_ns) : static_cast<uint64_t>(delta_ns);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%" PRIu64 ".%06" PRIu64, negative ? "-" : "", abs_ns / 1'000'000,
                abs_ns % 1'000'000);
  std::string out = buf;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out + "ms";
}

AssembledTrace AssembleTrace(model::SpanBatch raw, const AssemblyOptions& options) {
  AssembledTrace out;
  std::vector<Span>& in = raw.spans;

  // 1. Truncate to the earliest-starting spans.
  if (in.size() > options.max_spans_per_trace) {
    std::nth_element(in.begin(), in.begin() + options.max_spans_per_trace, in.end(), StartsBefore);
    in.resize(options.max_spans_per_trace);
    out.truncated = true;
    out.warnings.push_back("trace truncated: only the first " + std::to_string(options.max_spans_per_trace) +
                           " spans by start time are shown");
  }

  // 2. Deduplicate by (span id, kind), keeping the most complete copy.
  std::vector<Span> spans;
  spans.reserve(in.size());
  std::unordered_map<uint64_t, std::vector<uint32_t>> by_id;  // span id -> indexes in `spans`
  by_id.reserve(in.size());
  for (Span& s : in) {
    auto& same_id = by_id[s.span_id.value];
    bool merged = false;
    for (uint32_t idx : same_id) {
      if (spans[idx].kind != s.kind) continue;
      if (Completeness(s) > Completeness(spans[idx])) spans[idx] = std::move(s);
      ++out.duplicates_removed;
      merged = true;
      break;
    }
    if (!merged) {
      same_id.push_back(static_cast<uint32_t>(spans.size()));
      spans.push_back(std::move(s));
    }
  }
  const size_t n = spans.size();

  // 3. Parents.
  std::vector<int32_t> parent(n, -1);
  std::vector<uint8_t> orphan(n, 0), shared_server(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const Span& s = spans[i];
    if (s.kind == SpanKind::kServer) {
      // The server half of a shared span hangs under its client half.
      const auto& same_id = by_id[s.span_id.value];
      int32_t client = -1;
      for (uint32_t j : same_id) {
        if (j == i || spans[j].kind == SpanKind::kServer) continue;
        if (client < 0 || spans[j].kind == SpanKind::kClient) client = static_cast<int32_t>(j);
      }
      if (client >= 0) {
        parent[i] = client;
        shared_server[i] = 1;
        continue;
      }
    }
    if (s.parent_span_id.IsZero()) continue;
    auto it = by_id.find(s.parent_span_id.value);
    int32_t p = -1;
    if (it != by_id.end()) {
      for (uint32_t j : it->second) {
        if (j == i) continue;
        // Under a shared span id, children belong to the server half.
        if (p < 0 || spans[j].kind == SpanKind::kServer) p = static_cast<int32_t>(j);
      }
    }
    if (p < 0) orphan[i] = 1;
    parent[i] = p;
  }

  // 4. Children lists (CSR), each sorted by start time.
  std::vector<uint32_t> child_begin(n + 1, 0), children(n);
  for (size_t i = 0; i < n; ++i)
    if (parent[i] >= 0) ++child_begin[parent[i] + 1];
  for (size_t i = 0; i < n; ++i) child_begin[i + 1] += child_begin[i];
  {
    std::vector<uint32_t> fill(child_begin.begin(), child_begin.end() - 1);
    for (size_t i = 0; i < n; ++i)
      if (parent[i] >= 0) children[fill[parent[i]]++] = static_cast<uint32_t>(i);
  }
  auto by_start = [&](uint32_t a, uint32_t b) { return StartsBefore(spans[a], spans[b]); };
  for (size_t i = 0; i < n; ++i)
    std::sort(children.begin() + child_begin[i], children.begin() + child_begin[i + 1], by_start);

  // 5. Depth-first order from the roots; spans in a parent cycle are never
  // reached, so the earliest of them becomes a root until all are placed.
  std::vector<uint32_t> roots;
  for (size_t i = 0; i < n; ++i)
    if (parent[i] < 0) roots.push_back(static_cast<uint32_t>(i));
  std::sort(roots.begin(), roots.end(), by_start);
  std::vector<uint32_t> order;
  order.reserve(n);
  std::vector<uint8_t> visited(n, 0), cycle_root(n, 0);
  std::vector<uint32_t> depth(n, 0);
  std::vector<uint32_t> stack;
  auto walk = [&](uint32_t root) {
    stack.push_back(root);
    while (!stack.empty()) {
      const uint32_t v = stack.back();
      stack.pop_back();
      if (visited[v]) continue;
      visited[v] = 1;
      order.push_back(v);
      for (uint32_t k = child_begin[v + 1]; k-- > child_begin[v];) {
        const uint32_t c = children[k];
        if (visited[c]) continue;
        depth[c] = depth[v] + 1;
        stack.push_back(c);
      }
    }
  };
  for (uint32_t r : roots) walk(r);
  if (order.size() < n) {
    std::vector<uint32_t> rest;
    for (size_t i = 0; i < n; ++i)
      if (!visited[i]) rest.push_back(static_cast<uint32_t>(i));
    std::sort(rest.begin(), rest.end(), by_start);
    for (uint32_t r : rest) {
      if (visited[r]) continue;
      parent[r] = -1;
      depth[r] = 0;
      cycle_root[r] = 1;
      walk(r);
    }
  }

  // 6. Emit in tree order.
  std::vector<int32_t> new_pos(n, -1);
  for (size_t k = 0; k < n; ++k) new_pos[order[k]] = static_cast<int32_t>(k);
  out.batch.resources = std::move(raw.resources);
  out.batch.scopes = std::move(raw.scopes);
  out.batch.spans.reserve(n);
  out.spans.resize(n);
  std::unordered_set<uint64_t> used_ids;
  used_ids.reserve(n);
  for (const Span& s : spans) used_ids.insert(s.span_id.value);
  for (size_t k = 0; k < n; ++k) {
    const uint32_t i = order[k];
    AssembledSpan& a = out.spans[k];
    a.parent = parent[i] >= 0 ? new_pos[parent[i]] : -1;
    a.depth = depth[i];
    a.orphan = orphan[i];
    a.shared_server = shared_server[i];
    a.display_id = spans[i].span_id;
    if (a.shared_server) {
      uint64_t id = spans[i].span_id.value;
      do ++id; while (id == 0 || used_ids.count(id));
      used_ids.insert(id);
      a.display_id.value = id;
    }
    if (a.orphan)
      a.warnings.push_back("parent span " + spans[i].parent_span_id.ToHex() + " is not in the trace");
    if (cycle_root[i]) a.warnings.push_back("span is part of a parent/child cycle; shown as a root");
    out.batch.spans.push_back(std::move(spans[i]));
  }
  for (size_t k = 0; k < n; ++k) {
    AssembledSpan& a = out.spans[k];
    a.display_parent_id = a.parent >= 0 ? out.spans[a.parent].display_id : out.batch.spans[k].parent_span_id;
    if (cycle_root[order[k]]) a.display_parent_id = model::SpanId{};
  }

  // 7. Clock skew, in tree order so every parent is already adjusted. As in
  // Jaeger, a span inherits its parent's shift when both run in the same
  // service (same clock) and gets its own when it crosses to another.
  if (options.adjust_clock_skew) {
    for (size_t k = 0; k < n; ++k) {
      AssembledSpan& a = out.spans[k];
      if (a.parent < 0) continue;
      Span& s = out.batch.spans[k];
      const Span& p = out.batch.spans[a.parent];
      int64_t delta = 0;
      if (out.batch.ServiceOf(s) == out.batch.ServiceOf(p)) {
        delta = out.spans[a.parent].skew_adjustment_ns;
      } else if (s.kind == SpanKind::kServer && p.kind == SpanKind::kClient && s.end_time_unix_nano != 0 &&
                 p.end_time_unix_nano != 0) {
        delta = CalculateSkewNs(s, p);
      }
      if (delta == 0) continue;
      a.skew_adjustment_ns = delta;
      s.start_time_unix_nano = Shift(s.start_time_unix_nano, delta);
      if (s.end_time_unix_nano) s.end_time_unix_nano = Shift(s.end_time_unix_nano, delta);
      for (auto& e : s.events) e.time_unix_nano = Shift(e.time_unix_nano, delta);
      a.warnings.push_back("clock skew adjustment applied: " + FormatDeltaMs(delta));
    }
  }
  return out;
}

Result<AssembledTrace> LoadAssembledTrace(storage::SpanStore& store, const model::TraceId& id,
                                          const AssemblyOptions& options) {
  // One more than the limit, so a trace over it is recognised and flagged.
  const size_t ask = options.max_spans_per_trace == SIZE_MAX ? SIZE_MAX : options.max_spans_per_trace + 1;
  auto raw = store.GetTrace(id, ask);
  if (!raw.ok()) return raw.status();
  return AssembleTrace(std::move(raw).value(), options);
}

std::vector<std::string> LoadAssembledTraces(storage::SpanStore& store, const std::vector<model::TraceId>& ids,
                                             const AssemblyOptions& options, size_t max_spans_total,
                                             uint64_t timeout_ms,
                                             const std::function<void(const AssembledTrace&)>& emit) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> notes;
  size_t spans_left = max_spans_total;
  for (size_t k = 0; k < ids.size(); ++k) {
    const auto elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    if (static_cast<uint64_t>(elapsed_ms) >= timeout_ms) {
      notes.push_back("timed out after " + std::to_string(elapsed_ms) + " ms; " + std::to_string(ids.size() - k) +
                      " traces not shown");
      break;
    }
    if (spans_left == 0) {
      notes.push_back("response span limit of " + std::to_string(max_spans_total) + " reached; " +
                      std::to_string(ids.size() - k) + " traces not shown");
      break;
    }
    AssemblyOptions per_trace = options;
    per_trace.max_spans_per_trace = std::min(options.max_spans_per_trace, spans_left);
    auto trace = LoadAssembledTrace(store, ids[k], per_trace);
    if (!trace.ok()) {
      if (trace.status().code() != Status::Code::kNotFound)
        notes.push_back("trace " + ids[k].ToHex() + ": " + trace.status().message());
      continue;
    }
    spans_left -= trace->batch.spans.size();
    emit(*trace);
  }
  return notes;
}

}  // namespace tracery::query
