#include "cluster/hash_ring.h"

#include <algorithm>
#include <cstring>

namespace tracery::cluster {

namespace {

// splitmix64's finalizer: spreads nearby inputs over the whole 64-bit range.
uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

// FNV-1a over the bytes, then mixed (FNV alone clusters short similar keys).
uint64_t HashBytes(const void* data, size_t n, uint64_t seed) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t h = 0xCBF29CE484222325ULL ^ Mix64(seed);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001B3ULL;
  }
  return Mix64(h);
}

}  // namespace

uint64_t HashRing::TracePoint(const model::TraceId& trace_id) {
  return HashBytes(trace_id.bytes.data(), trace_id.bytes.size(), 0x7472616365ULL);
}

HashRing::HashRing(std::vector<std::string> members, int virtual_nodes_per_member) : members_(std::move(members)) {
  std::sort(members_.begin(), members_.end());
  members_.erase(std::unique(members_.begin(), members_.end()), members_.end());
  const int vnodes = std::max(1, virtual_nodes_per_member);
  points_.reserve(members_.size() * static_cast<size_t>(vnodes));
  for (uint32_t m = 0; m < members_.size(); ++m) {
    for (int v = 0; v < vnodes; ++v) {
      points_.push_back({HashBytes(members_[m].data(), members_[m].size(), static_cast<uint64_t>(v)), m});
    }
  }
  // Ties (astronomically rare) are broken by member name so every node
  // builds the same ring.
  std::sort(points_.begin(), points_.end(), [this](const Point& a, const Point& b) {
    return a.position != b.position ? a.position < b.position : a.member_index < b.member_index;
  });
}

const std::string* HashRing::Owner(const model::TraceId& trace_id) const {
  if (points_.empty()) return nullptr;
  const uint64_t p = TracePoint(trace_id);
  auto it = std::lower_bound(points_.begin(), points_.end(), p,
                             [](const Point& a, uint64_t pos) { return a.position < pos; });
  if (it == points_.end()) it = points_.begin();
  return &members_[it->member_index];
}

const std::string* HashRing::OwnerWhere(const model::TraceId& trace_id,
                                        const std::function<bool(const std::string&)>& usable) const {
  if (points_.empty()) return nullptr;
  const uint64_t p = TracePoint(trace_id);
  auto start = std::lower_bound(points_.begin(), points_.end(), p,
                                [](const Point& a, uint64_t pos) { return a.position < pos; });
  size_t i = static_cast<size_t>(start - points_.begin()) % points_.size();
  std::vector<bool> tried(members_.size(), false);
  size_t distinct_tried = 0;
  for (size_t step = 0; step < points_.size() && distinct_tried < members_.size(); ++step) {
    const uint32_t m = points_[(i + step) % points_.size()].member_index;
    if (tried[m]) continue;
    tried[m] = true;
    ++distinct_tried;
    if (usable(members_[m])) return &members_[m];
  }
  return nullptr;
}

bool HashRing::Contains(const std::string& member) const {
  return std::binary_search(members_.begin(), members_.end(), member);
}

}  // namespace tracery::cluster
