// HashRing: consistent hashing of trace ids onto cluster members, with
// virtual nodes, so every collector routes a trace's spans to the same
// owner and a membership change moves only the traces of the member that
// left (or 1/N of the traces, to the member that joined).
//
// Members are identified by their cluster address ("host:port"); the ring
// is a pure function of the member set, so every collector that sees the
// same members computes the same owners (docs/cluster.md).
//
// Thread-safety: immutable after construction; share it as
// std::shared_ptr<const HashRing> and read it from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/ids.h"

namespace tracery::cluster {

class HashRing {
 public:
  // `members` may hold duplicates (ignored) and be empty (no owner).
  explicit HashRing(std::vector<std::string> members, int virtual_nodes_per_member = 128);

  // The owner of `trace_id`, or nullptr when the ring is empty.
  const std::string* Owner(const model::TraceId& trace_id) const;

  // The first member clockwise from the trace's position for which
  // `usable(member)` is true: the owner when it is usable, else the member
  // that would own the trace if the unusable ones left. nullptr when none is.
  const std::string* OwnerWhere(const model::TraceId& trace_id,
                                const std::function<bool(const std::string&)>& usable) const;

  const std::vector<std::string>& members() const { return members_; }  // sorted, unique
  bool Contains(const std::string& member) const;

  // Position of a trace on the ring (exposed for tests and tools).
  static uint64_t TracePoint(const model::TraceId& trace_id);

 private:
  struct Point {
    uint64_t position;
    uint32_t member_index;
  };
  std::vector<std::string> members_;
  std::vector<Point> points_;  // sorted by position
};

}  // namespace tracery::cluster
