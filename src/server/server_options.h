// How a ServerConfig turns into the options of the components it wires:
// each HTTP listener, the query APIs, the store. One place for all-in-one,
// the cluster roles and tenants.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "query/query_api_options.h"
#include "server/config.h"
#include "server/http_server.h"
#include "storage/embedded_store.h"
#include "storage/span_store.h"

namespace tracery::server {

// Options of the listener `name` ("otlp-http", "zipkin", "query", "tempo",
// "admin", ...) on `addr` (host:port): body limit, TLS files, workers. The
// query and Tempo listeners get two lanes (QueryHandlers::IsLightRequest):
// heavy requests bounded by --query-concurrency, a bounded queue instead of
// fast 503s, and workers that yield the CPU to ingest.
Result<HttpServerOptions> ListenOptions(const std::string& name, const std::string& addr, const ServerConfig& c);

// The query APIs' limits and response cache from the configuration.
// InvalidArgument when --query-cache-staleness is not a duration.
Result<query::QueryApiOptions> QueryOptions(const ServerConfig& c);

// The embedded store's options (--data-dir, --wal-fsync, --memtable-bytes,
// --retention, --max-disk-bytes). InvalidArgument for a bad --retention.
Result<storage::EmbeddedStoreOptions> EmbeddedStoreOptionsFrom(const ServerConfig& c);

// Opens the store --storage names. `on_cluster_ddl`: ClickHouse DDL runs ON
// CLUSTER (all-in-one); the cluster roles pass false (ON CLUSTER needs
// ZooKeeper: start a role once against each shard to create its tables).
Result<std::unique_ptr<storage::SpanStore>> OpenStore(const ServerConfig& c, bool on_cluster_ddl);

}  // namespace tracery::server
