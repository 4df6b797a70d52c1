#include "analysis/latency_sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace tracery::analysis {
namespace {

// The value at lower nearest rank floor(q·(n−1)), the definition the sketch
// approximates.
double BruteQuantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

std::vector<double> HeavyTailed(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> body(std::log(2e6), 1.0);  // ~2 ms median, in ns
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> out;
  for (size_t i = 0; i < n; ++i) {
    double x = body(rng);
    if (u(rng) < 0.02) x *= 1.0 / std::pow(u(rng) + 1e-6, 1.5);  // Pareto-ish tail
    out.push_back(std::floor(x) + 1);
  }
  return out;
}

const double kQuantiles[] = {0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1};

TEST(LatencySketchTest, QuantilesWithinRelativeErrorOfBruteForce) {
  auto values = HeavyTailed(100'000, 7);
  LatencySketch s;
  for (double v : values) s.Add(v);
  ASSERT_EQ(s.count(), values.size());
  for (double q : kQuantiles) {
    double want = BruteQuantile(values, q);
    double got = s.Quantile(q);
    EXPECT_LE(std::abs(got - want), want * LatencySketch::kRelativeAccuracy * 1.0001)
        << "q=" << q << " want=" << want << " got=" << got;
  }
  EXPECT_EQ(s.Quantile(0), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(s.Quantile(1), *std::max_element(values.begin(), values.end()));
}

TEST(LatencySketchTest, MergedSketchesAnswerLikeOneSketchOverAllValues) {
  auto values = HeavyTailed(50'000, 11);
  LatencySketch whole;
  std::vector<LatencySketch> parts(17);
  for (size_t i = 0; i < values.size(); ++i) {
    whole.Add(values[i]);
    parts[i % parts.size()].Add(values[i]);
  }
  LatencySketch merged;
  for (const auto& p : parts) merged.Merge(p);
  EXPECT_EQ(merged.count(), whole.count());
  for (double q : kQuantiles) {
    EXPECT_DOUBLE_EQ(merged.Quantile(q), whole.Quantile(q)) << q;
    double want = BruteQuantile(values, q);
    EXPECT_LE(std::abs(merged.Quantile(q) - want), want * 0.010001) << q;
  }
}

TEST(LatencySketchTest, ZeroDurationsAndEmptySketch) {
  LatencySketch s;
  EXPECT_EQ(s.Quantile(0.5), 0);
  s.Add(0);
  s.Add(0);
  s.Add(1000);
  EXPECT_EQ(s.Quantile(0.5), 0);
  EXPECT_NEAR(s.Quantile(1), 1000, 10);
  EXPECT_EQ(s.count(), 3u);
}

TEST(LatencySketchTest, SerializationRoundTrips) {
  auto values = HeavyTailed(10'000, 3);
  LatencySketch s;
  for (double v : values) s.Add(v);
  s.Add(0);
  std::string buf;
  s.SerializeTo(&buf);
  EXPECT_LT(buf.size(), 2000u) << "a sketch should be compact";
  std::string_view in = buf;
  auto back = LatencySketch::Deserialize(&in);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(in.empty());
  for (double q : kQuantiles) EXPECT_DOUBLE_EQ(back->Quantile(q), s.Quantile(q));
  EXPECT_EQ(back->count(), s.count());
}

TEST(LatencySketchTest, DeserializeRejectsEveryTruncationAndGarbage) {
  LatencySketch s;
  for (int i = 1; i < 1000; i += 7) s.Add(i * 1000.0);
  std::string buf;
  s.SerializeTo(&buf);
  for (size_t n = 1; n < buf.size(); ++n) {
    std::string_view in(buf.data(), n);
    EXPECT_FALSE(LatencySketch::Deserialize(&in).ok()) << "prefix of " << n << " bytes";
  }
  std::string huge;
  PutVarint(&huge, 5);
  huge.append(24, '\0');
  PutVarint(&huge, 0);
  PutVarint(&huge, 0);
  PutVarint(&huge, 1ull << 40);  // absurd bucket count
  std::string_view in = huge;
  auto r = LatencySketch::Deserialize(&in);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace tracery::analysis
