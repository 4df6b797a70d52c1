#include "storage/clickhouse/clickhouse_schema.h"

#include <gtest/gtest.h>

namespace tracery::storage::clickhouse {
namespace {

bool Contains(const std::vector<std::string>& stmts, std::string_view needle) {
  for (const auto& s : stmts)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}

TEST(ClickHouseSchemaTest, ParsesServerVersions) {
  auto v = ServerVersion::Parse("18.16.1\n");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->major, 18);
  EXPECT_EQ(v->minor, 16);
  v = ServerVersion::Parse("23.8.2.7");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->AtLeast(20, 1));
  EXPECT_FALSE(ServerVersion::Parse("banana").ok());
  EXPECT_FALSE(ServerVersion::Parse("").ok());
}

TEST(ClickHouseSchemaTest, Debian12ServerGetsThePlainSchema) {
  SchemaFeatures f = SchemaFeatures::For({18, 16});
  EXPECT_FALSE(f.column_codecs || f.ttl || f.low_cardinality || f.skip_indexes);
  SchemaOptions o;
  o.retention_days = 7;
  auto stmts = SchemaStatements(o, f);
  EXPECT_FALSE(Contains(stmts, "CODEC"));
  EXPECT_FALSE(Contains(stmts, "TTL"));
  EXPECT_FALSE(Contains(stmts, "LowCardinality"));
  EXPECT_FALSE(Contains(stmts, "INDEX"));
  EXPECT_TRUE(Contains(stmts, "PARTITION BY start_day ORDER BY (service, start_time_ns)"));
  EXPECT_TRUE(Contains(stmts, "PARTITION BY start_day ORDER BY trace_id"));
}

TEST(ClickHouseSchemaTest, NewServersGetCodecsTtlAndSkipIndexes) {
  SchemaOptions o;
  o.retention_days = 30;
  auto stmts = SchemaStatements(o, SchemaFeatures::For({23, 8}));
  EXPECT_TRUE(Contains(stmts, "CODEC(Delta, ZSTD(1))"));
  EXPECT_TRUE(Contains(stmts, "TTL start_day + INTERVAL 30 DAY"));
  EXPECT_TRUE(Contains(stmts, "LowCardinality(String)"));
  EXPECT_TRUE(Contains(stmts, "TYPE bloom_filter"));
}

TEST(ClickHouseSchemaTest, ClusterSchemaShardsByTraceIdOnReplicatedLocalTables) {
  SchemaOptions o;
  o.cluster = "traces";
  o.replicated = true;
  auto stmts = SchemaStatements(o, SchemaFeatures::For({18, 16}));
  EXPECT_TRUE(Contains(stmts, "`tracery`.spans_local ON CLUSTER `traces`"));
  EXPECT_TRUE(
      Contains(stmts, "ReplicatedMergeTree('/clickhouse/tables/{shard}/tracery.spans_local', '{replica}')"));
  EXPECT_TRUE(Contains(stmts, "Distributed(`traces`, `tracery`, spans_local, cityHash64(trace_id))"));
  TableNames t = TableNamesFor(o);
  EXPECT_EQ(t.spans, "`tracery`.spans");
  EXPECT_EQ(t.spans_local, "`tracery`.spans_local");
}

TEST(ClickHouseSchemaTest, LiteralsEscapeEverythingDangerous) {
  EXPECT_EQ(SqlString("it's"), "'it\\'s'");
  EXPECT_EQ(SqlString("a\\b"), "'a\\\\b'");
  EXPECT_EQ(SqlString(std::string("\0\n", 2)), "'\\x00\\x0A'");
  EXPECT_EQ(SqlIdent("we`ird"), "`we\\`ird`");
}

TEST(ClickHouseSchemaTest, DatesRoundTrip) {
  EXPECT_EQ(SqlDate(0), "'1970-01-01'");
  EXPECT_EQ(SqlDate(19723), "'2024-01-01'");
  EXPECT_EQ(ParseDate("2024-01-01"), 19723);
  EXPECT_EQ(ParseDate("2024-13-01"), -1);
  EXPECT_EQ(ParseDate("20240101"), -1);
}

}  // namespace
}  // namespace tracery::storage::clickhouse
