#include "model/span_parent_index.h"

#include <unordered_map>

namespace tracery::model {

void SpanParentIndex::Build(const SpanBatch& trace) {
  const uint32_t n = static_cast<uint32_t>(trace.spans.size());
  live_.assign(n, 0);
  parent_.assign(n, kNone);
  first_child_.assign(n, kNone);
  next_sibling_.assign(n, kNone);
  roots_.clear();
  std::unordered_map<uint64_t, uint32_t> by_id;
  by_id.reserve(n * 2);
  for (uint32_t i = 0; i < n; ++i)
    if (by_id.emplace(trace.spans[i].span_id.value, i).second) live_[i] = 1;
  // Backwards, prepending, so each child list ends up in batch order.
  for (uint32_t i = n; i-- > 0;) {
    if (!live_[i]) continue;
    const Span& s = trace.spans[i];
    auto it = s.parent_span_id.IsZero() ? by_id.end() : by_id.find(s.parent_span_id.value);
    if (it == by_id.end() || it->second == i) {
      roots_.push_back(i);
      continue;
    }
    parent_[i] = it->second;
    next_sibling_[i] = first_child_[it->second];
    first_child_[it->second] = i;
  }
  std::vector<uint32_t>(roots_.rbegin(), roots_.rend()).swap(roots_);
}

}  // namespace tracery::model
