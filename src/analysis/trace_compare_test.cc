#include "analysis/trace_compare.h"

#include <gtest/gtest.h>

#include "analysis/testing/trace_builder.h"

namespace tracery::analysis {
namespace {

using testing::TraceBuilder;
constexpr uint64_t kBase = 1'700'000'000'000'000'000ULL;

TEST(CompareTracesTest, StatusesByPath) {
  TraceBuilder a(1, kBase), b(2, kBase);
  auto ra = a.Add("frontend", "GET /", 0, 1000);
  a.Add("cart", "get", 10, 200, ra);
  a.Add("auth", "check", 210, 300, ra);
  a.Add("db", "q", 300, 400, ra);
  auto rb = b.Add("frontend", "GET /", 0, 1500);
  b.Add("cart", "get", 10, 700, rb);      // slower by 500 us
  b.Add("db", "q", 300, 402, rb);          // 2 us: same
  b.Add("payment", "charge", 710, 900, rb);  // added
  auto ta = TraceTree::Build(a.batch());
  auto tb = TraceTree::Build(b.batch());
  auto diff = CompareTraces(ta, tb);
  ASSERT_EQ(diff.size(), 5u);
  EXPECT_EQ(diff[0].path, "frontend:GET /");
  EXPECT_EQ(diff[0].status, PathDiff::Status::kSlower);
  EXPECT_EQ(diff[1].path, "frontend:GET /|cart:get");
  EXPECT_EQ(diff[1].status, PathDiff::Status::kSlower);
  EXPECT_EQ(diff[1].delta_ns, 500'000);
  EXPECT_EQ(diff[2].path, "frontend:GET /|auth:check");
  EXPECT_EQ(diff[2].status, PathDiff::Status::kMissing);
  EXPECT_EQ(diff[2].b_count, 0u);
  EXPECT_EQ(diff[3].service, "db");
  EXPECT_EQ(diff[3].status, PathDiff::Status::kSame);
  EXPECT_EQ(diff[4].path, "frontend:GET /|payment:charge");
  EXPECT_EQ(diff[4].status, PathDiff::Status::kAdded);
  EXPECT_STREQ(PathDiffStatusName(diff[4].status), "added");

  // Swapping the traces swaps added/missing and slower/faster.
  auto back = CompareTraces(tb, ta);
  EXPECT_EQ(back[1].status, PathDiff::Status::kFaster);
  EXPECT_EQ(back[3].status, PathDiff::Status::kMissing);
  EXPECT_EQ(back[4].status, PathDiff::Status::kAdded);
}

TEST(CompareGroupsTest, RanksWhatDiffersMost) {
  GroupProfile a, b;
  std::vector<model::SpanBatch> keep;
  auto make = [&](int id, bool slow_db, bool with_retry, const char* region) {
    TraceBuilder t(id, kBase);
    auto r = t.Add("cart", "GET /cart", 0, 1000);
    t.last().attributes.push_back({"region", model::AnyValue::String(region)});
    t.Add("db", "SELECT", 10, slow_db ? 810 : 110, r);
    if (with_retry) t.Add("cart", "retry", 850, 900, r);
    keep.push_back(t.batch());
  };
  for (int i = 0; i < 10; ++i) make(i + 1, /*slow_db=*/true, /*retry=*/i < 9, "eu");
  for (int i = 0; i < 10; ++i) make(i + 100, /*slow_db=*/false, /*retry=*/i < 1, i < 5 ? "eu" : "us");
  for (size_t i = 0; i < keep.size(); ++i) (i < 10 ? a : b).AddTrace(TraceTree::Build(keep[i]));
  ASSERT_EQ(a.traces(), 10u);
  auto cmp = CompareGroups(a, b);
  ASSERT_EQ(cmp.operations.size(), 3u);
  // SELECT: 800 us vs 100 us = 8x → latency term 1.0.
  EXPECT_EQ(cmp.operations[0].operation, "SELECT");
  EXPECT_DOUBLE_EQ(cmp.operations[0].score, 1.0);
  EXPECT_EQ(cmp.operations[0].a_p50_ns, 800'000u);
  EXPECT_EQ(cmp.operations[0].b_p50_ns, 100'000u);
  EXPECT_EQ(cmp.operations[1].operation, "retry");
  EXPECT_DOUBLE_EQ(cmp.operations[1].a_share, 0.9);
  EXPECT_DOUBLE_EQ(cmp.operations[1].b_share, 0.1);
  EXPECT_NEAR(cmp.operations[1].score, 0.8, 1e-12);
  EXPECT_EQ(cmp.operations[2].operation, "GET /cart");
  EXPECT_DOUBLE_EQ(cmp.operations[2].score, 0.0);
  ASSERT_EQ(cmp.attributes.size(), 2u);
  EXPECT_DOUBLE_EQ(cmp.attributes[0].score, 0.5);
  EXPECT_DOUBLE_EQ(cmp.attributes[1].score, 0.5);
  EXPECT_EQ(a.P50TraceNs(), 1'000'000u);
}

}  // namespace
}  // namespace tracery::analysis
