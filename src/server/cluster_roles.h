// The split roles of a Tracery deployment over ClickHouse:
//
//   tracery collector --storage clickhouse --clickhouse-url URL
//                     --cluster-self HOST:PORT --cluster-members A:P,B:P,...
//     receivers (OTLP gRPC/HTTP, Zipkin), tail sampling, routing of spans by
//     trace id across the collectors (src/cluster/), and writes to storage
//     through a local staging WAL. No query API or UI.
//   tracery query --storage clickhouse --clickhouse-url URL
//     the query APIs (Jaeger, Zipkin, Tempo), trace analysis and the UI. No
//     receivers.
//
// Both serve the admin port (/metrics, /healthz, /readyz). docs/cluster.md.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "server/config.h"

namespace CLI {
class App;
}

namespace tracery::server {

// Collector-only settings (flags on the `collector` subcommand).
struct ClusterConfig {
  std::string self;     // --cluster-self host:port: this collector's cluster address (peers use it)
  std::string members;  // --cluster-members host:port,...: static list (may include self)
  std::string dns;      // --cluster-dns NAME[:PORT]: A records are members, re-resolved periodically
  // --cluster-listen-addr: where the cluster port listens; empty: 0.0.0.0 and the port of --cluster-self.
  std::string listen_addr;
  // --cluster-wal-dir: the staging WAL of acknowledged spans not yet in
  // ClickHouse; empty: <data-dir>/staging-wal.
  std::string wal_dir;
  uint64_t check_interval_ms = 1000;  // --cluster-check-interval-ms
  int failures_to_leave = 3;          // --cluster-failures-to-leave
};

void AddClusterFlags(CLI::App* collector_command, ClusterConfig* config);

class CollectorRole {
 public:
  CollectorRole(ServerConfig config, ClusterConfig cluster);
  ~CollectorRole();
  // Opens the store (delivering spans a previous run left in the staging
  // WAL), joins the cluster and starts the receivers. On error nothing runs.
  Status Start();
  // Stops accepting, decides what the tail sampler holds, delivers the WAL.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class QueryRole {
 public:
  explicit QueryRole(ServerConfig config);
  ~QueryRole();
  Status Start();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tracery::server
