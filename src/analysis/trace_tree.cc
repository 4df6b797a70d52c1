#include "analysis/trace_tree.h"

#include <algorithm>
#include <tuple>

#include "model/span_parent_index.h"

namespace tracery::analysis {

TraceTree TraceTree::Build(const model::SpanBatch& batch) {
  TraceTree t;
  model::SpanParentIndex links;
  links.Build(batch);
  const size_t n = batch.spans.size();
  std::vector<uint32_t> node_of(n, kNoParent);  // span index -> node index
  t.nodes_.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    if (!links.live(i)) continue;  // a duplicate: the first copy is the node
    node_of[i] = static_cast<uint32_t>(t.nodes_.size());
    const model::Span& s = batch.spans[i];
    Node node;
    node.span = &s;
    node.service = s.resource_index < batch.resources.size() ? batch.resources[s.resource_index].ServiceName()
                                                             : std::string_view("unknown_service");
    node.parent = links.parent(i);  // a span index here; made a node index below
    t.nodes_.push_back(std::move(node));
  }
  if (t.nodes_.empty()) return t;
  t.start_ns_ = UINT64_MAX;
  for (auto& node : t.nodes_) {
    t.start_ns_ = std::min(t.start_ns_, node.span->start_time_unix_nano);
    t.end_ns_ = std::max(t.end_ns_, std::max(node.span->end_time_unix_nano, node.span->start_time_unix_nano));
    if (node.parent != kNoParent) node.parent = node_of[node.parent];
  }
  for (uint32_t i = 0; i < t.nodes_.size(); ++i)
    if (t.nodes_[i].parent != kNoParent) t.nodes_[t.nodes_[i].parent].children.push_back(i);
  auto by_start = [&](uint32_t a, uint32_t b) {
    const auto& x = *t.nodes_[a].span;
    const auto& y = *t.nodes_[b].span;
    return std::tie(x.start_time_unix_nano, x.end_time_unix_nano) < std::tie(y.start_time_unix_nano, y.end_time_unix_nano);
  };
  for (auto& node : t.nodes_) std::sort(node.children.begin(), node.children.end(), by_start);

  // Walk from the roots; anything not reached sits in a parent cycle and
  // becomes a root itself.
  std::vector<uint8_t> seen(t.nodes_.size(), 0);
  std::vector<uint32_t> stack;
  auto walk = [&](uint32_t root) {
    Node& r = t.nodes_[root];
    r.start_ns = r.span->start_time_unix_nano;
    r.end_ns = std::max(r.span->end_time_unix_nano, r.start_ns);
    stack.push_back(root);
    while (!stack.empty()) {
      uint32_t i = stack.back();
      stack.pop_back();
      if (seen[i]) continue;
      seen[i] = 1;
      t.preorder_.push_back(i);
      const Node& p = t.nodes_[i];
      for (auto it = p.children.rbegin(); it != p.children.rend(); ++it) {
        Node& c = t.nodes_[*it];
        if (seen[*it]) continue;
        c.start_ns = std::clamp(c.span->start_time_unix_nano, p.start_ns, p.end_ns);
        c.end_ns = std::clamp(c.span->end_time_unix_nano, c.start_ns, p.end_ns);
        stack.push_back(*it);
      }
    }
  };
  std::vector<uint32_t> roots;
  for (uint32_t i = 0; i < t.nodes_.size(); ++i)
    if (t.nodes_[i].parent == kNoParent) roots.push_back(i);
  std::sort(roots.begin(), roots.end(), by_start);
  for (uint32_t r : roots) walk(r);
  for (uint32_t i = 0; i < t.nodes_.size(); ++i) {
    if (seen[i]) continue;
    Node& node = t.nodes_[i];
    auto& siblings = t.nodes_[node.parent].children;  // break the cycle here
    siblings.erase(std::remove(siblings.begin(), siblings.end(), i), siblings.end());
    node.parent = kNoParent;
    roots.push_back(i);
    walk(i);
  }
  std::sort(roots.begin(), roots.end(), by_start);
  t.roots_ = std::move(roots);
  for (uint32_t r : t.roots_) {
    if (t.nodes_[r].span->parent_span_id.IsZero()) {
      t.primary_root_ = r;
      break;
    }
  }
  if (t.primary_root_ == kNoParent) t.primary_root_ = t.roots_.front();

  // Self time: clamped duration minus the union of the children's intervals
  // (children are sorted by raw start, which clamping keeps ordered).
  for (Node& node : t.nodes_) {
    uint64_t covered = 0, cur_start = 0, cur_end = 0;
    bool open = false;
    for (uint32_t c : node.children) {
      const Node& ch = t.nodes_[c];
      if (ch.end_ns <= ch.start_ns) continue;
      if (open && ch.start_ns <= cur_end) {
        cur_end = std::max(cur_end, ch.end_ns);
      } else {
        if (open) covered += cur_end - cur_start;
        cur_start = ch.start_ns;
        cur_end = ch.end_ns;
        open = true;
      }
    }
    if (open) covered += cur_end - cur_start;
    node.self_ns = node.duration_ns() > covered ? node.duration_ns() - covered : 0;
  }
  return t;
}

}  // namespace tracery::analysis
