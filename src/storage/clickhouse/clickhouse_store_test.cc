// Runs the SpanStore conformance suite against ClickHouseStore on a real
// clickhouse-server (plain tables, and Distributed tables over a one-shard
// cluster), plus behaviour specific to ClickHouse: retention by partition
// and errors when ClickHouse is unreachable.
#include "storage/clickhouse/clickhouse_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

#include "storage/clickhouse/clickhouse_test_server.h"
#include "storage/testing/span_store_conformance.h"

namespace tracery::storage {
namespace {

using clickhouse::ClickHouseTestServer;
using testing::SpanStoreConformanceTest;
using testing::SpanStoreFactory;

// One server per test process, started on first use and stopped at exit.
struct SharedServer {
  std::unique_ptr<ClickHouseTestServer> server;
  Status status;
};
SharedServer& Server() {
  static SharedServer* s = [] {
    auto* shared = new SharedServer;
    auto started = ClickHouseTestServer::Start();
    if (started.ok()) {
      shared->server = std::move(started).value();
      std::atexit([] { Server().server.reset(); });
    } else {
      shared->status = started.status();
    }
    return shared;
  }();
  return *s;
}

ClickHouseStoreOptions FreshOptions() {
  static std::atomic<int> counter{0};
  ClickHouseStoreOptions o;
  o.url = Server().server ? Server().server->url() : "";
  o.database = "tracery_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  o.min_insert_interval_ms = 0;
  o.retention_days = 0;
  return o;
}

std::unique_ptr<SpanStore> MakeStore(ClickHouseStoreOptions o, std::string* error) {
  if (!Server().server) {
    *error = Server().status.ToString();
    return nullptr;
  }
  auto store = ClickHouseStore::Open(std::move(o));
  if (!store.ok()) {
    *error = store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
}

INSTANTIATE_TEST_SUITE_P(
    ClickHouse, SpanStoreConformanceTest,
    ::testing::Values(SpanStoreFactory{"Plain", [](std::string* e) { return MakeStore(FreshOptions(), e); }},
                      SpanStoreFactory{"Distributed",
                                       [](std::string* e) {
                                         // The one-shard cluster of scripts/clickhouse/start; no
                                         // ZooKeeper there, so DDL runs on this node only.
                                         ClickHouseStoreOptions o = FreshOptions();
                                         o.cluster = "tracery_test_one_shard";
                                         o.on_cluster_ddl = false;
                                         return MakeStore(std::move(o), e);
                                       }}),
    testing::SpanStoreFactoryName);

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

model::SpanBatch OneSpanTrace(uint64_t n, uint64_t start_ns) {
  model::SpanBatch b;
  b.resources.push_back(model::Resource{{{"service.name", model::AnyValue::String("svc")}}, 0, ""});
  b.scopes.emplace_back();
  model::Span s;
  s.trace_id = model::TraceId::FromHighLow(n, n);
  s.span_id.value = n;
  s.name = "op";
  s.start_time_unix_nano = start_ns;
  s.end_time_unix_nano = start_ns + 1000;
  b.spans.push_back(s);
  return b;
}

TEST(ClickHouseStoreTest, DropExpiredPartitionsRemovesDaysPastRetentionOnly) {
  ASSERT_TRUE(Server().server) << Server().status.ToString();
  ClickHouseStoreOptions o = FreshOptions();
  o.retention_days = 7;
  o.retention_check_interval_ms = 0;  // no background thread: the test calls it itself
  auto store = ClickHouseStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const uint64_t now = NowNs();
  const uint64_t day = clickhouse::kNanosPerDay;
  ASSERT_TRUE((*store)->Write(OneSpanTrace(1, now - 10 * day)).ok());
  ASSERT_TRUE((*store)->Write(OneSpanTrace(2, now - day)).ok());
  ASSERT_TRUE((*store)->Write(OneSpanTrace(3, now)).ok());

  auto dropped = (*store)->DropExpiredPartitions(now);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(*dropped, 3u) << "the old day's partition of spans, trace_index and operations";
  EXPECT_EQ((*store)->GetTrace(model::TraceId::FromHighLow(1, 1), 10).status().code(),
            Status::Code::kNotFound);
  EXPECT_TRUE((*store)->GetTrace(model::TraceId::FromHighLow(2, 2), 10).ok());
  EXPECT_TRUE((*store)->GetTrace(model::TraceId::FromHighLow(3, 3), 10).ok());
  dropped = (*store)->DropExpiredPartitions(now);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 0u);
}

TEST(ClickHouseStoreTest, StatsReportStoredSpansAndBytes) {
  ASSERT_TRUE(Server().server) << Server().status.ToString();
  auto store = ClickHouseStore::Open(FreshOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE((*store)->Write(OneSpanTrace(i, NowNs())).ok());
  StoreStats s = (*store)->Stats();
  EXPECT_EQ(s.spans_written, 3u);
  EXPECT_EQ(s.spans_stored, 3u);
  EXPECT_GT(s.bytes_on_disk, 0u);
  EXPECT_GE(s.segments, 3u);
}

TEST(ClickHouseStoreTest, OpenReportsUnavailableWhenNothingListens) {
  ClickHouseStoreOptions o;
  o.url = "http://127.0.0.1:1";  // reserved port, never listening
  o.connect_timeout_ms = 500;
  auto store = ClickHouseStore::Open(o);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kUnavailable) << store.status().ToString();
}

TEST(ClickHouseStoreTest, OpenRejectsABadUrl) {
  ClickHouseStoreOptions o;
  o.url = "ftp://somewhere";
  auto store = ClickHouseStore::Open(o);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kInvalidArgument);
}

TEST(ClickHouseStoreTest, WriteFailsRetryablyAfterTheServerStops) {
  // A server of its own, stopped mid-test.
  auto own = ClickHouseTestServer::Start();
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  if ((*own)->dir().empty()) GTEST_SKIP() << "TRACERY_CLICKHOUSE_URL is set: cannot stop that server";
  ClickHouseStoreOptions o = FreshOptions();
  o.url = (*own)->url();
  o.connect_timeout_ms = 500;
  auto store = ClickHouseStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Write(OneSpanTrace(1, NowNs())).ok());
  own->reset();  // stops the server
  Status st = (*store)->Write(OneSpanTrace(2, NowNs()));
  EXPECT_EQ(st.code(), Status::Code::kUnavailable) << st.ToString();
  auto q = (*store)->GetTrace(model::TraceId::FromHighLow(1, 1), 10);
  EXPECT_EQ(q.status().code(), Status::Code::kUnavailable) << q.status().ToString();
}

}  // namespace
}  // namespace tracery::storage
