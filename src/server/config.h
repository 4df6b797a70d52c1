// ServerConfig: every setting of the `tracery` binary in one place, with
// its default, its flag and (for the common ones) its environment variable.
// Printed at start-up.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace tracery::server {

struct ServerConfig {
  // --data-dir / TRACERY_DATA_DIR: where the embedded store keeps its files.
  std::string data_dir = "./data";
  // Listen addresses (host:port); standard ports are conventions users rely on.
  std::string otlp_grpc_addr = "0.0.0.0:4317";   // --otlp-grpc-addr / TRACERY_OTLP_GRPC_ADDR
  std::string otlp_http_addr = "0.0.0.0:4318";   // --otlp-http-addr / TRACERY_OTLP_HTTP_ADDR
  std::string zipkin_addr = "0.0.0.0:9411";      // --zipkin-addr / TRACERY_ZIPKIN_ADDR
  std::string query_addr = "0.0.0.0:16686";      // --query-addr / TRACERY_QUERY_ADDR
  std::string admin_addr = "0.0.0.0:14269";      // --admin-addr / TRACERY_ADMIN_ADDR
  // --tempo-addr: Grafana Tempo-compatible API (TraceQL) on Tempo's port;
  // empty disables it (the same API is always on the query address too).
  std::string tempo_addr = "0.0.0.0:3200";
  // --ui-dir / TRACERY_UI_DIR: the built web UI; empty: found next to the binary.
  std::string ui_dir;
  // --max-request-bytes: larger ingest bodies are answered 413.
  uint64_t max_request_bytes = 16ull << 20;
  // --retention / TRACERY_RETENTION: how long spans are kept (Go duration).
  std::string retention = "168h";
  // --max-disk-bytes / TRACERY_MAX_DISK_BYTES: second bound; 0 = none.
  uint64_t max_disk_bytes = 0;
  // --wal-fsync: always (every group commit is fsynced before the ack),
  // interval (fsync every --wal-fsync-interval-ms), none (OS decides).
  std::string wal_fsync = "always";
  uint32_t wal_fsync_interval_ms = 100;
  // --memtable-bytes: memory held by recent, not yet segmented spans.
  uint64_t memtable_bytes = 128ull << 20;
  // Ingest limits: values over them are truncated and marked, not dropped.
  uint32_t max_attributes_per_span = 128;
  uint32_t max_attribute_value_bytes = 64 * 1024;
  uint32_t max_spans_per_trace = 100000;  // the query side returns at most this many
  // Worker threads answering HTTP requests (ingest and query).
  int http_workers = 8;
  // --query-concurrency: searches and other heavy queries computed at once
  // on the query port (0: one per core, at least 2); more wait in line.
  int query_concurrency = 0;
  // Added to the nice value of the threads computing heavy queries, so that
  // a storm of searches takes the CPU that ingest leaves rather than
  // ingest's: 0 shares equally; higher favours ingest more. Linux only.
  int query_nice = 2;
  // Identical query GETs share one computation (QueryResponseCache). Its
  // answer is at most --query-cache-staleness older than a request that
  // takes it (Go duration; "0s": never older than the request);
  // --query-cache-bytes bounds what is kept (0 turns sharing off).
  std::string query_cache_staleness = "0s";
  uint64_t query_cache_bytes = 64ull << 20;
  // Storage backend: "embedded" (default) or "clickhouse".
  std::string storage = "embedded";                    // --storage / TRACERY_STORAGE
  std::string clickhouse_url = "http://127.0.0.1:8123";  // --clickhouse-url / TRACERY_CLICKHOUSE_URL
  std::string clickhouse_database = "tracery";
  std::string clickhouse_cluster;                      // non-empty: Distributed tables over this cluster

  // Sampling. Remote head-sampling strategies are served on --sampling-addr
  // (Jaeger's agent port) and on the OTLP/HTTP port at /api/sampling.
  std::string sampling_addr = "0.0.0.0:5778";          // --sampling-addr; empty: off
  std::string sampling_strategies_file;                // --sampling-strategies-file (Jaeger format, reloaded)
  double default_sampling_probability = 1.0;           // served when no file/adaptive strategy applies
  bool adaptive_sampling = false;                      // --adaptive-sampling
  double adaptive_target_tps = 1.0;                    // --adaptive-target-tps, per operation
  std::string tail_sampling_policy_file;               // --tail-sampling-policy-file (JSON); empty: off
  std::string tail_decision_wait = "10s";              // --tail-decision-wait
  uint64_t tail_max_buffered_spans = 500000;           // --tail-max-buffered-spans
  uint64_t memory_limit_bytes = 0;                     // --memory-limit-bytes; 0: no memory-based shedding
  // --shed-load: under overload (store refusing or slow, memory near the
  // limit) sample harder by dropping whole low-value traces (errors and rare
  // traces kept; kept spans carry their adjusted count) instead of only
  // answering 429. Off by default: then every acknowledged span is stored.
  bool shed_load = false;

  // Security (docs/security.md).
  // --multi-tenancy: the tenant of each request comes from X-Scope-OrgID
  // (gRPC metadata x-scope-orgid) or its token; each tenant has its own
  // store in DATA_DIR/tenants/<tenant>/. Off: one tenant, header ignored.
  bool multi_tenancy = false;
  uint32_t max_open_tenants = 64;        // --max-open-tenants: idle ones past this are closed
  std::string auth_tokens_file;          // --auth-tokens-file / TRACERY_AUTH_TOKENS_FILE; empty: no authentication
  std::string tls_cert;                  // --tls-cert / TRACERY_TLS_CERT: PEM chain; with --tls-key, TLS on every listener
  std::string tls_key;                   // --tls-key / TRACERY_TLS_KEY
  std::string tls_client_ca;             // --tls-client-ca: require client certificates signed by this CA
  double tenant_ingest_rate = 0;         // --tenant-ingest-rate: spans/s per tenant; 0 = unlimited
  double tenant_ingest_burst = 0;        // --tenant-ingest-burst: spans; 0 = one second's worth
  uint64_t tenant_max_disk_bytes = 0;    // --tenant-max-disk-bytes: per-tenant store cap (oldest dropped); 0 = none

  // --log-level: trace, debug, info, warn, error.
  std::string log_level = "info";
};

// Registers every field as a flag (and env var) on `app`.
void AddServerFlags(CLI::App* app, ServerConfig* config);
// One line per setting, for the start-up log.
std::string DescribeConfig(const ServerConfig& config);

// Splits "host:port" (IPv6 as "[::1]:4317"); false when malformed.
bool SplitHostPort(const std::string& addr, std::string* host, uint16_t* port);

}  // namespace tracery::server
