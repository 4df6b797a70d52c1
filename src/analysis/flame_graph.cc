#include "analysis/flame_graph.h"

#include <algorithm>

namespace tracery::analysis {

FlameGraphBuilder::FlameGraphBuilder() {
  flat_.emplace_back();
  flat_[0].operation = "all";
}

uint32_t FlameGraphBuilder::Child(uint32_t parent, std::string_view service, std::string_view operation) {
  std::string key = std::to_string(parent);
  key.push_back('\0');
  key.append(service);
  key.push_back('\0');
  key.append(operation);
  auto [it, inserted] = index_.emplace(std::move(key), static_cast<uint32_t>(flat_.size()));
  if (inserted) {
    Flat f;
    f.service = service;
    f.operation = operation;
    flat_.push_back(std::move(f));
    flat_[parent].children.push_back(it->second);
  }
  return it->second;
}

void FlameGraphBuilder::AddTrace(const TraceTree& tree) {
  ++traces_;
  ++flat_[0].count;
  const auto& nodes = tree.nodes();
  std::vector<uint32_t> flame_of(nodes.size(), 0);
  for (uint32_t i : tree.preorder()) {  // parents come before children
    const auto& n = nodes[i];
    uint32_t parent_flame = n.parent == TraceTree::kNoParent ? 0 : flame_of[n.parent];
    uint32_t f = Child(parent_flame, n.service, n.span->name);
    flame_of[i] = f;
    flat_[f].total_ns += n.duration_ns();
    flat_[f].self_ns += n.self_ns;
    ++flat_[f].count;
    if (n.parent == TraceTree::kNoParent) flat_[0].total_ns += n.duration_ns();
  }
}

FlameNode FlameGraphBuilder::Build() const {
  // Iterative conversion, children visited after their parent exists.
  FlameNode root;
  struct Item {
    uint32_t flat;
    FlameNode* out;
  };
  std::vector<Item> stack{{0, &root}};
  while (!stack.empty()) {
    Item it = stack.back();
    stack.pop_back();
    const Flat& f = flat_[it.flat];
    it.out->service = f.service;
    it.out->operation = f.operation;
    it.out->total_ns = f.total_ns;
    it.out->self_ns = f.self_ns;
    it.out->count = f.count;
    std::vector<uint32_t> kids = f.children;
    std::stable_sort(kids.begin(), kids.end(),
                     [&](uint32_t a, uint32_t b) { return flat_[a].total_ns > flat_[b].total_ns; });
    it.out->children.resize(kids.size());  // sized once: the pointers below stay valid
    for (size_t k = 0; k < kids.size(); ++k) stack.push_back({kids[k], &it.out->children[k]});
  }
  return root;
}

}  // namespace tracery::analysis
