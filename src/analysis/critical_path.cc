#include "analysis/critical_path.h"

#include <algorithm>

namespace tracery::analysis {

CriticalPath ComputeCriticalPath(const TraceTree& tree) {
  CriticalPath out;
  const auto& nodes = tree.nodes();
  out.critical_ns.assign(nodes.size(), 0);
  if (tree.primary_root() == TraceTree::kNoParent) return out;

  auto emit = [&](uint32_t node, uint64_t start, uint64_t end) {
    if (end <= start) return;
    out.critical_ns[node] += end - start;
    // Built backwards in time; merge with the segment just after it.
    if (!out.segments.empty() && out.segments.back().node == node && out.segments.back().start_ns == end) {
      out.segments.back().start_ns = start;
      return;
    }
    out.segments.push_back({node, start, end});
  };

  struct Frame {
    uint32_t node;
    uint64_t cur;                  // walk-back point inside this span
    std::vector<uint32_t> by_end;  // children, latest end first
    size_t next = 0;
  };
  std::vector<Frame> stack;
  auto push = [&](uint32_t node, uint64_t cur) {
    Frame f{node, cur, nodes[node].children, 0};
    std::stable_sort(f.by_end.begin(), f.by_end.end(),
                     [&](uint32_t a, uint32_t b) { return nodes[a].end_ns > nodes[b].end_ns; });
    stack.push_back(std::move(f));
  };
  const uint32_t root = tree.primary_root();
  push(root, nodes[root].end_ns);
  while (!stack.empty()) {
    Frame& f = stack.back();
    bool descended = false;
    while (f.next < f.by_end.size()) {
      uint32_t c = f.by_end[f.next++];
      const auto& child = nodes[c];
      if (child.end_ns <= child.start_ns || child.end_ns > f.cur) continue;
      emit(f.node, child.end_ns, f.cur);
      f.cur = child.start_ns;
      push(c, child.end_ns);  // invalidates f
      descended = true;
      break;
    }
    if (descended) continue;
    emit(f.node, nodes[f.node].start_ns, f.cur);
    stack.pop_back();
  }
  std::reverse(out.segments.begin(), out.segments.end());
  out.total_ns = nodes[root].duration_ns();
  return out;
}

void BottleneckAccumulator::Add(const TraceTree& tree, const CriticalPath& path) {
  ++traces_;
  total_ns_ += path.total_ns;
  const auto& nodes = tree.nodes();
  for (uint32_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    auto key = std::make_pair(std::string(n.service), n.span->name);
    auto it = rows_.find(key);
    if (it == rows_.end()) {
      it = rows_.emplace(key, Row{}).first;
      it->second.service = key.first;
      it->second.operation = key.second;
    }
    it->second.critical_ns_total += path.critical_ns[i];
    it->second.self_ns_total += n.self_ns;
    ++it->second.spans;
  }
}

std::vector<BottleneckAccumulator::Row> BottleneckAccumulator::Ranked() const {
  std::vector<Row> out;
  for (const auto& [k, r] : rows_) {
    if (r.critical_ns_total == 0) continue;
    Row row = r;
    row.share = total_ns_ ? double(r.critical_ns_total) / double(total_ns_) : 0;
    out.push_back(std::move(row));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Row& a, const Row& b) { return a.critical_ns_total > b.critical_ns_total; });
  return out;
}

}  // namespace tracery::analysis
