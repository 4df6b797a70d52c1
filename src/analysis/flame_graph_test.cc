#include "analysis/flame_graph.h"

#include <gtest/gtest.h>

#include "analysis/testing/trace_builder.h"

namespace tracery::analysis {
namespace {

using testing::TraceBuilder;
constexpr uint64_t kBase = 1'700'000'000'000'000'000ULL;

TEST(FlameGraphTest, TracesMergeByPathWithExactTotals) {
  FlameGraphBuilder fg;
  std::vector<model::SpanBatch> keep;
  for (int i = 0; i < 2; ++i) {
    TraceBuilder b(i + 1, kBase);
    auto root = b.Add("fe", "GET /", 0, 100);
    auto cart = b.Add("cart", "get", 10, 60, root);
    b.Add("db", "SELECT", 20, 40, cart);
    b.Add("db", "SELECT", 45, 55, cart);
    if (i == 1) b.Add("fe", "render", 70, 90, root);
    keep.push_back(b.batch());
  }
  for (const auto& batch : keep) fg.AddTrace(TraceTree::Build(batch));
  FlameNode root = fg.Build();
  EXPECT_EQ(root.operation, "all");
  EXPECT_EQ(root.count, 2u);
  EXPECT_EQ(root.total_ns, 200'000u);
  ASSERT_EQ(root.children.size(), 1u);
  const FlameNode& get = root.children[0];
  EXPECT_EQ(get.service, "fe");
  EXPECT_EQ(get.count, 2u);
  EXPECT_EQ(get.total_ns, 200'000u);
  EXPECT_EQ(get.self_ns, 200'000u - 100'000u - 20'000u);
  ASSERT_EQ(get.children.size(), 2u);
  EXPECT_EQ(get.children[0].operation, "get");  // larger total first
  EXPECT_EQ(get.children[0].total_ns, 100'000u);
  EXPECT_EQ(get.children[0].self_ns, 40'000u);
  ASSERT_EQ(get.children[0].children.size(), 1u);
  const FlameNode& select = get.children[0].children[0];
  EXPECT_EQ(select.count, 4u);
  EXPECT_EQ(select.total_ns, 60'000u);
  EXPECT_EQ(select.self_ns, 60'000u);
  EXPECT_EQ(get.children[1].operation, "render");
  EXPECT_EQ(get.children[1].count, 1u);
}

}  // namespace
}  // namespace tracery::analysis
