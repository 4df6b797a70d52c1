#include "server/server_options.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "query/search_params.h"
#include "server/query_handlers.h"
#include "storage/clickhouse/clickhouse_store.h"

namespace tracery::server {

Result<HttpServerOptions> ListenOptions(const std::string& name, const std::string& addr, const ServerConfig& c) {
  HttpServerOptions o;
  o.name = name;
  if (!SplitHostPort(addr, &o.address, &o.port)) {
    return Status::InvalidArgument("--" + name + "-addr: expected host:port, got '" + addr + "'");
  }
  o.max_body_bytes = c.max_request_bytes;
  o.worker_threads = c.http_workers;
  o.tls_cert_file = c.tls_cert;
  o.tls_key_file = c.tls_key;
  o.tls_client_ca_file = c.tls_client_ca;
  if (name == "query" || name == "tempo") {
    // Heavy queries (searches, dependencies, analysis) run at most
    // --query-concurrency at a time: more would only share the same cores
    // and all finish late. Cheap ones (a trace by id, service lists, the UI)
    // have their own lane, so they never wait behind a search. Requests
    // queue (bounded) rather than fail fast: 1,000 simultaneous queries are
    // served, not 503'd. Heavy-query workers run at a lower priority than
    // ingest (--query-nice; in the query storm, nice 5 made searches' p95
    // 1.5-1.8 s against 1.0-1.2 s at nice 2, with ingest kept up at both).
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    o.worker_threads = c.query_concurrency > 0 ? c.query_concurrency : std::max(2, cores);
    o.is_light = QueryHandlers::IsLightRequest;
    o.light_worker_threads = 2;
    o.max_inflight_requests = 4096;
    o.worker_nice = c.query_nice;
  }
  return o;
}

Result<query::QueryApiOptions> QueryOptions(const ServerConfig& c) {
  query::QueryApiOptions qo;
  qo.max_spans_per_trace = c.max_spans_per_trace;
  auto staleness = query::ParseDuration(c.query_cache_staleness);
  if (!staleness.ok()) return Status::InvalidArgument("--query-cache-staleness: " + staleness.status().message());
  qo.response_cache_max_staleness_ms = *staleness / 1'000'000;
  qo.response_cache_max_bytes = c.query_cache_bytes;
  return qo;
}

Result<storage::EmbeddedStoreOptions> EmbeddedStoreOptionsFrom(const ServerConfig& c) {
  auto retention = query::ParseDuration(c.retention);
  if (!retention.ok()) return Status::InvalidArgument("--retention: " + retention.status().message());
  storage::EmbeddedStoreOptions so;
  so.data_dir = c.data_dir;
  so.wal_sync = c.wal_fsync == "always"     ? storage::WalSyncPolicy::kGroupCommit
                : c.wal_fsync == "interval" ? storage::WalSyncPolicy::kInterval
                                            : storage::WalSyncPolicy::kNone;
  so.wal_sync_interval_ms = c.wal_fsync_interval_ms;
  so.memtable_max_bytes = c.memtable_bytes;
  so.retention_period_ns = *retention;
  so.max_disk_bytes = c.max_disk_bytes;
  return so;
}

Result<std::unique_ptr<storage::SpanStore>> OpenStore(const ServerConfig& c, bool on_cluster_ddl) {
  auto so = EmbeddedStoreOptionsFrom(c);
  if (!so.ok()) return so.status();
  const auto t0 = std::chrono::steady_clock::now();
  if (c.storage == "clickhouse") {
    storage::ClickHouseStoreOptions co;
    co.url = c.clickhouse_url;
    co.database = c.clickhouse_database;
    co.cluster = c.clickhouse_cluster;
    co.on_cluster_ddl = on_cluster_ddl;
    co.retention_days =
        static_cast<uint32_t>(std::max<uint64_t>(1, so->retention_period_ns / (24ull * 3600 * 1'000'000'000)));
    auto store = storage::ClickHouseStore::Open(co);
    if (!store.ok()) {
      return Status(store.status().code(), "opening ClickHouse at " + c.clickhouse_url + ": " +
                                               store.status().message() + " (is it running? check --clickhouse-url)");
    }
    spdlog::info("ClickHouse store open at {} (database {})", c.clickhouse_url, c.clickhouse_database);
    return std::unique_ptr<storage::SpanStore>(std::move(store).value());
  }
  if (c.storage != "embedded") return Status::InvalidArgument("--storage: expected embedded or clickhouse");
  auto store = storage::EmbeddedStore::Open(*so);
  if (!store.ok()) {
    return Status(store.status().code(), "opening the store in " + c.data_dir + ": " + store.status().message());
  }
  spdlog::info("embedded store open in {} ({:.0f} ms, WAL replayed)", c.data_dir,
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  return std::unique_ptr<storage::SpanStore>(std::move(store).value());
}

}  // namespace tracery::server
