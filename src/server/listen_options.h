// How a ServerConfig turns into the options of each HTTP listener and of
// the query APIs: one place for all-in-one, the cluster roles and tenants.
#pragma once

#include <string>

#include "common/status.h"
#include "query/query_api_options.h"
#include "server/config.h"
#include "server/http_server.h"

namespace tracery::server {

// Options of the listener `name` ("otlp-http", "zipkin", "query", "tempo",
// "admin", ...) on `addr` (host:port): body limit, TLS files, workers. The
// query and Tempo listeners get two lanes (QueryHandlers::IsLightRequest):
// heavy requests bounded by --query-concurrency, a bounded queue instead of
// fast 503s, and workers that yield the CPU to ingest.
Result<HttpServerOptions> ListenOptions(const std::string& name, const std::string& addr, const ServerConfig& c);

// The query APIs' limits and response cache from the configuration.
// InvalidArgument when --query-cache-ttl is not a duration.
Result<query::QueryApiOptions> QueryOptions(const ServerConfig& c);

}  // namespace tracery::server
