// TraceTree: the spans of one trace as a tree, with times clamped to the
// parent (clock skew, children outliving their parent) and self times.
// Shared by the critical path, flame graph and comparisons.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "model/span.h"

namespace tracery::analysis {

class TraceTree {
 public:
  static constexpr uint32_t kNoParent = UINT32_MAX;

  struct Node {
    const model::Span* span = nullptr;  // points into the batch given to Build
    std::string_view service;           // points into the batch
    uint32_t parent = kNoParent;
    std::vector<uint32_t> children;     // sorted by clamped start, then end
    // The span's interval clamped into its parent's clamped interval; a
    // child starting after its parent ends gets an empty interval there.
    uint64_t start_ns = 0, end_ns = 0;
    // Clamped duration minus the union of the children's clamped intervals.
    uint64_t self_ns = 0;
    uint64_t duration_ns() const { return end_ns - start_ns; }
  };

  // Builds the tree of `batch` (spans of one trace). Duplicates and parents
  // as model::SpanParentIndex defines them (duplicate span ids keep the
  // first copy). Spans whose parent is absent are roots; spans caught in
  // a parent cycle are made roots too, so every span is in exactly one tree.
  // Iterative: arbitrarily deep traces do not overflow the stack.
  // REQUIRES: `batch` outlives the tree.
  static TraceTree Build(const model::SpanBatch& batch);

  const std::vector<Node>& nodes() const { return nodes_; }
  // Roots, earliest start first.
  const std::vector<uint32_t>& roots() const { return roots_; }
  // The root the trace is about: the earliest-starting span without a
  // parent id, else the earliest root. kNoParent when the trace is empty.
  uint32_t primary_root() const { return primary_root_; }
  // Nodes in depth-first pre-order (parents before children, siblings by start).
  const std::vector<uint32_t>& preorder() const { return preorder_; }
  // Earliest start and latest end over all spans (raw times).
  uint64_t start_ns() const { return start_ns_; }
  uint64_t end_ns() const { return end_ns_; }

 private:
  std::vector<Node> nodes_;
  std::vector<uint32_t> roots_;
  std::vector<uint32_t> preorder_;
  uint32_t primary_root_ = kNoParent;
  uint64_t start_ns_ = 0, end_ns_ = 0;
};

}  // namespace tracery::analysis
