#include "analysis/span_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <thread>
#include <cstdio>
#include <filesystem>
#include <random>

#include <unistd.h>

#include "analysis/metrics_queries.h"
#include "analysis/testing/trace_builder.h"

namespace tracery::analysis {
namespace {

namespace fs = std::filesystem;
using model::SpanKind;
using testing::TraceBuilder;

// 2024-01-01T00:00:00Z, a whole hour.
constexpr uint64_t kT0 = 1704067200ULL * 1'000'000'000ULL;
constexpr uint64_t kMin = kNanosPerMinute;

class SpanMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("tracery_metrics_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
    now_ = kT0 + 5 * kMin;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<SpanMetricsAggregator> OpenAgg() {
    SpanMetricsOptions o;
    o.dir = dir_;
    o.clock_ns = [this] { return now_; };
    auto r = SpanMetricsAggregator::Open(o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::move(r).value();
  }

  std::string dir_;
  uint64_t now_ = 0;
};

TEST(NormalizeErrorMessageTest, MessagesDifferingOnlyInVariablePartsGroup) {
  EXPECT_EQ(NormalizeErrorMessage("user 42 not found"), NormalizeErrorMessage("user 7 not found"));
  EXPECT_EQ(NormalizeErrorMessage("user 42 not found"), "user <n> not found");
  EXPECT_EQ(NormalizeErrorMessage("order 3f2504e0-4f89-11d3-9a0c-0305e82c3301 failed"), "order <uuid> failed");
  EXPECT_EQ(NormalizeErrorMessage("bad pointer 0xdeadBEEF"), "bad pointer <hex>");
  EXPECT_EQ(NormalizeErrorMessage("trace 4bf92f3577b34da6a3ce929d0e0e4736 lost"), "trace <hex> lost");
  EXPECT_EQ(NormalizeErrorMessage("took 1.5s, limit 1,000ms"), "took <n>s, limit <n>ms");
  EXPECT_EQ(NormalizeErrorMessage("connection refused"), "connection refused");
  EXPECT_EQ(NormalizeErrorMessage("deadbeef is a word"), "deadbeef is a word");  // no digit: kept
  EXPECT_EQ(NormalizeErrorMessage(""), "");
}

TEST_F(SpanMetricsTest, RedCountsRatesAndErrorsAreExact) {
  auto agg = OpenAgg();
  TraceBuilder t(1, kT0 + 60 * 1'000'000'000ULL);  // minute 1
  std::vector<double> durations_ns;
  for (int i = 0; i < 120; ++i) {
    uint64_t d_us = 1000 + 37 * i;
    auto root = t.Add("cart", "GET /cart", i * 100, i * 100 + d_us, {}, SpanKind::kServer, i % 40 == 0);
    durations_ns.push_back(d_us * 1000.0);
    // A client child and an internal child: not requests.
    t.Add("cart", "SELECT", i * 100 + 1, i * 100 + 5, root, SpanKind::kClient);
    t.Add("cart", "render", i * 100 + 6, i * 100 + 8, root, SpanKind::kInternal);
  }
  // A root span of kind INTERNAL is a request too.
  t.Add("cart", "cron", 0, 10, {}, SpanKind::kInternal);
  agg->Observe(t.batch());

  auto red = QueryRed(*agg, kT0 + kMin, kT0 + 2 * kMin, "");
  ASSERT_TRUE(red.ok());
  ASSERT_EQ(red->size(), 2u);
  EXPECT_EQ((*red)[0].operation, "GET /cart");
  EXPECT_EQ((*red)[0].stats.count, 120u);
  EXPECT_EQ((*red)[0].stats.errors, 3u);
  EXPECT_EQ((*red)[1].operation, "cron");
  EXPECT_EQ((*red)[1].stats.count, 1u);
  std::sort(durations_ns.begin(), durations_ns.end());
  double p95 = durations_ns[static_cast<size_t>(0.95 * 119)];
  EXPECT_NEAR((*red)[0].stats.latency_ns.Quantile(0.95), p95, p95 * 0.01);

  // Outside the range: nothing.
  auto empty = QueryRed(*agg, kT0 + 2 * kMin, kT0 + 3 * kMin, "");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  // Service filter.
  auto other = QueryRed(*agg, kT0, kT0 + 5 * kMin, "frontend");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

TEST_F(SpanMetricsTest, LatencySeriesPerMinuteAndOverallAgainstBruteForce) {
  auto agg = OpenAgg();
  std::mt19937 rng(5);
  std::lognormal_distribution<double> dist(7, 1.2);
  std::vector<double> all_us;
  int counts[3] = {10, 0, 25};
  for (int m = 0; m < 3; ++m) {
    TraceBuilder t(100 + m, kT0 + m * kMin);
    for (int i = 0; i < counts[m]; ++i) {
      uint64_t d = 1 + static_cast<uint64_t>(dist(rng));
      all_us.push_back(double(d));
      t.Add("cart", "GET /cart", i, i + d, {}, SpanKind::kServer, i == 0);
    }
    agg->Observe(t.batch());
  }
  auto series = QueryLatency(*agg, "cart", std::nullopt, kT0, kT0 + 3 * kMin, kMin);
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->points.size(), 3u);
  EXPECT_EQ(series->points[0].stats.count, 10u);
  EXPECT_EQ(series->points[0].stats.errors, 1u);
  EXPECT_EQ(series->points[1].stats.count, 0u);
  EXPECT_EQ(series->points[2].stats.count, 25u);
  EXPECT_EQ(series->points[2].ts_ns, kT0 + 2 * kMin);
  EXPECT_EQ(series->overall.count, 35u);
  std::sort(all_us.begin(), all_us.end());
  for (double q : {0.5, 0.95, 0.99}) {
    double want_ns = all_us[static_cast<size_t>(q * (all_us.size() - 1))] * 1000;
    EXPECT_NEAR(series->overall.latency_ns.Quantile(q), want_ns, want_ns * 0.01) << q;
  }
  // A 2-minute step merges minutes 0 and 1.
  auto coarse = QueryLatency(*agg, "cart", std::string("GET /cart"), kT0, kT0 + 3 * kMin, 2 * kMin);
  ASSERT_TRUE(coarse.ok());
  ASSERT_EQ(coarse->points.size(), 2u);
  EXPECT_EQ(coarse->points[0].stats.count, 10u);
  EXPECT_EQ(coarse->points[1].stats.count, 25u);
  // Too many points is refused, not computed.
  EXPECT_FALSE(QueryLatency(*agg, "cart", std::nullopt, kT0 - 100000 * kMin, kT0, kMin).ok());
}

TEST_F(SpanMetricsTest, ErrorsGroupByNormalisedMessageWithExamples) {
  auto agg = OpenAgg();
  for (int i = 0; i < 5; ++i) {
    TraceBuilder t(10 + i, kT0);
    t.Add("cart", "GET /cart", 0, 100, {}, SpanKind::kServer, true);
    t.last().status_message = "user " + std::to_string(1000 + i * 17) + " not found";
    agg->Observe(t.batch());
  }
  TraceBuilder t(99, kT0 + kMin);
  t.Add("cart", "GET /cart", 0, 100, {}, SpanKind::kServer, true);
  model::Event ev;
  ev.name = "exception";
  ev.attributes.push_back({"exception.type", model::AnyValue::String("TimeoutError")});
  ev.attributes.push_back({"exception.message", model::AnyValue::String("timed out after 30s")});
  t.last().events.push_back(ev);
  t.Add("cart", "GET /cart", 200, 300, {}, SpanKind::kServer, false);  // not an error
  agg->Observe(t.batch());

  auto groups = QueryErrors(*agg, kT0, kT0 + 2 * kMin, kMin, "");
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->groups.size(), 2u);
  const auto& g0 = groups->groups[0];
  EXPECT_EQ(g0.message, "user <n> not found");
  EXPECT_EQ(g0.exception_type, "");
  EXPECT_EQ(g0.count, 5u);
  EXPECT_EQ(g0.example_trace_ids.size(), 3u);
  ASSERT_EQ(g0.series.size(), 2u);
  EXPECT_EQ(g0.series[0].second, 5u);
  EXPECT_EQ(g0.series[1].second, 0u);
  const auto& g1 = groups->groups[1];
  EXPECT_EQ(g1.exception_type, "TimeoutError");
  EXPECT_EQ(g1.message, "timed out after <n>s");
  EXPECT_EQ(g1.count, 1u);
  ASSERT_EQ(g1.example_trace_ids.size(), 1u);
  EXPECT_EQ(g1.example_trace_ids[0], t.trace_id());
}

TEST_F(SpanMetricsTest, ServiceMapEdgesAndUninstrumentedNodes) {
  auto agg = OpenAgg();
  // One batch with frontend and cart: the cross-service parent/child pair
  // gives frontend->cart once (not again from peer.service).
  TraceBuilder t(1, kT0);
  auto root = t.Add("frontend", "GET /", 0, 1000);
  auto call = t.Add("frontend", "GET cart", 10, 900, root, SpanKind::kClient);
  t.last().attributes.push_back({"peer.service", model::AnyValue::String("cart")});
  auto cart = t.Add("cart", "GET /cart", 20, 880, call, SpanKind::kServer);
  t.Add("cart", "SELECT orders", 30, 400, cart, SpanKind::kClient);
  t.last().attributes.push_back({"db.system", model::AnyValue::String("postgresql")});
  t.Add("cart", "GET redis", 400, 410, cart, SpanKind::kClient, true);
  t.last().attributes.push_back({"db.system", model::AnyValue::String("redis")});
  agg->Observe(t.batch());
  // A second trace from frontend alone, calling cart by peer.service.
  TraceBuilder u(2, kT0);
  auto r2 = u.Add("frontend", "GET /", 0, 500);
  u.Add("frontend", "GET cart", 10, 490, r2, SpanKind::kClient, true);
  u.last().attributes.push_back({"peer.service", model::AnyValue::String("cart")});
  agg->Observe(u.batch());

  auto map = QueryServiceMap(*agg, kT0, kT0 + kMin);
  ASSERT_TRUE(map.ok());
  ASSERT_EQ(map->nodes.size(), 4u);
  EXPECT_EQ(map->nodes[0].id, "cart");
  EXPECT_TRUE(map->nodes[0].instrumented);
  EXPECT_EQ(map->nodes[0].requests.count, 1u);
  EXPECT_EQ(map->nodes[1].id, "frontend");
  EXPECT_TRUE(map->nodes[1].instrumented);
  EXPECT_EQ(map->nodes[1].requests.count, 2u);
  EXPECT_EQ(map->nodes[2].id, "postgresql");
  EXPECT_FALSE(map->nodes[2].instrumented);
  EXPECT_EQ(map->nodes[2].requests.count, 1u);
  EXPECT_EQ(map->nodes[3].id, "redis");
  EXPECT_FALSE(map->nodes[3].instrumented);
  EXPECT_EQ(map->nodes[3].requests.errors, 1u);
  EXPECT_DOUBLE_EQ(map->instrumented_share, 0.5);

  ASSERT_EQ(map->edges.size(), 3u);
  EXPECT_EQ(map->edges[0].source, "cart");
  EXPECT_EQ(map->edges[0].target, "postgresql");
  EXPECT_EQ(map->edges[2].source, "frontend");
  EXPECT_EQ(map->edges[2].target, "cart");
  EXPECT_EQ(map->edges[2].calls.count, 2u);
  EXPECT_EQ(map->edges[2].calls.errors, 1u);
  // The in-batch edge is timed by the client span (890 us).
  EXPECT_NEAR(map->edges[2].calls.latency_ns.max(), 890'000, 1);
}

TEST_F(SpanMetricsTest, ReopenedFromDiskAnswersTheSame) {
  std::string before;
  {
    auto agg = OpenAgg();
    for (int m = 0; m < 3; ++m) {
      TraceBuilder t(m + 1, kT0 + m * kMin);
      auto root = t.Add("frontend", "GET /", 0, 1000 + m * 100, {}, SpanKind::kServer, m == 1);
      t.last().status_message = "boom " + std::to_string(m);
      t.Add("cart", "GET /cart", 10, 900, root, SpanKind::kServer);
      agg->Observe(t.batch());
    }
    now_ = kT0 + 10 * kMin;  // minutes 0..2 are now closed
    ASSERT_TRUE(agg->Tick().ok());
    EXPECT_TRUE(agg->last_write_status().ok());
    // After the tick the buckets come from disk; the answers must not change.
    auto red = QueryRed(*agg, kT0, kT0 + 3 * kMin, "");
    ASSERT_TRUE(red.ok());
    ASSERT_EQ(red->size(), 2u);
    EXPECT_EQ((*red)[1].stats.count, 3u);
  }
  EXPECT_TRUE(fs::exists(dir_ + "/metrics-" + std::to_string(kT0 / kMin / 60) + ".tsm"));
  auto agg = OpenAgg();
  auto red = QueryRed(*agg, kT0, kT0 + 3 * kMin, "");
  ASSERT_TRUE(red.ok());
  ASSERT_EQ(red->size(), 2u);
  EXPECT_EQ((*red)[0].service, "cart");
  EXPECT_EQ((*red)[0].stats.count, 3u);
  EXPECT_EQ((*red)[1].service, "frontend");
  EXPECT_EQ((*red)[1].stats.count, 3u);
  EXPECT_EQ((*red)[1].stats.errors, 1u);
  EXPECT_NEAR((*red)[1].stats.latency_ns.max(), 1'200'000, 1);
  auto map = QueryServiceMap(*agg, kT0, kT0 + 3 * kMin);
  ASSERT_TRUE(map.ok());
  ASSERT_EQ(map->edges.size(), 1u);
  EXPECT_EQ(map->edges[0].calls.count, 3u);
  auto errors = QueryErrors(*agg, kT0, kT0 + 3 * kMin, kMin, "");
  ASSERT_TRUE(errors.ok());
  ASSERT_EQ(errors->groups.size(), 1u);
  EXPECT_EQ(errors->groups[0].message, "boom <n>");

  // Late spans for a closed minute land in a new record and add up.
  TraceBuilder late(50, kT0);
  late.Add("frontend", "GET /", 0, 10);
  agg->Observe(late.batch());
  ASSERT_TRUE(agg->FlushAll().ok());
  auto again = QueryRed(*agg, kT0, kT0 + 3 * kMin, "frontend");
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].stats.count, 4u);
}

TEST_F(SpanMetricsTest, TornTailIsSkippedAndEarlierRecordsStillRead) {
  {
    auto agg = OpenAgg();
    TraceBuilder t(1, kT0);
    t.Add("frontend", "GET /", 0, 1000);
    agg->Observe(t.batch());
  }
  std::string path = dir_ + "/metrics-" + std::to_string(kT0 / kMin / 60) + ".tsm";
  {
    std::FILE* f = std::fopen(path.c_str(), "ab");
    ASSERT_NE(f, nullptr);
    const char garbage[] = "\x40\x00\x00\x00\x01\x02\x03";  // a length with no record behind it
    std::fwrite(garbage, 1, sizeof garbage - 1, f);
    std::fclose(f);
  }
  auto agg = OpenAgg();
  auto red = QueryRed(*agg, kT0, kT0 + kMin, "");
  ASSERT_TRUE(red.ok());
  ASSERT_EQ(red->size(), 1u);
  EXPECT_EQ((*red)[0].stats.count, 1u);
  EXPECT_EQ(agg->corrupt_records(), 1u);
}

TEST_F(SpanMetricsTest, FilesPastRetentionAreDeleted) {
  {
    auto agg = OpenAgg();
    TraceBuilder t(1, kT0);
    t.Add("frontend", "GET /", 0, 1000);
    agg->Observe(t.batch());
  }
  ASSERT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
  now_ = kT0 + 8ULL * 24 * 60 * kMin;  // 8 days later; retention is 7
  auto agg = OpenAgg();
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 0);
}

TEST(MinuteBucketTest, DeserializeRejectsTruncations) {
  MinuteBucket b;
  b.minute = 123;
  b.operations.push_back({"cart", "GET", SpanKind::kServer, true, {}});
  b.operations.back().stats.Add(1000, true);
  b.errors.push_back({"cart", "GET", "E", "m", 2, {model::TraceId::FromHighLow(1, 2)}});
  b.edges.push_back({"a", "b", {}});
  std::string buf;
  b.SerializeTo(&buf);
  ASSERT_TRUE(MinuteBucket::Deserialize(buf).ok());
  for (size_t n = 0; n < buf.size(); ++n)
    EXPECT_FALSE(MinuteBucket::Deserialize(std::string_view(buf.data(), n)).ok()) << n;
}

}  // namespace
}  // namespace tracery::analysis

namespace tracery::analysis {
namespace {

// Regression: Observe took the next shard's lock while still holding the
// previous one, so two threads visiting shards in opposite orders
// deadlocked (seen under load-generator traffic with 200 services).
TEST_F(SpanMetricsTest, ConcurrentObserveOfBatchesSpanningManyShardsDoesNotDeadlock) {
  auto agg = OpenAgg();
  std::vector<model::SpanBatch> forward, backward;
  for (int b = 0; b < 4; ++b) {
    TraceBuilder f(1000 + b, kT0 + kMin), r(2000 + b, kT0 + kMin);
    for (int s = 0; s < 64; ++s) {
      f.Add("svc-" + std::to_string(s), "op", 0, 10, {}, SpanKind::kServer);
      r.Add("svc-" + std::to_string(63 - s), "op", 0, 10, {}, SpanKind::kServer);
    }
    forward.push_back(f.batch());
    backward.push_back(r.batch());
  }
  auto run = [&](const std::vector<model::SpanBatch>& batches) {
    for (int i = 0; i < 300; ++i) agg->Observe(batches[i % batches.size()]);
  };
  auto done = std::async(std::launch::async, [&] {
    std::thread a(run, std::cref(forward)), b(run, std::cref(backward)), c(run, std::cref(forward));
    run(backward);
    a.join();
    b.join();
    c.join();
  });
  ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "Observe deadlocked";
  auto red = QueryRed(*agg, kT0 + kMin, kT0 + 2 * kMin, "svc-0");
  ASSERT_TRUE(red.ok());
  ASSERT_EQ(red->size(), 1u);
  EXPECT_EQ((*red)[0].stats.count, 4u * 300u);
}

}  // namespace
}  // namespace tracery::analysis
