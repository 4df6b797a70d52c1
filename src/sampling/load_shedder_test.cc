#include "sampling/load_shedder.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sampling/tail_sampler.h"
#include "sampling/test_traces.h"

namespace tracery::sampling {
namespace {

using testing::AddSpan;
using testing::AdjustedCountOf;
using testing::Tid;

constexpr uint64_t kS = 1'000'000'000;
constexpr uint64_t kMs = 1'000'000;

TEST(LoadShedder, AimdLowersOnOverloadAndRecoversWhenCalm) {
  LoadShedderOptions o;
  o.adjust_interval_ns = kS;
  LoadShedder s(o);
  s.Update(0);
  EXPECT_DOUBLE_EQ(s.keep_fraction(), 1.0);
  s.RecordStoreWrite(Status::ResourceExhausted("full"), 0, kS / 2);
  EXPECT_DOUBLE_EQ(s.keep_fraction(), 1.0) << "one step per interval";
  s.Update(kS);
  EXPECT_DOUBLE_EQ(s.keep_fraction(), 0.5);
  s.RecordStoreWrite(Status::Ok(), 2 * kS /*slow*/, kS + 1);
  s.Update(2 * kS);
  EXPECT_DOUBLE_EQ(s.keep_fraction(), 0.25) << "latency above target is overload too";
  s.Update(3 * kS);
  EXPECT_DOUBLE_EQ(s.keep_fraction(), 0.30);
  EXPECT_TRUE(s.AdmitBatch().ok());
  // Whole traces, consistently: the same id gets the same answer.
  int kept = 0;
  for (uint64_t i = 0; i < 10000; ++i) {
    EXPECT_EQ(s.KeepTrace(Tid(i)), s.KeepTrace(Tid(i)));
    kept += s.KeepTrace(Tid(i));
  }
  EXPECT_NEAR(kept / 10000.0, 0.30, 0.02);
}

TEST(LoadShedder, MemoryNearLimitShedsThenRefusesWithRetryHint) {
  uint64_t used = 0;
  LoadShedderOptions o;
  o.memory_limit_bytes = 1000;
  o.memory_usage_bytes = [&] { return used; };
  LoadShedder s(o);
  s.Update(0);
  used = 850;  // above soft (80%)
  s.Update(kS);
  EXPECT_DOUBLE_EQ(s.keep_fraction(), 0.5);
  EXPECT_TRUE(s.AdmitBatch().ok());
  used = 990;  // above hard (95%)
  s.Update(2 * kS);
  Status st = s.AdmitBatch();
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted);
  EXPECT_NE(st.message().find("retry after 1 s"), std::string::npos) << st.message();
  used = 100;
  s.Update(3 * kS);
  EXPECT_TRUE(s.AdmitBatch().ok());
}

TEST(LoadShedder, StoreRefusingAtMinimumFractionRefusesBatches) {
  LoadShedderOptions o;
  o.min_keep_fraction = 0.25;
  LoadShedder s(o);
  s.Update(0);
  for (uint64_t i = 1; i <= 4; ++i) {
    s.RecordStoreWrite(Status::ResourceExhausted("store over capacity"), 0, i * kS);
  }
  EXPECT_DOUBLE_EQ(s.keep_fraction(), 0.25);
  EXPECT_EQ(s.AdmitBatch().code(), Status::Code::kResourceExhausted);
}

// Regression: a full disk (Unavailable) lowered the keep fraction to the
// minimum, so for ~20 s after space returned the pipeline answered 200 while
// dropping ~99% of traces (found by tests/crash/full_disk_test.py).
TEST(LoadShedder, FullDiskDoesNotShedAcknowledgedTracesAfterRecovery) {
  LoadShedder s(LoadShedderOptions{});
  s.Update(0);
  for (uint64_t i = 1; i <= 10; ++i) {
    s.RecordStoreWrite(Status::Unavailable("no space left on device"), 0, i * kS);
  }
  EXPECT_DOUBLE_EQ(s.keep_fraction(), 1.0);
  EXPECT_TRUE(s.AdmitBatch().ok());
  s.RecordStoreWrite(Status::Ok(), 0, 11 * kS);
  EXPECT_DOUBLE_EQ(s.keep_fraction(), 1.0);
}

// A store that takes at most `capacity_spans_per_s` spans per simulated
// second and refuses the rest with ResourceExhausted (whole batches).
struct CapacityStore {
  const uint64_t* now;
  uint64_t capacity_spans_per_s;
  uint64_t second = UINT64_MAX, used = 0;
  std::map<model::TraceId, std::vector<model::Span>> traces;
  uint64_t stored_spans = 0, refused_writes = 0;
  Status Write(const model::SpanBatch& b) {
    if (*now / kS != second) second = *now / kS, used = 0;
    if (used + b.spans.size() > capacity_spans_per_s) {
      ++refused_writes;
      return Status::ResourceExhausted("store over capacity");
    }
    used += b.spans.size();
    stored_spans += b.spans.size();
    for (const auto& s : b.spans) traces[s.trace_id].push_back(s);
    return Status::Ok();
  }
};

// Offers five times what the store can take, for a simulated minute.
TEST(LoadShedderOverload, ShedsWholeTracesKeepsErrorsAndRareAndStaysBounded) {
  uint64_t now = 0;
  CapacityStore store{&now, 2000};
  LoadShedderOptions so;
  so.store_latency_target_ns = 0;
  LoadShedder shedder(so);
  TailSamplerOptions to;
  to.clock_ns = [&] { return now; };
  to.decision_wait_ns = 2 * kS;
  to.completion_grace_ns = 100 * kMs;
  to.max_buffered_spans = 20'000;
  to.max_pending_write_spans = 10'000;
  to.max_write_batch_spans = 500;
  auto policies = ParseTailPolicies(R"({"policies":[
      {"name":"errors","type":"error"},
      {"name":"rare","type":"rare","per_window":20,"window_s":10},
      {"name":"all","type":"probabilistic","probability":1}]})");
  ASSERT_TRUE(policies.ok());
  auto set = TailPolicySet::Create(std::move(*policies));
  ASSERT_TRUE(set.ok());
  TailSampler sampler(to, std::move(*set), [&](const model::SpanBatch& b) { return store.Write(b); }, &shedder);

  constexpr int kSpansPerTrace = 5;
  std::set<uint64_t> error_traces, rare_traces;
  uint64_t next_trace = 1;
  std::vector<uint64_t> children_next_step;  // roots arrive first, children 10 ms later
  const uint64_t warmup_end = 20 * kS;
  double min_keep_fraction = 1.0;
  for (uint64_t step = 0; step <= 6000; ++step) {  // 60 s in 10 ms steps
    now = step * 10 * kMs;
    model::SpanBatch batch;
    for (uint64_t t : children_next_step) {
      const bool error = error_traces.count(t) > 0;
      const std::string op = rare_traces.count(t) ? "rare-op" : "busy-op";
      AddSpan(batch, t, 2, 1, "api", op + "/db", now, 1000);
      AddSpan(batch, t, 3, 1, "api", op + "/cache", now, 1000, error);
      AddSpan(batch, t, 4, 2, "db", "query", now, 1000);
      AddSpan(batch, t, 5, 2, "db", "fetch", now, 1000);
    }
    children_next_step.clear();
    if (step == 6000) {  // the last roots' children; no new traces
      sampler.Offer(std::move(batch));
      break;
    }
    // 2,000 traces/s = 10,000 spans/s offered: 5x the store's capacity.
    for (int i = 0; i < 20; ++i) {
      const uint64_t t = next_trace++;
      std::string op = "busy-op";
      if (t % 100 == 0) error_traces.insert(t);
      if (step % 100 == 0 && i == 0) {  // one rare trace per second
        rare_traces.insert(t);
        op = "rare-op";
      }
      AddSpan(batch, t, 1, 0, "api", op, now, 1000);
      children_next_step.push_back(t);
    }
    sampler.Offer(std::move(batch));
    if (step % 10 == 0) sampler.Tick();
    min_keep_fraction = std::min(min_keep_fraction, shedder.keep_fraction());
    auto st = sampler.stats();
    ASSERT_LE(st.buffered_spans, to.max_buffered_spans);
    ASSERT_LE(st.pending_write_spans, to.max_pending_write_spans);
  }
  now += 10 * kS;
  for (int i = 0; i < 50; ++i) {
    now += 200 * kMs;
    sampler.Tick();
  }
  auto st = sampler.stats();
  EXPECT_LT(min_keep_fraction, 0.3) << "overload must have been noticed";
  EXPECT_GT(st.traces_shed, 10'000u);

  // Every stored trace is complete.
  size_t incomplete = 0;
  for (const auto& [id, spans] : store.traces) {
    std::set<uint64_t> ids;
    for (const auto& s : spans) ids.insert(s.span_id.value);
    if (ids.size() != kSpansPerTrace) ++incomplete;
  }
  EXPECT_EQ(incomplete, 0u) << "of " << store.traces.size() << " stored traces";

  // Errors and rare traces offered after warm-up are kept, with count 1.
  size_t errors_after = 0, errors_kept = 0, rare_after = 0, rare_kept = 0;
  for (uint64_t t : error_traces) {
    if ((t / 20) * 10 * kMs < warmup_end) continue;
    ++errors_after;
    auto it = store.traces.find(Tid(t));
    if (it != store.traces.end()) {
      ++errors_kept;
      EXPECT_DOUBLE_EQ(AdjustedCountOf(it->second[0]), 1.0);
    }
  }
  for (uint64_t t : rare_traces) {
    if ((t / 20) * 10 * kMs < warmup_end) continue;
    ++rare_after;
    rare_kept += store.traces.count(Tid(t));
  }
  EXPECT_GT(errors_after, 700u);
  EXPECT_GE(errors_kept, errors_after * 99 / 100) << "errors kept " << errors_kept << "/" << errors_after;
  EXPECT_GE(rare_kept, rare_after * 99 / 100) << "rare kept " << rare_kept << "/" << rare_after;

  // Shed traces are represented: stored busy traces carry count > 1.
  double represented = 0;
  for (const auto& [id, spans] : store.traces) represented += AdjustedCountOf(spans[0]);
  const double offered = static_cast<double>(next_trace - 1);
  std::printf("offered %.0f traces, stored %zu (%lu spans), represented %.0f, keep fraction %.3f, "
              "refused writes %lu, lost %lu\n",
              offered, store.traces.size(), static_cast<unsigned long>(store.stored_spans), represented,
              shedder.keep_fraction(), static_cast<unsigned long>(store.refused_writes),
              static_cast<unsigned long>(st.traces_lost_store_refused));
  EXPECT_LE(store.stored_spans, 2000u * 72);
  // Adjusted counts make the stored sample stand for the offered traffic.
  EXPECT_NEAR(represented / offered, 1.0, 0.1);
}

}  // namespace
}  // namespace tracery::sampling
