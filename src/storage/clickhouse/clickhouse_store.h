// ClickHouseStore: the SpanStore over a ClickHouse server or cluster, for
// deployments that outgrow one machine (stateless collectors and query
// nodes, ClickHouse holds the data). Talks to ClickHouse's HTTP interface;
// inserts and reads RowBinary. Schema: docs/formats/clickhouse.md.
//
// Thread-safety: every method may be called concurrently (SpanStore).
// Concurrent Write()s are grouped into one INSERT (group commit): the first
// writer to find no INSERT in flight sends everything queued so far; each
// writer returns once the INSERT carrying its spans was acknowledged.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "storage/clickhouse/clickhouse_http_client.h"
#include "storage/clickhouse/clickhouse_schema.h"
#include "storage/span_store.h"

namespace tracery::storage {

struct ClickHouseStoreOptions {
  std::string url = "http://127.0.0.1:8123";  // http://host[:port] of the HTTP interface
  std::string database = "tracery";
  std::string user = "default";
  std::string password;
  // Non-empty: a cluster from the servers' remote_servers config. Tables are
  // created ON CLUSTER (unless on_cluster_ddl is false) as *_local tables
  // plus Distributed tables sharded by cityHash64(trace_id).
  std::string cluster;
  bool on_cluster_ddl = true;
  bool replicated = false;  // ReplicatedMergeTree; needs ZooKeeper and macros
  bool create_schema = true;

  // Group commit: at most one INSERT in flight per store, and at least
  // min_insert_interval_ms between the starts of two INSERTs, so that
  // writers arriving meanwhile share the next one (ClickHouse wants few,
  // large inserts: each makes a part to merge).
  uint64_t min_insert_interval_ms = 100;
  // Spans queued beyond this many encoded bytes make Write() return
  // ResourceExhausted at once (ClickHouse is not keeping up).
  size_t max_pending_bytes = 256u << 20;

  // Partitions (days) older than this many days are dropped at Open and
  // then every retention_check_interval_ms by a background thread; 0 keeps
  // all. An interval of 0 starts no thread (call DropExpiredPartitions).
  uint32_t retention_days = 7;
  uint64_t retention_check_interval_ms = 3'600'000;

  uint64_t connect_timeout_ms = 2'000;
  uint64_t request_timeout_ms = 30'000;

  // FindTraces looks for matching spans up to this long after the search's
  // latest start time (spans of traces that started in range but run
  // longer are not seen). 0: no bound (exact, slower on old ranges).
  uint64_t max_trace_duration_ns = 3'600'000'000'000ULL;

  // ScanSpans reads this many traces per query.
  size_t scan_page_traces = 1000;
};

class ClickHouseStore : public SpanStore {
 public:
  // Connects, checks the server version, creates the schema when asked, and
  // starts the retention thread. Unavailable when ClickHouse cannot be
  // reached; InvalidArgument for bad options.
  static Result<std::unique_ptr<ClickHouseStore>> Open(ClickHouseStoreOptions options);
  ~ClickHouseStore() override;

  Status Write(const model::SpanBatch& batch) override;
  Result<model::SpanBatch> GetTrace(const model::TraceId& id, size_t max_spans) override;
  Result<FindResult> FindTraces(const TraceQuery& query) override;
  Result<std::vector<std::string>> GetServices() override;
  Result<std::vector<Operation>> GetOperations(const std::string& service,
                                               std::optional<model::SpanKind> kind) override;
  Result<std::vector<DependencyLink>> GetDependencies(uint64_t start_ns, uint64_t end_ns) override;
  Status ScanSpans(uint64_t start_ns, uint64_t end_ns,
                   const std::function<bool(const model::SpanBatch&)>& fn) override;
  Status Flush() override;
  // spans_stored, bytes_on_disk and segments (active parts) are read from
  // system.parts of the node the store talks to (in a cluster: that node's
  // shard only); zero when ClickHouse does not answer.
  StoreStats Stats() override;

  // Drops every day partition that ended more than retention_days before
  // `now_unix_nano`. Returns the number of partitions dropped. Called
  // periodically by the retention thread; public for tests and tools.
  Result<size_t> DropExpiredPartitions(uint64_t now_unix_nano);

  clickhouse::ServerVersion server_version() const { return version_; }
  const clickhouse::SchemaFeatures& features() const { return features_; }

 private:
  struct InsertGroup;

  ClickHouseStore(ClickHouseStoreOptions options, clickhouse::HttpClientOptions http);
  Status Init();
  Status Insert(const std::string& rows);
  void RetentionLoop();
  std::vector<std::pair<std::string, std::string>> ReadSettings(uint64_t timeout_ms) const;

  const ClickHouseStoreOptions options_;
  clickhouse::ClickHouseHttpClient client_;
  clickhouse::ServerVersion version_;
  clickhouse::SchemaFeatures features_;
  clickhouse::TableNames tables_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<InsertGroup> pending_;                     // GUARDED_BY(mu_)
  size_t pending_bytes_ = 0;                                 // GUARDED_BY(mu_)
  bool insert_in_flight_ = false;                            // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point last_insert_start_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                                    // GUARDED_BY(mu_)
  std::atomic<uint64_t> spans_written_{0};
  std::atomic<uint64_t> pending_spans_{0};
  std::thread retention_thread_;
};

}  // namespace tracery::storage
