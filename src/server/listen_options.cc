#include "server/listen_options.h"

#include <algorithm>
#include <thread>

#include "query/search_params.h"
#include "server/query_handlers.h"

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
    // served, not 503'd. Query workers run at a lower priority than ingest.
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    o.worker_threads = c.query_concurrency > 0 ? c.query_concurrency : std::max(2, cores);
    o.is_light = QueryHandlers::IsLightRequest;
    o.light_worker_threads = 2;
    o.max_inflight_requests = 4096;
    o.worker_nice = 5;
  }
  return o;
}

Result<query::QueryApiOptions> QueryOptions(const ServerConfig& c) {
  query::QueryApiOptions qo;
  qo.max_spans_per_trace = c.max_spans_per_trace;
  auto ttl = query::ParseDuration(c.query_cache_ttl);
  if (!ttl.ok()) return Status::InvalidArgument("--query-cache-ttl: " + ttl.status().message());
  qo.response_cache_ttl_ms = *ttl / 1'000'000;
  qo.response_cache_max_bytes = c.query_cache_bytes;
  return qo;
}

}  // namespace tracery::server
