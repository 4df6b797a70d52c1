// Comparisons: one trace against another (structural diff by the
// service:operation path from the root), and one group of traces against
// another (which operations and attribute values differ most in frequency
// or latency).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis/trace_tree.h"

namespace tracery::analysis {

struct PathDiff {
  enum class Status { kAdded, kMissing, kSlower, kFaster, kSame };
  std::string path;  // "frontend:GET /|checkout:POST /checkout"
  std::string service, operation;  // of the last element
  Status status = Status::kSame;
  uint64_t a_count = 0, b_count = 0;
  uint64_t a_ns = 0, b_ns = 0;  // summed clamped durations of the spans at the path
  int64_t delta_ns = 0;          // b_ns - a_ns
};
const char* PathDiffStatusName(PathDiff::Status s);  // "added", "missing", ...

// Spans are matched by path. "added": only in b; "missing": only in a;
// "slower"/"faster": |delta| at least 10% of a's time and at least
// kMinDeltaNs; else "same". Order: a's paths in depth-first order, then
// b-only paths in b's depth-first order.
inline constexpr uint64_t kMinDeltaNs = 50'000;
std::vector<PathDiff> CompareTraces(const TraceTree& a, const TraceTree& b);

struct GroupComparison;

// What a group of traces looks like, for CompareGroups.
class GroupProfile {
 public:
  void AddTrace(const TraceTree& tree);
  size_t traces() const { return traces_; }
  // Exact median of the whole-trace durations; 0 for no traces.
  uint64_t P50TraceNs() const;

 private:
  friend GroupComparison CompareGroups(const GroupProfile& a, const GroupProfile& b, size_t max_rows);
  struct Op {
    uint64_t traces = 0;  // traces with at least one such span
    std::vector<uint64_t> durations_ns;
  };
  size_t traces_ = 0;
  std::vector<uint64_t> trace_durations_ns_;
  std::map<std::pair<std::string, std::string>, Op> ops_;
  std::map<std::pair<std::string, std::string>, uint64_t> attrs_;  // traces having key=value
};

struct GroupComparison {
  struct Operation {
    std::string service, operation;
    double a_share = 0, b_share = 0;  // fraction of traces with the operation
    uint64_t a_p50_ns = 0, b_p50_ns = 0;
    double score = 0;
  };
  struct Attribute {
    std::string key, value;
    double a_share = 0, b_share = 0;
    double score = 0;
  };
  std::vector<Operation> operations;  // by score, descending
  std::vector<Attribute> attributes;  // by score, descending
};

// Operation score: |a_share - b_share| + min(1, |log2(b_p50 / a_p50)| / 3)
// (the latency term only when both groups have the operation; a 8x change
// weighs like an operation present in every trace of one group and none of
// the other). Attribute score: |a_share - b_share|. Attribute values come
// from span attributes (strings, ints, bools; values over 128
// bytes skipped). At most `max_rows` rows of each kind.
GroupComparison CompareGroups(const GroupProfile& a, const GroupProfile& b, size_t max_rows = 100);

}  // namespace tracery::analysis
