#include "server/config.h"

#include <CLI/CLI.hpp>

namespace tracery::server {

void AddServerFlags(CLI::App* app, ServerConfig* c) {
  app->add_option("--data-dir", c->data_dir, "Directory of the embedded store")->envname("TRACERY_DATA_DIR");
  app->add_option("--otlp-grpc-addr", c->otlp_grpc_addr, "OTLP/gRPC listen address")
      ->envname("TRACERY_OTLP_GRPC_ADDR");
  app->add_option("--otlp-http-addr", c->otlp_http_addr, "OTLP/HTTP listen address")
      ->envname("TRACERY_OTLP_HTTP_ADDR");
  app->add_option("--zipkin-addr", c->zipkin_addr, "Zipkin v2 listen address (ingest and read API)")
      ->envname("TRACERY_ZIPKIN_ADDR");
  app->add_option("--query-addr", c->query_addr, "Query API and UI listen address")->envname("TRACERY_QUERY_ADDR");
  app->add_option("--admin-addr", c->admin_addr, "Admin listen address (/metrics, /healthz, /readyz)")
      ->envname("TRACERY_ADMIN_ADDR");
  app->add_option("--tempo-addr", c->tempo_addr, "Tempo-compatible API listen address (empty: off)")
      ->envname("TRACERY_TEMPO_ADDR");
  app->add_option("--ui-dir", c->ui_dir, "Directory of the built web UI")->envname("TRACERY_UI_DIR");
  app->add_option("--max-request-bytes", c->max_request_bytes, "Largest accepted ingest body (413 above)");
  app->add_option("--retention", c->retention, "How long spans are kept, e.g. 168h, 720h")
      ->envname("TRACERY_RETENTION");
  app->add_option("--max-disk-bytes", c->max_disk_bytes, "Delete oldest data above this size; 0 = no cap")
      ->envname("TRACERY_MAX_DISK_BYTES");
  app->add_option("--wal-fsync", c->wal_fsync, "always | interval | none")
      ->check(CLI::IsMember({"always", "interval", "none"}));
  app->add_option("--wal-fsync-interval-ms", c->wal_fsync_interval_ms, "fsync period with --wal-fsync interval");
  app->add_option("--memtable-bytes", c->memtable_bytes, "Memory for recent spans before they form a segment");
  app->add_option("--max-attributes-per-span", c->max_attributes_per_span, "Attributes kept per span");
  app->add_option("--max-attribute-value-bytes", c->max_attribute_value_bytes,
                  "Longer attribute values are truncated and marked");
  app->add_option("--max-spans-per-trace", c->max_spans_per_trace, "Spans returned per trace by the query APIs");
  app->add_option("--http-workers", c->http_workers, "Threads answering HTTP requests");
  app->add_option("--query-concurrency", c->query_concurrency,
                  "Searches and other heavy queries computed at once (0: one per core, at least 2)");
  app->add_option("--query-nice", c->query_nice,
                  "Nice value added to the threads computing heavy queries (0-19; higher leaves more CPU to ingest)")
      ->check(CLI::Range(0, 19));
  app->add_option("--query-cache-staleness", c->query_cache_staleness,
                  "How much older than a request a shared answer may be (e.g. 5s; default 0s: never older)");
  app->add_option("--query-cache-bytes", c->query_cache_bytes,
                  "Memory for shared query answers (0 turns sharing off)");
  app->add_option("--storage", c->storage, "Storage backend: embedded or clickhouse")
      ->check(CLI::IsMember({"embedded", "clickhouse"}))
      ->envname("TRACERY_STORAGE");
  app->add_option("--clickhouse-url", c->clickhouse_url, "ClickHouse HTTP interface (with --storage clickhouse)")
      ->envname("TRACERY_CLICKHOUSE_URL");
  app->add_option("--clickhouse-database", c->clickhouse_database, "ClickHouse database");
  app->add_option("--clickhouse-cluster", c->clickhouse_cluster, "ClickHouse cluster for Distributed tables");
  app->add_option("--sampling-addr", c->sampling_addr, "Remote sampling strategies listen address (empty: off)");
  app->add_option("--sampling-strategies-file", c->sampling_strategies_file,
                  "Jaeger-format sampling strategies file, reloaded when it changes");
  app->add_option("--default-sampling-probability", c->default_sampling_probability,
                  "Head-sampling probability served when nothing more specific applies");
  app->add_flag("--adaptive-sampling", c->adaptive_sampling, "Compute per-operation probabilities from traffic");
  app->add_option("--adaptive-target-tps", c->adaptive_target_tps, "Adaptive target traces/s per operation");
  app->add_option("--tail-sampling-policy-file", c->tail_sampling_policy_file,
                  "JSON tail-sampling policies; enables tail-based sampling");
  app->add_option("--tail-decision-wait", c->tail_decision_wait, "Longest wait before deciding a trace");
  app->add_option("--tail-max-buffered-spans", c->tail_max_buffered_spans, "Spans held awaiting decisions");
  app->add_option("--memory-limit-bytes", c->memory_limit_bytes, "With --shed-load: shed near this RSS; 0 = off");
  app->add_flag("--shed-load", c->shed_load,
                "Under overload, sample harder (drop whole low-value traces) instead of only answering 429");
  app->add_flag("--multi-tenancy", c->multi_tenancy,
                "Separate tenants by X-Scope-OrgID (or token), each with its own store")
      ->envname("TRACERY_MULTI_TENANCY");
  app->add_option("--max-open-tenants", c->max_open_tenants, "Tenant stores kept open at once");
  app->add_option("--auth-tokens-file", c->auth_tokens_file,
                  "Bearer tokens (JSON or `token tenant [ingest|query|all]` lines), reloaded when changed")
      ->envname("TRACERY_AUTH_TOKENS_FILE");
  app->add_option("--tls-cert", c->tls_cert, "PEM certificate chain: serve TLS on every listener")
      ->envname("TRACERY_TLS_CERT");
  app->add_option("--tls-key", c->tls_key, "PEM private key of --tls-cert")->envname("TRACERY_TLS_KEY");
  app->add_option("--tls-client-ca", c->tls_client_ca, "PEM CA: require client certificates it signed (mutual TLS)")
      ->envname("TRACERY_TLS_CLIENT_CA");
  app->add_option("--tenant-ingest-rate", c->tenant_ingest_rate, "Spans/s each tenant may send (429 above); 0 = no limit");
  app->add_option("--tenant-ingest-burst", c->tenant_ingest_burst, "Spans a tenant may send at once; 0 = one second's worth");
  app->add_option("--tenant-max-disk-bytes", c->tenant_max_disk_bytes,
                  "Per-tenant disk cap with --multi-tenancy: oldest data dropped above it; 0 = none");
  app->add_option("--log-level", c->log_level, "trace, debug, info, warn, error")->envname("TRACERY_LOG_LEVEL");
}

std::string DescribeConfig(const ServerConfig& c) {
  std::string s;
  auto line = [&](const char* k, const std::string& v) { s += std::string("  ") + k + " = " + v + "\n"; };
  line("data-dir", c.data_dir);
  line("otlp-grpc-addr", c.otlp_grpc_addr);
  line("otlp-http-addr", c.otlp_http_addr);
  line("zipkin-addr", c.zipkin_addr);
  line("query-addr", c.query_addr);
  line("admin-addr", c.admin_addr);
  line("tempo-addr", c.tempo_addr.empty() ? "(off)" : c.tempo_addr);
  line("ui-dir", c.ui_dir.empty() ? "(auto)" : c.ui_dir);
  line("max-request-bytes", std::to_string(c.max_request_bytes));
  line("retention", c.retention);
  line("max-disk-bytes", std::to_string(c.max_disk_bytes));
  line("wal-fsync", c.wal_fsync + (c.wal_fsync == "interval" ? " (" + std::to_string(c.wal_fsync_interval_ms) + " ms)" : ""));
  line("memtable-bytes", std::to_string(c.memtable_bytes));
  line("max-attributes-per-span", std::to_string(c.max_attributes_per_span));
  line("max-attribute-value-bytes", std::to_string(c.max_attribute_value_bytes));
  line("max-spans-per-trace", std::to_string(c.max_spans_per_trace));
  line("http-workers", std::to_string(c.http_workers));
  line("query-concurrency", c.query_concurrency > 0 ? std::to_string(c.query_concurrency) : "(one per core)");
  line("query-nice", std::to_string(c.query_nice));
  line("query-cache", c.query_cache_bytes == 0 ? "off" : "staleness " + c.query_cache_staleness + ", " +
                                                        std::to_string(c.query_cache_bytes) + " bytes");
  line("storage", c.storage + (c.storage == "clickhouse" ? " (" + c.clickhouse_url + ")" : ""));
  line("sampling-addr", c.sampling_addr.empty() ? "(off)" : c.sampling_addr);
  line("sampling-strategies-file", c.sampling_strategies_file.empty() ? "(none)" : c.sampling_strategies_file);
  line("adaptive-sampling", c.adaptive_sampling ? "on" : "off");
  line("tail-sampling", c.tail_sampling_policy_file.empty() ? "off" : c.tail_sampling_policy_file +
                            " (wait " + c.tail_decision_wait + ")");
  line("memory-limit-bytes", std::to_string(c.memory_limit_bytes));
  line("shed-load", c.shed_load ? "on" : "off");
  line("multi-tenancy", c.multi_tenancy ? "on (max open tenants " + std::to_string(c.max_open_tenants) + ")" : "off");
  // The file's path only: tokens are never printed.
  line("auth-tokens-file", c.auth_tokens_file.empty() ? "(none: no authentication)" : c.auth_tokens_file);
  line("tls", c.tls_cert.empty() ? "off" : c.tls_cert + (c.tls_client_ca.empty() ? "" : " (mutual, CA " + c.tls_client_ca + ")"));
  line("tenant-ingest-rate", c.tenant_ingest_rate > 0 ? std::to_string(c.tenant_ingest_rate) + " spans/s" : "unlimited");
  line("tenant-max-disk-bytes", std::to_string(c.tenant_max_disk_bytes));
  return s;
}

bool SplitHostPort(const std::string& addr, std::string* host, uint16_t* port) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon + 1 >= addr.size()) return false;
  std::string h = addr.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned long p = 0;
  for (size_t i = colon + 1; i < addr.size(); ++i) {
    if (addr[i] < '0' || addr[i] > '9') return false;
    p = p * 10 + (addr[i] - '0');
    if (p > 65535) return false;
  }
  *host = h.empty() ? "0.0.0.0" : h;
  *port = static_cast<uint16_t>(p);
  return true;
}

}  // namespace tracery::server
