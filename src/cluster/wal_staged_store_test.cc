#include "cluster/wal_staged_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

namespace tracery::cluster {
namespace {

// An inner store that records what it was given and can refuse writes
// (ClickHouse down).
class RecordingStore : public storage::SpanStore {
 public:
  std::atomic<bool> available{true};
  std::mutex mu;
  size_t spans = 0;

  Status Write(const model::SpanBatch& b) override {
    if (!available) return Status::Unavailable("down");
    std::lock_guard<std::mutex> lock(mu);
    spans += b.spans.size();
    return Status::Ok();
  }
  size_t Spans() {
    std::lock_guard<std::mutex> lock(mu);
    return spans;
  }
  Result<model::SpanBatch> GetTrace(const model::TraceId&, size_t) override { return Status::NotFound("x"); }
  Result<storage::FindResult> FindTraces(const storage::TraceQuery&) override { return storage::FindResult{}; }
  Result<std::vector<std::string>> GetServices() override { return std::vector<std::string>{}; }
  Result<std::vector<storage::Operation>> GetOperations(const std::string&, std::optional<model::SpanKind>) override {
    return std::vector<storage::Operation>{};
  }
  Result<std::vector<storage::DependencyLink>> GetDependencies(uint64_t, uint64_t) override {
    return std::vector<storage::DependencyLink>{};
  }
  Status ScanSpans(uint64_t, uint64_t, const std::function<bool(const model::SpanBatch&)>&) override {
    return Status::Ok();
  }
  Status Flush() override { return available ? Status::Ok() : Status::Unavailable("down"); }
  storage::StoreStats Stats() override { return {}; }
};

model::SpanBatch Batch(uint64_t trace, int spans) {
  model::SpanBatch b;
  b.resources.push_back({});
  b.scopes.push_back({});
  for (int i = 0; i < spans; ++i) {
    model::Span s;
    s.trace_id = model::TraceId::FromHighLow(trace, trace);
    s.span_id.value = static_cast<uint64_t>(i + 1);
    s.name = "op";
    s.start_time_unix_nano = 1'000'000'000ull * (i + 1);
    s.end_time_unix_nano = s.start_time_unix_nano + 1000;
    b.spans.push_back(s);
  }
  return b;
}

class WalStagedStoreTest : public ::testing::Test {
 protected:
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("wal_staged_" + std::to_string(::getpid()) + "_" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                        .string();
  void TearDown() override { std::filesystem::remove_all(dir); }
};

TEST_F(WalStagedStoreTest, AcknowledgedSpansReachTheInnerStoreAndTheLogEmpties) {
  auto inner = std::make_unique<RecordingStore>();
  RecordingStore* rec = inner.get();
  WalStagedStoreOptions o;
  o.dir = dir;
  o.ship_interval_ms = 10;
  auto store = WalStagedStore::Open(o, std::move(inner));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) ASSERT_TRUE((*store)->Write(Batch(t * 1000 + i, 3)).ok());
    });
  for (auto& w : writers) w.join();
  ASSERT_TRUE((*store)->Flush().ok());
  EXPECT_EQ(rec->Spans(), 4u * 50 * 3);
  EXPECT_EQ((*store)->staged_bytes(), 0u);
}

TEST_F(WalStagedStoreTest, SpansAcknowledgedWhileBackendDownAreDeliveredAfterRestart) {
  {
    auto inner = std::make_unique<RecordingStore>();
    inner->available = false;
    WalStagedStoreOptions o;
    o.dir = dir;
    o.ship_interval_ms = 10;
    auto store = WalStagedStore::Open(o, std::move(inner));
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE((*store)->Write(Batch(i + 1, 5)).ok());
    EXPECT_GT((*store)->staged_bytes(), 0u);
    EXPECT_FALSE((*store)->Flush().ok());
    // Destroyed with the backend still down: like a crash, the log stays.
  }
  auto inner = std::make_unique<RecordingStore>();
  RecordingStore* rec = inner.get();
  WalStagedStoreOptions o;
  o.dir = dir;
  auto store = WalStagedStore::Open(o, std::move(inner));
  ASSERT_TRUE(store.ok());
  EXPECT_GT((*store)->staged_bytes(), 0u);
  ASSERT_TRUE((*store)->Flush().ok());
  EXPECT_EQ(rec->Spans(), 50u);
  EXPECT_EQ((*store)->staged_bytes(), 0u);
}

TEST_F(WalStagedStoreTest, WriteIsRefusedRetryablyPastTheStagingBound) {
  auto inner = std::make_unique<RecordingStore>();
  inner->available = false;
  WalStagedStoreOptions o;
  o.dir = dir;
  o.max_staged_bytes = 2000;
  auto store = WalStagedStore::Open(o, std::move(inner));
  ASSERT_TRUE(store.ok());
  Status st;
  for (int i = 0; i < 100 && st.ok(); ++i) st = (*store)->Write(Batch(i + 1, 5));
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted);
  EXPECT_NE(st.message().find("retry later"), std::string::npos);
}

}  // namespace
}  // namespace tracery::cluster
