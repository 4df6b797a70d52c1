// Critical path of a trace: the chain of work that determined its end.
//
// Algorithm: start at the primary root's end and walk back in time. At each
// point, the span's last-finishing child that ended at or before the current
// point is on the path (its interval is explored recursively); time between
// children, and before the first one, is the span's own. Children that
// overlap a chosen child (parallel work that finished earlier) are off the
// path. Times are the TraceTree's clamped ones: a child outliving its parent
// is cut at the parent's end, a child starting before it (clock skew) at the
// parent's start.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "analysis/trace_tree.h"

namespace tracery::analysis {

struct CriticalPath {
  struct Segment {
    uint32_t node = 0;  // index into TraceTree::nodes()
    uint64_t start_ns = 0, end_ns = 0;
  };
  // Maximal intervals during which one span was on the path, in time order;
  // a span appears once per interval (a parent before and after a child).
  std::vector<Segment> segments;
  // Per node (same indexing as TraceTree::nodes()): time on the path.
  std::vector<uint64_t> critical_ns;
  uint64_t total_ns = 0;  // the primary root's duration = sum of segments
};

// Iterative; linear in spans after sorting children. Empty tree: empty path.
CriticalPath ComputeCriticalPath(const TraceTree& tree);

// Operations ranked by their contribution to critical paths over many traces.
class BottleneckAccumulator {
 public:
  struct Row {
    std::string service, operation;
    uint64_t critical_ns_total = 0;
    uint64_t self_ns_total = 0;
    uint64_t spans = 0;  // spans of this operation seen
    double share = 0;    // critical_ns_total / sum of all traces' critical paths
  };

  void Add(const TraceTree& tree, const CriticalPath& path);
  size_t traces() const { return traces_; }
  uint64_t total_critical_ns() const { return total_ns_; }
  // By critical_ns_total descending (ties: service, operation).
  std::vector<Row> Ranked() const;

 private:
  std::map<std::pair<std::string, std::string>, Row> rows_;
  size_t traces_ = 0;
  uint64_t total_ns_ = 0;
};

}  // namespace tracery::analysis
