#include "analysis/heatmap.h"

#include <gtest/gtest.h>

namespace tracery::analysis {
namespace {

constexpr uint64_t kS = 1'000'000'000ULL;

TEST(HeatmapTest, CountsLandInTheirColumnAndLogBucket) {
  std::vector<HeatmapPoint> pts = {
      {0 * kS, 1'500'000},    // 1.5 ms, column 0
      {10 * kS, 1'500'000},   // column 0
      {61 * kS, 20'000'000},  // 20 ms, column 1
      {61 * kS, 900'000},     // 0.9 ms, column 1
      {500 * kS, 5'000'000},  // outside the range: ignored
  };
  auto h = BuildHeatmap(pts, 0, 120 * kS, 60 * kS, 3);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  // 900 us .. 20000 us: decades 100 us .. 100000 us, 3 buckets, one per decade.
  ASSERT_EQ(h->bucket_bounds_us.size(), 4u);
  EXPECT_DOUBLE_EQ(h->bucket_bounds_us[0], 100);
  EXPECT_NEAR(h->bucket_bounds_us[1], 1000, 1e-9);
  EXPECT_NEAR(h->bucket_bounds_us[3], 100000, 1e-6);
  ASSERT_EQ(h->columns.size(), 2u);
  EXPECT_EQ(h->columns[0].counts, (std::vector<uint64_t>{0, 2, 0}));
  EXPECT_EQ(h->columns[1].counts, (std::vector<uint64_t>{1, 0, 1}));
  EXPECT_EQ(h->columns[1].ts_ns, 60 * kS);
  EXPECT_EQ(h->max_count, 2u);
}

TEST(HeatmapTest, ValueOnABoundGoesToTheBucketItStarts) {
  auto h = BuildHeatmap({{0, 1'000'000}, {0, 10'000'000}}, 0, kS, kS, 2);
  ASSERT_TRUE(h.ok());
  // 1000 us .. 10000 us → decades 1000 .. 100000, bounds 1000, 10000, 100000.
  EXPECT_EQ(h->columns[0].counts, (std::vector<uint64_t>{1, 1}));
}

TEST(HeatmapTest, BadParametersAreRejected) {
  EXPECT_FALSE(BuildHeatmap({}, 10, 10, kS, 10).ok());
  EXPECT_FALSE(BuildHeatmap({}, 0, kS, 0, 10).ok());
  EXPECT_FALSE(BuildHeatmap({}, 0, kS, kS, 0).ok());
  EXPECT_FALSE(BuildHeatmap({}, 0, 100000 * kS, 1, 10).ok());
  auto empty = BuildHeatmap({}, 0, kS, kS, 3);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->max_count, 0u);
  EXPECT_EQ(empty->bucket_bounds_us.size(), 4u);
}

}  // namespace
}  // namespace tracery::analysis
