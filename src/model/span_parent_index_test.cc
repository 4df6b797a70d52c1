#include "model/span_parent_index.h"

#include <gtest/gtest.h>

namespace tracery::model {
namespace {

constexpr uint32_t kNone = SpanParentIndex::kNone;

// Spans given as (span id, parent id) pairs, in batch order.
SpanBatch Spans(std::initializer_list<std::pair<uint64_t, uint64_t>> ids) {
  SpanBatch b;
  for (auto [id, parent] : ids) {
    Span s;
    s.span_id.value = id;
    s.parent_span_id.value = parent;
    b.spans.push_back(s);
  }
  return b;
}

std::vector<uint32_t> Children(const SpanParentIndex& index, uint32_t span) {
  std::vector<uint32_t> out;
  for (uint32_t c = index.first_child(span); c != kNone; c = index.next_sibling(c)) out.push_back(c);
  return out;
}

TEST(SpanParentIndexTest, LinksParentsAndListsChildrenInBatchOrder) {
  SpanBatch b = Spans({{2, 1}, {1, 0}, {3, 1}, {4, 2}});
  SpanParentIndex index;
  index.Build(b);
  EXPECT_EQ(index.parent(0), 1u);
  EXPECT_EQ(index.parent(1), kNone);
  EXPECT_EQ(index.parent(3), 0u);
  EXPECT_EQ(Children(index, 1), (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(Children(index, 0), (std::vector<uint32_t>{3}));
  EXPECT_EQ(index.roots(), (std::vector<uint32_t>{1}));
}

TEST(SpanParentIndexTest, FirstCopyOfASpanIdIsTheSpanLaterCopiesAreDuplicates) {
  SpanBatch b = Spans({{1, 0}, {2, 1}, {2, 1}, {3, 2}});
  SpanParentIndex index;
  index.Build(b);
  EXPECT_TRUE(index.live(1));
  EXPECT_FALSE(index.live(2));
  EXPECT_EQ(index.parent(2), kNone) << "a duplicate takes no part";
  EXPECT_EQ(index.parent(3), 1u) << "children attach to the first copy";
  EXPECT_EQ(Children(index, 0), (std::vector<uint32_t>{1}));
}

TEST(SpanParentIndexTest, OrphansAndSelfParentsAreRootsCyclesAreLeftToTheReader) {
  SpanBatch b = Spans({{1, 0}, {2, 99}, {3, 3}, {4, 5}, {5, 4}});
  SpanParentIndex index;
  index.Build(b);
  EXPECT_EQ(index.roots(), (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(index.parent(3), 4u);
  EXPECT_EQ(index.parent(4), 3u);
}

TEST(SpanParentIndexTest, RebuildingForgetsThePreviousTrace) {
  SpanBatch first = Spans({{1, 0}, {2, 1}, {3, 1}});
  SpanBatch second = Spans({{7, 0}});
  SpanParentIndex index;
  index.Build(first);
  index.Build(second);
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index.first_child(0), kNone);
  EXPECT_EQ(index.roots(), (std::vector<uint32_t>{0}));
}

}  // namespace
}  // namespace tracery::model
