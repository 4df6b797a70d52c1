#include "sampling/tail_policies.h"

#include <gtest/gtest.h>

#include "sampling/consistent_trace_hash.h"
#include "sampling/test_traces.h"

namespace tracery::sampling {
namespace {

using testing::AddSpan;
using testing::Tid;

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kS = 1'000'000'000;

std::unique_ptr<TailPolicySet> Make(const std::string& json) {
  auto p = ParseTailPolicies(json);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  auto set = TailPolicySet::Create(std::move(*p));
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  return std::move(*set);
}

model::SpanBatch Trace(uint64_t id, bool error = false, uint64_t root_ms = 10, const std::string& op = "GET /a") {
  model::SpanBatch b;
  AddSpan(b, id, 1, 0, "frontend", op, 0, root_ms * kMs);
  AddSpan(b, id, 2, 1, "backend", "query", 1 * kMs, 2 * kMs, error);
  return b;
}

TEST(TailPolicies, ErrorPolicyKeepsTracesWithAnErrorSpan) {
  auto set = Make(R"({"policies":[{"name":"errors","type":"error"}]})");
  EXPECT_TRUE(set->Decide(Trace(1, true), 0).keep);
  TailDecision d = set->Decide(Trace(2, false), 0);
  EXPECT_FALSE(d.keep);
  EXPECT_EQ(d.policy_index, -1);
  d = set->Decide(Trace(3, true), 0);
  EXPECT_TRUE(d.priority);
  EXPECT_DOUBLE_EQ(d.adjusted_count, 1.0);
}

TEST(TailPolicies, LatencyWholeTraceAndPerOperation) {
  auto whole = Make(R"({"policies":[{"type":"latency","threshold_ms":500}]})");
  EXPECT_TRUE(whole->Decide(Trace(1, false, 600), 0).keep);
  EXPECT_FALSE(whole->Decide(Trace(2, false, 400), 0).keep);

  // Only the backend "query" span counts: it lasts 2 ms.
  auto per_op = Make(R"({"policies":[{"type":"latency","threshold_ms":2,"service":"backend","operation":"query"}]})");
  EXPECT_TRUE(per_op->Decide(Trace(3, false, 1), 0).keep);
  auto per_op_slow = Make(R"({"policies":[{"type":"latency","threshold_ms":3,"service":"backend"}]})");
  EXPECT_FALSE(per_op_slow->Decide(Trace(4, false, 900), 0).keep) << "a slow root must not match a backend rule";
}

TEST(TailPolicies, RareKeepsFirstNPerWindowPerOperation) {
  auto set = Make(R"({"policies":[{"type":"rare","per_window":2,"window_s":10}]})");
  EXPECT_TRUE(set->Decide(Trace(1), 0).keep);
  EXPECT_TRUE(set->Decide(Trace(2), 1 * kS).keep);
  EXPECT_FALSE(set->Decide(Trace(3), 2 * kS).keep);
  EXPECT_TRUE(set->Decide(Trace(4, false, 10, "GET /other"), 3 * kS).keep) << "another root operation is rare";
  EXPECT_TRUE(set->Decide(Trace(5), 11 * kS).keep) << "a new window starts over";
}

TEST(TailPolicies, AttributeEqualsAndRegexOnSpanOrResource) {
  auto eq = Make(R"({"policies":[{"type":"attribute","key":"user.tier","value":"gold"}]})");
  auto re = Make(R"({"policies":[{"type":"attribute","key":"service.name","regex":"^back"}]})");
  model::SpanBatch t = Trace(1);
  EXPECT_FALSE(eq->Decide(t, 0).keep);
  t.spans[1].attributes.push_back({"user.tier", model::AnyValue::String("gold")});
  EXPECT_TRUE(eq->Decide(t, 0).keep);
  EXPECT_TRUE(re->Decide(Trace(2), 0).keep) << "resource attribute service.name=backend";
  auto re_miss = Make(R"({"policies":[{"type":"attribute","key":"service.name","regex":"^nomatch$"}]})");
  EXPECT_FALSE(re_miss->Decide(Trace(3), 0).keep);
  // Non-string values compare by their rendering.
  auto code = Make(R"({"policies":[{"type":"attribute","key":"http.status_code","value":"503"}]})");
  model::SpanBatch t2 = Trace(4);
  t2.spans[0].attributes.push_back({"http.status_code", model::AnyValue::Int(503)});
  EXPECT_TRUE(code->Decide(t2, 0).keep);
}

// Regex results are remembered per value; values sharing a memo slot, long
// values (not remembered) and a value seen again must each get their own
// answer.
TEST(TailPolicies, RegexResultsAreRememberedPerExactValue) {
  auto set = Make(R"({"policies":[{"type":"attribute","key":"tier","regex":"^gold-[0-9]*7$"}]})");
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 500; ++i) {
      model::SpanBatch t = Trace(static_cast<uint64_t>(i));
      std::string v = (i % 2 ? "gold-" : "silver-") + std::to_string(i);
      if (i % 5 == 0) v = "gold-" + std::string(40, '1') + std::to_string(i);  // too long for the memo
      t.spans[1].attributes.push_back({"tier", model::AnyValue::String(v)});
      const bool want = v.rfind("gold-", 0) == 0 && v.back() == '7';
      EXPECT_EQ(set->Decide(t, 0).keep, want) << v;
    }
  }
}

TEST(TailPolicies, MoreThanSixtyFourPoliciesAreRejected) {
  std::string json = R"({"policies":[)";
  for (int i = 0; i < 65; ++i) json += std::string(i ? "," : "") + R"({"type":"error"})";
  json += "]}";
  auto p = ParseTailPolicies(json);
  ASSERT_TRUE(p.ok());
  auto set = TailPolicySet::Create(std::move(*p));
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().ToString().find("at most 64"), std::string::npos) << set.status().ToString();
}

// A resource attribute counts only for traces with a span of that resource.
TEST(TailPolicies, AttributeOnAnUnusedResourceDoesNotMatch) {
  auto set = Make(R"({"policies":[{"type":"attribute","key":"service.name","value":"billing"}]})");
  model::SpanBatch t = Trace(1);
  model::Resource billing;
  billing.attributes.push_back({"service.name", model::AnyValue::String("billing")});
  t.resources.push_back(billing);
  EXPECT_FALSE(set->Decide(t, 0).keep);
  t.spans[1].resource_index = static_cast<uint32_t>(t.resources.size() - 1);
  EXPECT_TRUE(set->Decide(t, 0).keep);
}

TEST(TailPolicies, ProbabilisticIsConsistentOnTraceIdWithAdjustedCount) {
  auto set = Make(R"({"policies":[{"type":"probabilistic","probability":0.25}]})");
  int kept = 0;
  for (uint64_t i = 0; i < 20000; ++i) {
    TailDecision d = set->Decide(Trace(i), 0);
    EXPECT_EQ(d.keep, TraceIdSampled(Tid(i), 0.25));
    if (d.keep) {
      ++kept;
      EXPECT_DOUBLE_EQ(d.adjusted_count, 4.0);
      EXPECT_FALSE(d.priority);
    }
  }
  EXPECT_NEAR(kept / 20000.0, 0.25, 0.02);
}

TEST(TailPolicies, RateLimitCapsTracesPerSecond) {
  auto set = Make(R"({"policies":[{"type":"rate_limit","traces_per_second":10}]})");
  int kept = 0;
  // 100 traces/s for 5 s.
  for (uint64_t i = 0; i < 500; ++i) kept += set->Decide(Trace(i), i * 10 * kMs).keep;
  EXPECT_GE(kept, 45);
  EXPECT_LE(kept, 60);  // 5 s x 10/s plus a one-second burst
}

TEST(TailPolicies, BudgetFallsThroughToLaterPolicies) {
  // Errors up to 5/s, then the rest at 50%.
  auto set = Make(R"({"policies":[{"name":"errors","type":"error","max_traces_per_second":5},
                                   {"name":"base","type":"probabilistic","probability":0.5}]})");
  int by_errors = 0, by_base = 0, dropped = 0;
  for (uint64_t i = 0; i < 100; ++i) {  // 100 error traces within 1 s
    TailDecision d = set->Decide(Trace(i, true), i * kMs);
    if (d.policy_index == 0) {
      ++by_errors;
    } else if (d.policy_index == 1) {
      ++by_base;
      EXPECT_DOUBLE_EQ(d.adjusted_count, 2.0);
    } else {
      ++dropped;
    }
  }
  EXPECT_EQ(by_errors, 5);
  EXPECT_GT(by_base, 20);
  EXPECT_GT(dropped, 20);
  EXPECT_EQ(set->kept_by_policy()[0], 5u);
}

TEST(TailPolicies, ParseErrorsNameThePolicy) {
  struct Case {
    const char* json;
    const char* expect;
  } cases[] = {
      {"{", "not valid JSON"},
      {R"({"rules":[]})", "expected {\"policies\""},
      {R"({"policies":[{"type":"nope"}]})", "policies[0].type"},
      {R"({"policies":[{"type":"latency"}]})", "threshold_ms"},
      {R"({"policies":[{"type":"attribute","key":"k"}]})", "needs \"value\" or \"regex\""},
      {R"({"policies":[{"type":"probabilistic","probability":-1}]})", "probability"},
      {R"({"policies":[{"type":"rare","per_window":0}]})", "per_window"},
  };
  for (const auto& c : cases) {
    auto r = ParseTailPolicies(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
  }
  auto bad_regex = ParseTailPolicies(R"({"policies":[{"name":"r","type":"attribute","key":"k","regex":"(unclosed"}]})");
  ASSERT_TRUE(bad_regex.ok());
  auto set = TailPolicySet::Create(std::move(*bad_regex));
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("invalid regex"), std::string::npos);
  auto zero_p = TailPolicySet::Create({TailPolicy{.name = "z", .type = TailPolicy::Type::kProbabilistic,
                                                  .probability = 0}});
  EXPECT_FALSE(zero_p.ok());
}

}  // namespace
}  // namespace tracery::sampling
