// AllInOne: every role of Tracery in one process — receivers (OTLP/gRPC,
// OTLP/HTTP, Zipkin), the embedded store, the query APIs and UI, analysis,
// and the admin endpoints — wired from one ServerConfig.
#pragma once

#include <memory>

#include "common/status.h"
#include "server/config.h"

namespace tracery::server {

class AllInOne {
 public:
  explicit AllInOne(ServerConfig config);
  ~AllInOne();

  // Opens the store (replaying its write-ahead log) and starts every
  // listener. On error nothing is left running.
  Status Start();
  // Stops accepting, finishes in-flight requests, flushes the store.
  void Stop();

  // Bound ports (useful when the config asked for port 0).
  uint16_t otlp_http_port() const;
  int otlp_grpc_port() const;
  uint16_t zipkin_port() const;
  uint16_t query_port() const;
  uint16_t admin_port() const;

 private:
  Status StartSampling();  // REQUIRES: store and pipeline created
  // Tokens, tenants and the gateways in front of each listener's handlers.
  // REQUIRES: every single-tenant handler created
  Status StartAccessControl();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tracery::server
