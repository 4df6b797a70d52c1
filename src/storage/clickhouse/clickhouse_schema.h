// The ClickHouse schema of Tracery: table definitions that adapt to the
// server's version, and the SQL literal helpers every statement uses.
// docs/formats/clickhouse.md documents every table and column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tracery::storage::clickhouse {

struct ServerVersion {
  int major = 0;
  int minor = 0;
  // Parses the answer of SELECT version(), e.g. "18.16.1" or "23.8.2.7".
  static Result<ServerVersion> Parse(std::string_view text);
  bool AtLeast(int maj, int min) const { return major > maj || (major == maj && minor >= min); }
};

// What the schema may use on a given server. Debian 12's 18.16 has none of
// these (LowCardinality exists there but is experimental).
struct SchemaFeatures {
  bool column_codecs = false;    // CODEC(Delta, ZSTD): 19.11+
  bool ttl = false;              // table TTL: 19.6+
  bool low_cardinality = false;  // LowCardinality(String), no longer experimental: 19.3+
  bool skip_indexes = false;     // bloom_filter data-skipping indexes, not experimental: 20.1+
  static SchemaFeatures For(ServerVersion v);
};

struct SchemaOptions {
  std::string database = "tracery";
  // Non-empty: DDL runs ON CLUSTER, data lives in *_local tables and is read
  // and written through Distributed tables of the plain names, sharded by
  // cityHash64(trace_id) so that a trace lives on one shard.
  std::string cluster;
  bool replicated = false;      // ReplicatedMergeTree (needs ZooKeeper and {shard}/{replica} macros)
  bool on_cluster_ddl = true;   // with a cluster: issue DDL ON CLUSTER (needs ZooKeeper)
  uint32_t retention_days = 0;  // > 0 and the server has TTL: a table TTL as a second line of defence
};

// Names of the tables that hold data on each node (what retention drops
// partitions of) and of the tables queries read (Distributed ones in a
// cluster, the same tables otherwise).
struct TableNames {
  std::string spans, trace_index, operations;                    // read and insert targets
  std::string spans_local, trace_index_local, operations_local;  // storage tables
};
TableNames TableNamesFor(const SchemaOptions& options);

// CREATE ... IF NOT EXISTS statements, in the order they must run.
std::vector<std::string> SchemaStatements(const SchemaOptions& options, SchemaFeatures features);

// 'text' as a ClickHouse string literal, any bytes allowed.
std::string SqlString(std::string_view text);
// `name` as a quoted identifier (backticks).
std::string SqlIdent(std::string_view name);
// A FixedString(16) literal of raw bytes.
std::string SqlFixed16(const uint8_t bytes[16]);
// A Date literal 'YYYY-MM-DD' for days since 1970-01-01.
std::string SqlDate(uint32_t days_since_epoch);
// Days since 1970-01-01 of a 'YYYY-MM-DD' partition name; -1 when malformed.
int64_t ParseDate(std::string_view text);

inline constexpr uint64_t kNanosPerDay = 86'400'000'000'000ULL;

}  // namespace tracery::storage::clickhouse
