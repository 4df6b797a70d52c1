// An in-process stand-in for a database or cache server, so the demo's
// services show realistic `db.*` CLIENT spans without running PostgreSQL or
// Redis: each query records a CLIENT span with the OpenTelemetry database
// attributes and takes a realistic time (a sleep; no CPU is burnt).
//
// The data itself lives in the services (plain maps); this class only
// models the round trip to the server. Thread-safe; cheap to share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tracery/trace.h"

namespace shop {

enum class DbSystem { kPostgresql, kRedis };

struct DatastoreOptions {
  DbSystem system = DbSystem::kPostgresql;
  std::string db_name;          // db.name, e.g. "shop" or "0" (the Redis database index)
  std::string server_address;   // server.address, e.g. "postgres.shop.internal"
  uint16_t server_port = 5432;  // server.port
  double median_latency_us = 800;
};

class FakeDatastore {
 public:
  // Takes its tracer from the global provider now: construct it after
  // tracery::sdk::InitFromEnv().
  explicit FakeDatastore(DatastoreOptions options);

  // Runs one query inside a CLIENT span, a child of the current context.
  // `operation` is db.operation ("SELECT", "HGETALL"); `table` (SQL only)
  // names the table for the span name "{operation} {db_name}.{table}" (Redis
  // spans are named by the operation). `statement` is db.statement as sent.
  // The query takes a time drawn around median_latency_us * latency_factor.
  // Returns the simulated latency in microseconds.
  uint64_t Query(std::string_view operation, std::string_view table, std::string_view statement,
                 double latency_factor = 1.0) const;

  const DatastoreOptions& options() const { return options_; }

 private:
  DatastoreOptions options_;
  tracery::Tracer tracer_;
};

}  // namespace shop
