#include "storage/clickhouse/clickhouse_schema.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace tracery::storage::clickhouse {

Result<ServerVersion> ServerVersion::Parse(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  ServerVersion v;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  auto r1 = std::from_chars(p, end, v.major);
  if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != '.')
    return Status::InvalidArgument("unrecognised ClickHouse version '" + std::string(text) + "'");
  auto r2 = std::from_chars(r1.ptr + 1, end, v.minor);
  if (r2.ec != std::errc())
    return Status::InvalidArgument("unrecognised ClickHouse version '" + std::string(text) + "'");
  return v;
}

SchemaFeatures SchemaFeatures::For(ServerVersion v) {
  SchemaFeatures f;
  f.column_codecs = v.AtLeast(19, 11);
  f.ttl = v.AtLeast(19, 6);
  f.low_cardinality = v.AtLeast(19, 3);
  f.skip_indexes = v.AtLeast(20, 1);
  return f;
}

TableNames TableNamesFor(const SchemaOptions& o) {
  TableNames t;
  std::string db = SqlIdent(o.database) + ".";
  t.spans = db + "spans";
  t.trace_index = db + "trace_index";
  t.operations = db + "operations";
  if (o.cluster.empty()) {
    t.spans_local = t.spans;
    t.trace_index_local = t.trace_index;
    t.operations_local = t.operations;
  } else {
    t.spans_local = db + "spans_local";
    t.trace_index_local = db + "trace_index_local";
    t.operations_local = db + "operations_local";
  }
  return t;
}

std::vector<std::string> SchemaStatements(const SchemaOptions& o, SchemaFeatures f) {
  const TableNames t = TableNamesFor(o);
  const bool cluster = !o.cluster.empty();
  const std::string on_cluster = cluster && o.on_cluster_ddl ? " ON CLUSTER " + SqlIdent(o.cluster) : "";
  const std::string lc_string = f.low_cardinality ? "LowCardinality(String)" : "String";
  auto codec = [&](std::string_view c) {
    return f.column_codecs ? " CODEC(" + std::string(c) + ")" : std::string();
  };
  auto engine = [&](std::string_view kind, std::string_view table) {
    if (cluster && o.replicated) {
      return "Replicated" + std::string(kind) + "('/clickhouse/tables/{shard}/" + o.database + "." +
             std::string(table) + "', '{replica}')";
    }
    return std::string(kind) + "()";
  };
  auto ttl = [&]() {
    return f.ttl && o.retention_days > 0
               ? " TTL start_day + INTERVAL " + std::to_string(o.retention_days) + " DAY"
               : std::string();
  };
  auto local_name = [&](const std::string& qualified) { return qualified.substr(qualified.rfind('.') + 1); };

  std::vector<std::string> out;
  out.push_back("CREATE DATABASE IF NOT EXISTS " + SqlIdent(o.database) + on_cluster);

  std::string spans = "CREATE TABLE IF NOT EXISTS " + t.spans_local + on_cluster +
                      " (\n"
                      "  start_day Date" +
                      codec("Delta, ZSTD(1)") +
                      ",\n"
                      "  trace_id FixedString(16)" +
                      codec("ZSTD(1)") +
                      ",\n"
                      "  span_id UInt64" +
                      codec("ZSTD(1)") +
                      ",\n"
                      "  parent_span_id UInt64" +
                      codec("ZSTD(1)") +
                      ",\n"
                      "  start_time_ns UInt64" +
                      codec("Delta, ZSTD(1)") +
                      ",\n"
                      "  duration_ns UInt64" +
                      codec("T64, ZSTD(1)") +
                      ",\n"
                      "  service " +
                      lc_string +
                      ",\n"
                      "  name " +
                      lc_string +
                      ",\n"
                      "  kind UInt8,\n"
                      "  status_code UInt8,\n"
                      "  tag_keys Array(" +
                      lc_string + ")" + codec("ZSTD(1)") +
                      ",\n"
                      "  tag_values Array(String)" +
                      codec("ZSTD(1)") +
                      ",\n"
                      "  span_blob String" +
                      codec("ZSTD(3)");
  if (f.skip_indexes) {
    spans += ",\n  INDEX idx_trace_id trace_id TYPE bloom_filter(0.01) GRANULARITY 1";
    spans += ",\n  INDEX idx_tag_values tag_values TYPE bloom_filter(0.01) GRANULARITY 4";
    spans += ",\n  INDEX idx_duration duration_ns TYPE minmax GRANULARITY 1";
  }
  spans += "\n) ENGINE = " + engine("MergeTree", local_name(t.spans_local)) +
           " PARTITION BY start_day ORDER BY (service, start_time_ns)" + ttl();
  out.push_back(spans);

  out.push_back("CREATE TABLE IF NOT EXISTS " + t.trace_index_local + on_cluster +
                " (\n"
                "  start_day Date,\n"
                "  trace_id FixedString(16),\n"
                "  min_start_ns UInt64,\n"
                "  max_end_ns UInt64,\n"
                "  span_count UInt64,\n"
                "  error_count UInt64,\n"
                "  services Array(" +
                lc_string +
                "),\n"
                "  root_service " +
                lc_string +
                ",\n"
                "  root_name " +
                lc_string +
                ",\n"
                "  root_key UInt64\n"
                ") ENGINE = " +
                engine("MergeTree", local_name(t.trace_index_local)) +
                " PARTITION BY start_day ORDER BY trace_id" + ttl());

  out.push_back("CREATE TABLE IF NOT EXISTS " + t.operations_local + on_cluster +
                " (\n"
                "  start_day Date,\n"
                "  service " +
                lc_string +
                ",\n"
                "  name " +
                lc_string +
                ",\n"
                "  kind UInt8\n"
                ") ENGINE = " +
                engine("ReplacingMergeTree", local_name(t.operations_local)) +
                " PARTITION BY start_day ORDER BY (service, kind, name)" + ttl());

  // Materialized views fill the index tables from every block inserted into
  // the spans table, on the node that stores the block, as part of the same
  // INSERT (so the INSERT's acknowledgement covers them).
  // root_key: the start time, with the top bit set unless the span is a
  // root, so argMin(.., root_key) picks the root span or else the earliest.
  std::string db = SqlIdent(o.database) + ".";
  out.push_back(
      "CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + "trace_index_mv" + on_cluster + " TO " +
      t.trace_index_local +
      " AS SELECT start_day, trace_id, min(start_time_ns) AS min_start_ns,"
      " max(start_time_ns + duration_ns) AS max_end_ns, count() AS span_count,"
      " countIf(status_code = 2) AS error_count, groupUniqArray(service) AS services,"
      " argMin(service, if(parent_span_id = 0, start_time_ns, bitOr(start_time_ns, 9223372036854775808)))"
      " AS root_service,"
      " argMin(name, if(parent_span_id = 0, start_time_ns, bitOr(start_time_ns, 9223372036854775808)))"
      " AS root_name,"
      " min(if(parent_span_id = 0, start_time_ns, bitOr(start_time_ns, 9223372036854775808))) AS root_key"
      " FROM " +
      t.spans_local + " GROUP BY start_day, trace_id");
  out.push_back("CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + "operations_mv" + on_cluster + " TO " +
                t.operations_local + " AS SELECT start_day, service, name, kind FROM " + t.spans_local +
                " GROUP BY start_day, service, name, kind");

  if (cluster) {
    auto distributed = [&](const std::string& name, const std::string& local, std::string_view key) {
      return "CREATE TABLE IF NOT EXISTS " + name + on_cluster + " AS " + local + " ENGINE = Distributed(" +
             SqlIdent(o.cluster) + ", " + SqlIdent(o.database) + ", " + local_name(local) + ", " +
             std::string(key) + ")";
    };
    out.push_back(distributed(t.spans, t.spans_local, "cityHash64(trace_id)"));
    out.push_back(distributed(t.trace_index, t.trace_index_local, "cityHash64(trace_id)"));
    out.push_back(distributed(t.operations, t.operations_local, "cityHash64(service)"));
  }
  return out;
}

std::string SqlString(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  for (unsigned char c : text) {
    if (c == '\'' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('\'');
  return out;
}

std::string SqlIdent(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

std::string SqlFixed16(const uint8_t bytes[16]) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "toFixedString(unhex('";
  for (int i = 0; i < 16; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  out += "'), 16)";
  return out;
}

std::string SqlDate(uint32_t days) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "'%04d-%02u-%02u'", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

int64_t ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return -1;
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::from_chars(text.data(), text.data() + 4, y).ec != std::errc() ||
      std::from_chars(text.data() + 5, text.data() + 7, m).ec != std::errc() ||
      std::from_chars(text.data() + 8, text.data() + 10, d).ec != std::errc())
    return -1;
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return -1;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

}  // namespace tracery::storage::clickhouse
