#include "sampling/adaptive_sampler.h"

#include <gtest/gtest.h>

#include <random>

#include "sampling/test_traces.h"

namespace tracery::sampling {
namespace {

using testing::AddSpan;

constexpr uint64_t kS = 1'000'000'000;

double ProbabilityOf(AdaptiveSampler& a, const std::string& op) {
  for (const auto& o : a.StrategyFor("svc").operations)
    if (o.operation == op) return o.probability;
  return -1;
}

// Simulates SDKs that follow the served probabilities: each window, every
// operation's traces are head-sampled with the probability served at the
// window's start, and the sampled root spans reach the collector.
TEST(AdaptiveSampler, BusyAndRareOperationsConvergeToTarget) {
  uint64_t now = 0;
  AdaptiveSamplerOptions o;
  o.target_traces_per_second = 1.0;
  o.window_ns = 60 * kS;
  o.clock_ns = [&] { return now; };
  AdaptiveSampler a(o);
  a.Advance();  // starts the first window at t=0

  std::mt19937_64 rng(42);
  struct Op {
    const char* name;
    double rate_per_s;
  } ops[] = {{"busy", 1000}, {"rare", 0.1}};
  std::vector<double> sampled_rate_busy;
  uint64_t trace = 1;
  for (int window = 0; window < 8; ++window) {
    for (const auto& op : ops) {
      double p = ProbabilityOf(a, op.name);
      if (p < 0) p = o.initial_probability;
      std::poisson_distribution<int> offered(op.rate_per_s * 60);
      std::binomial_distribution<int> sampled(offered(rng), p);
      int n = sampled(rng);
      model::SpanBatch b;
      for (int i = 0; i < n; ++i) AddSpan(b, trace++, 1, 0, "svc", op.name);
      // Children never count: only root spans are head-sampling decisions.
      AddSpan(b, trace++, 2, 1, "svc", op.name);
      now += kS;
      a.Observe(b);
    }
    now = static_cast<uint64_t>(window + 1) * 60 * kS;
    a.Advance();
    sampled_rate_busy.push_back(ProbabilityOf(a, "busy") * 1000);
  }
  // Within 3 windows the busy operation is thinned to ~1 trace/s and stays.
  for (size_t w = 2; w < sampled_rate_busy.size(); ++w) {
    EXPECT_GT(sampled_rate_busy[w], 0.6) << "window " << w;
    EXPECT_LT(sampled_rate_busy[w], 1.6) << "window " << w;
  }
  EXPECT_DOUBLE_EQ(ProbabilityOf(a, "rare"), 1.0) << "a rare operation keeps every trace";

  auto snapshot = a.Snapshot();
  ASSERT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(snapshot[0].operation, "busy");
  EXPECT_NEAR(snapshot[0].estimated_traces_per_second, 1000, 150);
  EXPECT_NE(a.RenderJson().find("\"operation\":\"rare\""), std::string::npos);
}

TEST(AdaptiveSampler, ProbabilityRisesGraduallyWhenTrafficStops) {
  uint64_t now = 0;
  AdaptiveSamplerOptions o;
  o.window_ns = 60 * kS;
  o.clock_ns = [&] { return now; };
  AdaptiveSampler a(o);
  a.Advance();
  model::SpanBatch b;
  for (int i = 0; i < 6000; ++i) AddSpan(b, i + 1, 1, 0, "svc", "op");
  a.Observe(b);
  now = 60 * kS;
  a.Advance();
  const double p0 = ProbabilityOf(a, "op");
  EXPECT_NEAR(p0, 0.01, 1e-9);
  now = 120 * kS;
  a.Advance();
  const double p1 = ProbabilityOf(a, "op");
  EXPECT_GT(p1, p0);
  EXPECT_LE(p1, p0 * o.max_increase_factor + 1e-12) << "no jump: at most x2 per window";
}

TEST(AdaptiveSampler, OperationCountIsBounded) {
  uint64_t now = 0;
  AdaptiveSamplerOptions o;
  o.max_operations = 10;
  o.clock_ns = [&] { return now; };
  AdaptiveSampler a(o);
  model::SpanBatch b;
  for (int i = 0; i < 100; ++i) AddSpan(b, i + 1, 1, 0, "svc", "op" + std::to_string(i));
  a.Observe(b);
  EXPECT_EQ(a.Snapshot().size(), 10u);
}

}  // namespace
}  // namespace tracery::sampling
