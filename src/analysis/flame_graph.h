// Flame graph: call trees of many traces merged by their
// (service, operation) path from the root, weighted by time.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/trace_tree.h"

namespace tracery::analysis {

struct FlameNode {
  std::string service, operation;
  uint64_t total_ns = 0;  // sum of the spans' clamped durations
  uint64_t self_ns = 0;   // sum of their self times
  uint64_t count = 0;     // spans merged into this node
  std::vector<FlameNode> children;  // by total_ns, descending
};

class FlameGraphBuilder {
 public:
  FlameGraphBuilder();
  // Merges every tree of the trace (orphans' subtrees hang under the root).
  void AddTrace(const TraceTree& tree);
  size_t traces() const { return traces_; }
  // The merged graph: a root {service "", operation "all"} whose total is the
  // sum of the root spans' durations, self 0, count = traces.
  FlameNode Build() const;

 private:
  struct Flat {
    std::string service, operation;
    uint64_t total_ns = 0, self_ns = 0, count = 0;
    std::vector<uint32_t> children;
  };
  uint32_t Child(uint32_t parent, std::string_view service, std::string_view operation);

  std::vector<Flat> flat_;  // flat_[0] is the root
  std::unordered_map<std::string, uint32_t> index_;  // parent\0service\0operation
  size_t traces_ = 0;
};

}  // namespace tracery::analysis
