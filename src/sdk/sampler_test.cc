#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "id_generator.h"
#include "sampling_plan.h"
#include "tracery/sampler.h"

namespace tracery {
namespace {

SamplingParams Root(const TraceId& id, std::string_view name = "op") {
  SamplingParams p;
  p.trace_id = id;
  p.name = name;
  return p;
}

TEST(TraceIdRatioSamplerTest, SamplesTheRequestedFraction) {
  auto s = MakeTraceIdRatioSampler(0.25);
  int sampled = 0;
  constexpr int kN = 100000;
  for (int i = 0; i < kN; ++i) {
    sampled += s->ShouldSample(Root(internal::NewTraceId())) == SamplingDecision::kRecordAndSample;
  }
  // Binomial sd = sqrt(n p (1-p)) ≈ 137; 5 sd either side.
  EXPECT_NEAR(sampled, kN / 4, 700);
}

TEST(TraceIdRatioSamplerTest, SameTraceIdSameDecisionEverywhere) {
  auto a = MakeTraceIdRatioSampler(0.3);
  auto b = MakeTraceIdRatioSampler(0.3);
  for (int i = 0; i < 10000; ++i) {
    TraceId id = internal::NewTraceId();
    EXPECT_EQ(a->ShouldSample(Root(id)), b->ShouldSample(Root(id)));
  }
  // Decided by the low 8 bytes only, as the other OTel SDKs do.
  EXPECT_EQ(a->ShouldSample(Root({0, 1})), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(a->ShouldSample(Root({~0ull, 1})), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(a->ShouldSample(Root({0, 0x7fffffffffffffffULL})), SamplingDecision::kDrop);
  EXPECT_EQ(MakeTraceIdRatioSampler(0)->ShouldSample(Root({0, 1})), SamplingDecision::kDrop);
  EXPECT_EQ(MakeTraceIdRatioSampler(1)->ShouldSample(Root({0, 0x7fffffffffffffffULL})),
            SamplingDecision::kRecordAndSample);
}

TEST(ParentBasedSamplerTest, FollowsParentAndDelegates) {
  ParentBasedOptions d;
  d.remote_parent_not_sampled = MakeAlwaysOnSampler();  // override one delegate
  auto s = MakeParentBasedSampler(MakeAlwaysOffSampler(), std::move(d));
  EXPECT_EQ(s->ShouldSample(Root({1, 2})), SamplingDecision::kDrop);  // root sampler
  SpanContext parent{{1, 2}, {3}, kTraceFlagSampled, false, {}};
  SamplingParams p = Root({1, 2});
  p.parent = &parent;
  EXPECT_EQ(s->ShouldSample(p), SamplingDecision::kRecordAndSample);  // local sampled -> on
  parent.trace_flags = 0;
  EXPECT_EQ(s->ShouldSample(p), SamplingDecision::kDrop);  // local not sampled -> off
  parent.is_remote = true;
  EXPECT_EQ(s->ShouldSample(p), SamplingDecision::kRecordAndSample);  // overridden delegate
}

// The plan StartSpan uses must decide exactly as the sampler would, for
// roots and for sampled/unsampled, local/remote parents.
void ExpectPlanMatchesSampler(Sampler& sampler, bool expect_virtual) {
  internal::SamplingPlan plan = internal::PlanSampling(sampler);
  EXPECT_EQ(plan.rule == internal::SamplingPlan::Rule::kVirtual, expect_virtual) << sampler.Description();
  for (int i = 0; i < 2000; ++i) {
    TraceId id = internal::NewTraceId();
    SamplingParams root = Root(id);
    EXPECT_EQ(plan.Decide(nullptr, root), sampler.ShouldSample(root)) << sampler.Description();
    for (uint8_t flags : {uint8_t{0}, kTraceFlagSampled}) {
      for (bool remote : {false, true}) {
        SpanContext parent{id, {7}, flags, remote, {}};
        SamplingParams child = Root(id);
        child.parent = &parent;
        EXPECT_EQ(plan.Decide(&parent, child), sampler.ShouldSample(child)) << sampler.Description();
      }
    }
  }
}

TEST(SamplingPlanTest, DecidesLikeTheBuiltInSamplersWithoutVirtualCalls) {
  ExpectPlanMatchesSampler(*MakeAlwaysOnSampler(), false);
  ExpectPlanMatchesSampler(*MakeAlwaysOffSampler(), false);
  ExpectPlanMatchesSampler(*MakeTraceIdRatioSampler(0.3), false);
  ExpectPlanMatchesSampler(*MakeTraceIdRatioSampler(0), false);
  ExpectPlanMatchesSampler(*MakeTraceIdRatioSampler(1), false);
  ExpectPlanMatchesSampler(*MakeParentBasedSampler(MakeAlwaysOnSampler()), false);
  ExpectPlanMatchesSampler(*MakeParentBasedSampler(MakeAlwaysOffSampler()), false);
  ExpectPlanMatchesSampler(*MakeParentBasedSampler(MakeTraceIdRatioSampler(0.5)), false);
}

TEST(SamplingPlanTest, OtherSamplersKeepTheirOwnDecision) {
  ParentBasedOptions d;
  d.remote_parent_not_sampled = MakeAlwaysOnSampler();
  ExpectPlanMatchesSampler(*MakeParentBasedSampler(MakeAlwaysOffSampler(), std::move(d)), true);
  // A user-written sampler, wrapped in ParentBased with the defaults: roots
  // ask it, children follow the parent.
  class NameSampler final : public Sampler {
   public:
    SamplingDecision ShouldSample(const SamplingParams& p) override {
      return p.name == "op" ? SamplingDecision::kRecordOnly : SamplingDecision::kDrop;
    }
    std::string Description() const override { return "NameSampler"; }
  };
  ExpectPlanMatchesSampler(*MakeParentBasedSampler(std::make_unique<NameSampler>()), true);
  NameSampler plain;
  ExpectPlanMatchesSampler(plain, true);
}

TEST(RateLimitingSamplerTest, AdmitsAboutTheRate) {
  auto s = MakeRateLimitingSampler(50);
  auto start = std::chrono::steady_clock::now();
  int admitted = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1000)) {
    admitted += s->ShouldSample(Root({1, 1})) == SamplingDecision::kRecordAndSample;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  // 50/s over 1 s plus the initial burst of up to 50.
  EXPECT_GE(admitted, 45);
  EXPECT_LE(admitted, 105);
  EXPECT_EQ(MakeRateLimitingSampler(0)->ShouldSample(Root({1, 1})), SamplingDecision::kDrop);
}

TEST(SamplingStrategyTest, ParsesJaegerShapes) {
  std::string err;
  auto p = ParseSamplingStrategy(R"({"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0}})", &err);
  ASSERT_TRUE(p) << err;
  EXPECT_EQ(p->ShouldSample(Root({0, 1})), SamplingDecision::kDrop);
  auto r = ParseSamplingStrategy(R"({"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":5}})", &err);
  ASSERT_TRUE(r) << err;
  int admitted = 0;
  for (int i = 0; i < 100; ++i) admitted += r->ShouldSample(Root({0, 1})) == SamplingDecision::kRecordAndSample;
  EXPECT_GE(admitted, 4);
  EXPECT_LE(admitted, 6);
  auto ops = ParseSamplingStrategy(R"({"strategyType":"PROBABILISTIC","operationSampling":{
      "defaultSamplingProbability":0,"defaultLowerBoundTracesPerSecond":0,
      "perOperationStrategies":[{"operation":"GET /x","probabilisticSampling":{"samplingRate":1}}]}})", &err);
  ASSERT_TRUE(ops) << err;
  EXPECT_EQ(ops->ShouldSample(Root({0, 12345}, "GET /x")), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(ops->ShouldSample(Root({0, 12345}, "GET /y")), SamplingDecision::kDrop);
}

TEST(SamplingStrategyTest, RejectsGarbageWithAReason) {
  const char* bad[] = {"", "not json", "[]", R"({"strategyType":"NOPE"})",
                       R"({"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":2}})",
                       R"({"strategyType":"PROBABILISTIC"})",
                       R"({"operationSampling":{"perOperationStrategies":[]}})"};
  for (const char* json : bad) {
    std::string err;
    EXPECT_EQ(ParseSamplingStrategy(json, &err), nullptr) << json;
    EXPECT_FALSE(err.empty()) << json;
  }
}

TEST(RemoteSamplerTest, FallsBackToInitialRateWhenCollectorIsAway) {
  RemoteSamplerOptions o;
  o.endpoint = "http://127.0.0.1:1/api/sampling";  // nothing listens on port 1
  o.initial_sampling_rate = 0;
  o.poll_interval = std::chrono::milliseconds(50);
  auto s = MakeRemoteSampler(o);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(s->ShouldSample(Root(internal::NewTraceId())), SamplingDecision::kDrop);
}

}  // namespace
}  // namespace tracery
