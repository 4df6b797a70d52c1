#include "analysis/critical_path.h"

#include <gtest/gtest.h>

#include "analysis/testing/trace_builder.h"

namespace tracery::analysis {
namespace {

using model::SpanKind;
using testing::TraceBuilder;
constexpr uint64_t kBase = 1'700'000'000'000'000'000ULL;

// Critical time per span name, in microseconds.
std::map<std::string, uint64_t> CriticalUs(const TraceTree& t, const CriticalPath& p) {
  std::map<std::string, uint64_t> out;
  for (uint32_t i = 0; i < t.nodes().size(); ++i) out[t.nodes()[i].span->name] += p.critical_ns[i] / 1000;
  return out;
}
std::map<std::string, uint64_t> SelfUs(const TraceTree& t) {
  std::map<std::string, uint64_t> out;
  for (const auto& n : t.nodes()) out[n.span->name] += n.self_ns / 1000;
  return out;
}
std::string PathNames(const TraceTree& t, const CriticalPath& p) {
  std::string s;
  for (const auto& seg : p.segments) {
    if (!s.empty()) s += ",";
    s += t.nodes()[seg.node].span->name + "[" + std::to_string((seg.start_ns - kBase) / 1000) + "-" +
         std::to_string((seg.end_ns - kBase) / 1000) + "]";
  }
  return s;
}

TEST(CriticalPathTest, SequentialChildrenAreAllOnThePathWithGapsAsParentSelfTime) {
  TraceBuilder b(1, kBase);
  auto root = b.Add("fe", "root", 0, 100);
  b.Add("fe", "a", 10, 40, root);
  b.Add("fe", "b", 50, 90, root);
  auto tree = TraceTree::Build(b.batch());
  auto path = ComputeCriticalPath(tree);
  EXPECT_EQ(PathNames(tree, path), "root[0-10],a[10-40],root[40-50],b[50-90],root[90-100]");
  EXPECT_EQ(path.total_ns, 100'000u);
  auto crit = CriticalUs(tree, path);
  EXPECT_EQ(crit["root"], 30u);
  EXPECT_EQ(crit["a"], 30u);
  EXPECT_EQ(crit["b"], 40u);
  auto self = SelfUs(tree);
  EXPECT_EQ(self["root"], 30u);
  EXPECT_EQ(self["a"], 30u);
}

TEST(CriticalPathTest, ParallelChildrenOnlyTheLastFinishingIsCritical) {
  TraceBuilder b(1, kBase);
  auto root = b.Add("fe", "root", 0, 100);
  b.Add("fe", "fast", 10, 50, root);
  b.Add("fe", "slow", 10, 80, root);
  b.Add("fe", "mid", 20, 60, root);
  auto tree = TraceTree::Build(b.batch());
  auto path = ComputeCriticalPath(tree);
  EXPECT_EQ(PathNames(tree, path), "root[0-10],slow[10-80],root[80-100]");
  auto crit = CriticalUs(tree, path);
  EXPECT_EQ(crit["fast"], 0u);
  EXPECT_EQ(crit["mid"], 0u);
  EXPECT_EQ(crit["slow"], 70u);
  // Self time subtracts the union of the children: [10,80] covered.
  EXPECT_EQ(SelfUs(tree)["root"], 30u);
}

TEST(CriticalPathTest, ChildBeforeAnOverlappingChainIsReachedThroughTheGap) {
  // a [10,30], b [25,60] overlap; c [70,90]. Walking back: c, then b (ends
  // 60 <= 70), then a ends at 30 > b's start 25: skipped, so root owns [0,25].
  TraceBuilder b(1, kBase);
  auto root = b.Add("fe", "root", 0, 100);
  b.Add("fe", "a", 10, 30, root);
  b.Add("fe", "b", 25, 60, root);
  b.Add("fe", "c", 70, 90, root);
  auto tree = TraceTree::Build(b.batch());
  auto path = ComputeCriticalPath(tree);
  EXPECT_EQ(PathNames(tree, path), "root[0-25],b[25-60],root[60-70],c[70-90],root[90-100]");
}

TEST(CriticalPathTest, ChildOutlivingItsParentIsCutAtTheParentsEnd) {
  TraceBuilder b(1, kBase);
  auto root = b.Add("fe", "root", 0, 100);
  auto async = b.Add("fe", "async", 60, 250, root, SpanKind::kProducer);
  b.Add("worker", "consume", 200, 240, async, SpanKind::kConsumer);  // entirely after root's end
  auto tree = TraceTree::Build(b.batch());
  auto path = ComputeCriticalPath(tree);
  EXPECT_EQ(PathNames(tree, path), "root[0-60],async[60-100]");
  EXPECT_EQ(path.total_ns, 100'000u);
  auto crit = CriticalUs(tree, path);
  EXPECT_EQ(crit["consume"], 0u);
  EXPECT_EQ(SelfUs(tree)["async"], 40u);
}

TEST(CriticalPathTest, ClockSkewedChildStartingBeforeItsParentIsClamped) {
  TraceBuilder b(1, kBase + 1'000'000);
  auto root = b.Add("fe", "root", 0, 100);
  b.Add("be", "skewed", 0, 50, root);
  b.mutable_batch().spans.back().start_time_unix_nano = kBase;  // 1 ms before its parent
  auto tree = TraceTree::Build(b.batch());
  auto path = ComputeCriticalPath(tree);
  auto crit = CriticalUs(tree, path);
  EXPECT_EQ(crit["skewed"], 50u);
  EXPECT_EQ(crit["root"], 50u);
  uint64_t sum = 0;
  for (auto v : path.critical_ns) sum += v;
  EXPECT_EQ(sum, path.total_ns);
}

TEST(CriticalPathTest, NestedTreeSumsToTheRootDuration) {
  TraceBuilder b(1, kBase);
  auto root = b.Add("fe", "root", 0, 1000);
  auto x = b.Add("fe", "x", 100, 600, root);
  b.Add("db", "q1", 150, 300, x);
  b.Add("db", "q2", 310, 590, x);
  auto y = b.Add("fe", "y", 100, 400, root);  // parallel to x, ends earlier
  b.Add("db", "q3", 120, 390, y);
  b.Add("fe", "z", 650, 950, root);
  auto tree = TraceTree::Build(b.batch());
  auto path = ComputeCriticalPath(tree);
  EXPECT_EQ(PathNames(tree, path),
            "root[0-100],x[100-150],q1[150-300],x[300-310],q2[310-590],x[590-600],root[600-650],z[650-950],root[950-1000]");
  uint64_t sum = 0;
  for (auto v : path.critical_ns) sum += v;
  EXPECT_EQ(sum, 1'000'000u);
}

TEST(CriticalPathTest, DeepTraceDoesNotOverflowTheStack) {
  TraceBuilder b(1, kBase);
  model::SpanId parent;
  const int depth = 200'000;
  for (int i = 0; i < depth; ++i) parent = b.Add("s", "op", i, 2 * depth - i, parent);
  auto tree = TraceTree::Build(b.batch());
  auto path = ComputeCriticalPath(tree);
  EXPECT_EQ(path.total_ns, uint64_t(2 * depth) * 1000);
}

TEST(TraceTreeTest, DuplicatesOrphansAndCyclesAreHandled) {
  TraceBuilder b(1, kBase);
  auto root = b.Add("fe", "root", 0, 100);
  b.Add("fe", "child", 10, 20, root);
  b.mutable_batch().spans.push_back(b.batch().spans.back());  // duplicate
  b.Add("fe", "orphan", 30, 40, model::SpanId{777});
  // Two spans naming each other as parent.
  b.Add("fe", "cyc1", 50, 60, model::SpanId{1000 + 5});
  b.Add("fe", "cyc2", 50, 55, model::SpanId{1000 + 4});
  auto tree = TraceTree::Build(b.batch());
  EXPECT_EQ(tree.nodes().size(), 5u);
  EXPECT_EQ(tree.preorder().size(), 5u);
  EXPECT_EQ(tree.nodes()[tree.primary_root()].span->name, "root");
  EXPECT_EQ(tree.roots().size(), 3u);
}

TEST(BottleneckTest, OperationsRankedByCriticalContribution) {
  BottleneckAccumulator acc;
  std::vector<TraceBuilder> builders;
  for (int i = 0; i < 3; ++i) {
    TraceBuilder b(i + 1, kBase);
    auto root = b.Add("fe", "GET /", 0, 100);
    b.Add("db", "SELECT", 10, 70, root);   // 60 critical
    b.Add("cache", "GET", 10, 20, root);   // parallel, never critical
    auto tree = TraceTree::Build(b.batch());
    acc.Add(tree, ComputeCriticalPath(tree));
  }
  auto rows = acc.Ranked();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].service, "db");
  EXPECT_EQ(rows[0].critical_ns_total, 180'000u);
  EXPECT_DOUBLE_EQ(rows[0].share, 0.6);
  EXPECT_EQ(rows[1].operation, "GET /");
  EXPECT_EQ(rows[1].critical_ns_total, 120'000u);
  EXPECT_EQ(acc.traces(), 3u);
}

}  // namespace
}  // namespace tracery::analysis
