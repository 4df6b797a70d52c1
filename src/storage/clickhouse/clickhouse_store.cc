#include "storage/clickhouse/clickhouse_store.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "storage/clickhouse/row_binary.h"
#include "storage/clickhouse/span_blob_codec.h"

namespace tracery::storage {
namespace {

using clickhouse::kNanosPerDay;
using clickhouse::RowBinaryReader;
using clickhouse::RowBinaryWriter;
using clickhouse::SqlDate;
using clickhouse::SqlFixed16;
using clickhouse::SqlString;

constexpr std::string_view kSpanColumns =
    "start_day, trace_id, span_id, parent_span_id, start_time_ns, duration_ns, service, name, kind, "
    "status_code, tag_keys, tag_values, span_blob";
// What GetTrace and ScanSpans read back, in this order.
constexpr std::string_view kReadColumns =
    "trace_id, span_id, parent_span_id, start_time_ns, duration_ns, name, kind, status_code, span_blob";

uint16_t DayOf(uint64_t unix_nano) {
  uint64_t d = unix_nano / kNanosPerDay;
  return static_cast<uint16_t>(std::min<uint64_t>(d, 65535));  // Date's range ends in 2149
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

// Encodes the rows of `batch` for INSERT ... FORMAT RowBinary (columns in
// kSpanColumns order). Hot path: resource attribute renderings are computed
// once per resource, not per span.
void EncodeRows(const model::SpanBatch& batch, std::string* out) {
  std::vector<std::vector<std::string>> resource_values(batch.resources.size());
  for (size_t i = 0; i < batch.resources.size(); ++i) {
    for (const auto& kv : batch.resources[i].attributes) resource_values[i].push_back(kv.value.ToString());
  }
  static const model::Resource kNoResource;
  static const std::vector<std::string> kNoValues;
  RowBinaryWriter w(out);
  for (const auto& s : batch.spans) {
    bool has_res = s.resource_index < batch.resources.size();
    const model::Resource& res = has_res ? batch.resources[s.resource_index] : kNoResource;
    const std::vector<std::string>& res_values = has_res ? resource_values[s.resource_index] : kNoValues;
    w.U16(DayOf(s.start_time_unix_nano));
    w.Raw(s.trace_id.bytes.data(), 16);
    w.U64(s.span_id.value);
    w.U64(s.parent_span_id.value);
    w.U64(s.start_time_unix_nano);
    w.U64(s.DurationNanos());
    w.String(res.ServiceName());
    w.String(s.name);
    w.U8(static_cast<uint8_t>(s.kind));
    w.U8(static_cast<uint8_t>(s.status_code));
    size_t n_tags = s.attributes.size() + res.attributes.size();
    for (const auto& e : s.events) n_tags += e.attributes.size();
    w.VarUInt(n_tags);
    for (const auto& kv : s.attributes) w.String(kv.key);
    for (const auto& kv : res.attributes) w.String(kv.key);
    for (const auto& e : s.events)
      for (const auto& kv : e.attributes) w.String(kv.key);
    w.VarUInt(n_tags);
    for (const auto& kv : s.attributes) w.String(kv.value.ToString());
    for (const auto& v : res_values) w.String(v);
    for (const auto& e : s.events)
      for (const auto& kv : e.attributes) w.String(kv.value.ToString());
    clickhouse::AppendSpanBlob(batch, s, out);
  }
}

// Reads rows of kReadColumns. Calls on_row(trace_id, assembled span fields).
Status ReadSpanRows(
    std::string_view data,
    const std::function<Status(const model::TraceId&, model::Span, uint64_t, std::string_view)>& on_row) {
  RowBinaryReader r(data);
  while (!r.done()) {
    model::Span s;
    std::string_view tid = r.Bytes(16);
    s.span_id.value = r.U64();
    s.parent_span_id.value = r.U64();
    s.start_time_unix_nano = r.U64();
    uint64_t duration_ns = r.U64();
    s.name = r.String();
    uint8_t kind = r.U8();
    uint8_t status = r.U8();
    std::string_view blob = r.String();
    if (r.failed()) return Status::Corruption("truncated span row in ClickHouse's answer");
    if (kind > static_cast<uint8_t>(model::SpanKind::kConsumer) || status > 2)
      return Status::Corruption("span row with kind " + std::to_string(kind) + " status " +
                                std::to_string(status));
    std::memcpy(s.trace_id.bytes.data(), tid.data(), 16);
    s.kind = static_cast<model::SpanKind>(kind);
    s.status_code = static_cast<model::StatusCode>(status);
    model::TraceId id = s.trace_id;
    TRACERY_RETURN_IF_ERROR(on_row(id, std::move(s), duration_ns, blob));
  }
  return Status::Ok();
}

// SQL for "this span satisfies every field of `c`".
std::string ConditionSql(const SpanCondition& c) {
  std::vector<std::string> parts;
  if (!c.service.empty()) parts.push_back("service = " + SqlString(c.service));
  if (!c.operation.empty()) parts.push_back("name = " + SqlString(c.operation));
  if (c.kind) parts.push_back("kind = " + std::to_string(static_cast<int>(*c.kind)));
  if (c.min_duration_ns) parts.push_back("duration_ns >= " + std::to_string(c.min_duration_ns));
  if (c.max_duration_ns) parts.push_back("duration_ns <= " + std::to_string(c.max_duration_ns));
  if (c.error_only) parts.push_back("status_code = 2");
  for (const auto& t : c.tags) {
    // has() first: on servers with a bloom_filter index on tag_values it
    // skips granules; arrayExists then pairs the key with the value.
    std::string attr = "(has(tag_values, " + SqlString(t.value) +
                       ") AND arrayExists((k, v) -> k = " + SqlString(t.key) +
                       " AND v = " + SqlString(t.value) + ", tag_keys, tag_values))";
    if (t.key == "error" && t.value == "true") {
      attr = "(status_code = 2 OR " + attr + ")";
    } else if (t.key == "span.kind") {
      for (int k = 0; k <= static_cast<int>(model::SpanKind::kConsumer); ++k) {
        if (model::SpanKindName(static_cast<model::SpanKind>(k)) == t.value) {
          attr = "(kind = " + std::to_string(k) + " OR " + attr + ")";
        }
      }
    }
    parts.push_back(attr);
  }
  if (parts.empty()) return "1";
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += " AND ";
    out += parts[i];
  }
  return "(" + out + ")";
}

std::string TimeRangeSql(uint64_t lo_ns, uint64_t hi_ns, bool hi_inclusive) {
  std::string sql =
      "start_day >= " + SqlDate(DayOf(lo_ns)) + " AND start_time_ns >= " + std::to_string(lo_ns);
  if (hi_ns != UINT64_MAX) {
    sql += " AND start_day <= " + SqlDate(DayOf(hi_ns)) + " AND start_time_ns " +
           (hi_inclusive ? "<= " : "< ") + std::to_string(hi_ns);
  }
  return sql;
}

// Cursor: "<order>:<sort key>:<32 hex trace id>" of the last trace returned.
struct Cursor {
  TraceOrder order;
  uint64_t key;
  model::TraceId trace_id;
};

std::string EncodeCursor(const Cursor& c) {
  return std::to_string(static_cast<int>(c.order)) + ":" + std::to_string(c.key) + ":" + c.trace_id.ToHex();
}

Result<Cursor> DecodeCursor(std::string_view text, TraceOrder expected) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument(std::string("malformed search cursor (") + why +
                                   "); pass the next_cursor of the previous page unchanged");
  };
  size_t c1 = text.find(':');
  size_t c2 = c1 == std::string_view::npos ? c1 : text.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return bad("expected order:key:trace_id");
  int order = 0;
  uint64_t key = 0;
  auto r1 = std::from_chars(text.data(), text.data() + c1, order);
  auto r2 = std::from_chars(text.data() + c1 + 1, text.data() + c2, key);
  if (r1.ec != std::errc() || r1.ptr != text.data() + c1 || r2.ec != std::errc() ||
      r2.ptr != text.data() + c2)
    return bad("non-numeric field");
  if (order != static_cast<int>(expected)) return bad("cursor is from a search in another order");
  auto id = model::TraceId::FromHex(text.substr(c2 + 1));
  if (!id || text.size() - c2 - 1 != 32) return bad("bad trace id");
  return Cursor{expected, key, *id};
}

}  // namespace

struct ClickHouseStore::InsertGroup {
  std::string rows;
  size_t spans = 0;
  bool done = false;
  Status result;
};

ClickHouseStore::ClickHouseStore(ClickHouseStoreOptions options, clickhouse::HttpClientOptions http)
    : options_(std::move(options)), client_(std::move(http)) {}

Result<std::unique_ptr<ClickHouseStore>> ClickHouseStore::Open(ClickHouseStoreOptions options) {
  auto hp = clickhouse::ParseClickHouseUrl(options.url);
  if (!hp.ok()) return hp.status();
  if (options.database.empty()) return Status::InvalidArgument("ClickHouse database name is empty");
  if (options.scan_page_traces == 0) options.scan_page_traces = 1;
  clickhouse::HttpClientOptions http;
  http.host = hp->first;
  http.port = hp->second;
  http.user = options.user;
  http.password = options.password;
  http.connect_timeout_ms = options.connect_timeout_ms;
  http.request_timeout_ms = options.request_timeout_ms;
  std::unique_ptr<ClickHouseStore> store(new ClickHouseStore(std::move(options), std::move(http)));
  TRACERY_RETURN_IF_ERROR(store->Init());
  if (store->options_.retention_days > 0 && store->options_.retention_check_interval_ms > 0) {
    store->retention_thread_ = std::thread([s = store.get()] { s->RetentionLoop(); });
  }
  return store;
}

Status ClickHouseStore::Init() {
  auto v = client_.Query("SELECT version()");
  if (!v.ok()) return v.status();
  auto parsed = clickhouse::ServerVersion::Parse(*v);
  if (!parsed.ok()) return parsed.status();
  version_ = *parsed;
  features_ = clickhouse::SchemaFeatures::For(version_);
  clickhouse::SchemaOptions so;
  so.database = options_.database;
  so.cluster = options_.cluster;
  so.replicated = options_.replicated;
  so.on_cluster_ddl = options_.on_cluster_ddl;
  so.retention_days = options_.retention_days;
  tables_ = clickhouse::TableNamesFor(so);
  if (options_.create_schema) {
    for (const auto& stmt : clickhouse::SchemaStatements(so, features_)) {
      auto r = client_.Query(stmt);
      if (!r.ok())
        return Status(r.status().code(), "creating the Tracery schema failed: " + r.status().message());
    }
  }
  return Status::Ok();
}

ClickHouseStore::~ClickHouseStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
}

Status ClickHouseStore::Insert(const std::string& rows) {
  std::vector<std::pair<std::string, std::string>> settings;
  // A Distributed table acknowledges only once every shard wrote its rows.
  if (!options_.cluster.empty()) settings.emplace_back("insert_distributed_sync", "1");
  auto r = client_.Execute(
      "INSERT INTO " + tables_.spans + " (" + std::string(kSpanColumns) + ") FORMAT RowBinary", rows,
      settings);
  if (r.ok()) return Status::Ok();
  const Status& st = r.status();
  // A rejected INSERT is never the caller's fault: it is retryable.
  if (st.code() == Status::Code::kInvalidArgument || st.code() == Status::Code::kDeadlineExceeded)
    return Status::Unavailable(st.message());
  return st;
}

Status ClickHouseStore::Write(const model::SpanBatch& batch) {
  if (batch.spans.empty()) return Status::Ok();
  std::string rows;
  rows.reserve(batch.spans.size() * 512);
  EncodeRows(batch, &rows);

  std::unique_lock lock(mu_);
  if (pending_bytes_ + rows.size() > options_.max_pending_bytes && pending_bytes_ > 0) {
    return Status::ResourceExhausted("ClickHouse is not keeping up: " + std::to_string(pending_bytes_) +
                                     " bytes of spans already wait to be inserted");
  }
  if (!pending_) pending_ = std::make_shared<InsertGroup>();
  std::shared_ptr<InsertGroup> group = pending_;
  if (group->rows.empty()) {
    group->rows = std::move(rows);
  } else {
    group->rows += rows;
  }
  group->spans += batch.spans.size();
  pending_bytes_ = group->rows.size();
  pending_spans_ = group->spans;

  while (!group->done) {
    if (insert_in_flight_) {
      cv_.wait(lock);
      continue;
    }
    // Become the leader: wait out the minimum interval (others join the
    // group meanwhile), then send everything queued.
    insert_in_flight_ = true;
    auto next = last_insert_start_ + std::chrono::milliseconds(options_.min_insert_interval_ms);
    while (std::chrono::steady_clock::now() < next && !stopping_) cv_.wait_until(lock, next);
    std::shared_ptr<InsertGroup> taking = std::move(pending_);
    pending_.reset();
    pending_bytes_ = 0;
    pending_spans_ = 0;
    last_insert_start_ = std::chrono::steady_clock::now();
    lock.unlock();
    Status st = Insert(taking->rows);
    if (st.ok()) spans_written_ += taking->spans;
    lock.lock();
    taking->result = std::move(st);
    taking->done = true;
    taking->rows = std::string();
    insert_in_flight_ = false;
    cv_.notify_all();
  }
  return group->result;
}

Status ClickHouseStore::Flush() {
  // Write() returns only after ClickHouse acknowledged, and an acknowledged
  // INSERT is searchable: wait only for INSERTs still in flight.
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !insert_in_flight_ && !pending_; });
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> ClickHouseStore::ReadSettings(uint64_t timeout_ms) const {
  std::vector<std::pair<std::string, std::string>> s;
  // Buffer the answer server-side so an error mid-query yields an HTTP error,
  // not a 200 with a truncated body.
  s.emplace_back("wait_end_of_query", "1");
  if (timeout_ms > 0) {
    s.emplace_back("max_execution_time", std::to_string((timeout_ms + 999) / 1000));
    s.emplace_back("timeout_overflow_mode", "throw");
  }
  return s;
}

Result<model::SpanBatch> ClickHouseStore::GetTrace(const model::TraceId& id, size_t max_spans) {
  const std::string id_sql = SqlFixed16(id.bytes.data());
  auto idx = client_.Query(
      "SELECT count(), groupUniqArrayArray(services), min(min_start_ns), max(max_end_ns) FROM " +
          tables_.trace_index + " WHERE trace_id = " + id_sql + " FORMAT RowBinary",
      ReadSettings(options_.request_timeout_ms));
  if (!idx.ok()) return idx.status();
  RowBinaryReader r(*idx);
  uint64_t count = r.U64();
  uint64_t n_services = r.VarUInt();
  if (n_services > r.remaining()) return Status::Corruption("bad trace index answer from ClickHouse");
  std::vector<std::string_view> services;
  for (uint64_t i = 0; i < n_services; ++i) services.push_back(r.String());
  uint64_t min_start = r.U64();
  uint64_t max_end = r.U64();
  if (r.failed()) return Status::Corruption("truncated trace index answer from ClickHouse");
  if (count == 0) return Status::NotFound("trace " + id.ToHex() + " not found");
  if (max_spans == 0) return model::SpanBatch{};
  {
    std::string in_services;
    for (size_t i = 0; i < services.size(); ++i) {
      if (i) in_services += ", ";
      in_services += SqlString(services[i]);
    }
    // The trace index bounds the read by service and time, the spans
    // table's sort key, so the read touches only the trace's granules.
    std::string sql = "SELECT " + std::string(kReadColumns) + " FROM " + tables_.spans + " WHERE " +
                      TimeRangeSql(min_start, std::max(max_end, min_start), true) +
                      (services.empty() ? "" : " AND service IN (" + in_services + ")") +
                      " AND trace_id = " + id_sql + " ORDER BY start_time_ns, span_id LIMIT " +
                      std::to_string(max_spans) + " FORMAT RowBinary";
    auto rows = client_.Query(sql, ReadSettings(options_.request_timeout_ms));
    if (!rows.ok()) return rows.status();
    model::SpanBatch out;
    clickhouse::SpanBatchAssembler assembler(&out);
    TRACERY_RETURN_IF_ERROR(
        ReadSpanRows(*rows, [&](const model::TraceId&, model::Span s, uint64_t d, std::string_view blob) {
          return assembler.Add(std::move(s), d, blob);
        }));
    if (out.spans.empty()) return Status::NotFound("trace " + id.ToHex() + " not found");
    return out;
  }
}

Result<FindResult> ClickHouseStore::FindTraces(const TraceQuery& q) {
  if (q.start_time_min_ns > q.start_time_max_ns)
    return Status::InvalidArgument("search start_time_min is after start_time_max");
  std::optional<Cursor> cursor;
  if (!q.cursor.empty()) {
    auto c = DecodeCursor(q.cursor, q.order);
    if (!c.ok()) return c.status();
    cursor = *c;
  }
  const uint64_t lo = q.start_time_min_ns;
  const uint64_t hi = q.start_time_max_ns;

  // Candidates: traces with, for every condition, some span satisfying it,
  // among spans that start after the range's beginning and not too long
  // after its end.
  std::string candidates;
  if (q.span_conditions.empty()) {
    candidates = "SELECT trace_id FROM " + tables_.trace_index + " WHERE start_day >= " + SqlDate(DayOf(lo)) +
                 " AND min_start_ns >= " + std::to_string(lo);
    if (hi != UINT64_MAX)
      candidates += " AND start_day <= " + SqlDate(DayOf(hi)) + " AND min_start_ns <= " + std::to_string(hi);
  } else {
    uint64_t span_hi =
        options_.max_trace_duration_ns == 0 ? UINT64_MAX : SaturatingAdd(hi, options_.max_trace_duration_ns);
    std::vector<std::string> conds;
    for (const auto& c : q.span_conditions) conds.push_back(ConditionSql(c));
    std::string any, all;
    for (size_t i = 0; i < conds.size(); ++i) {
      any += (i ? " OR " : "") + conds[i];
      all += (i ? " AND countIf(" : "countIf(") + conds[i] + ") > 0";
    }
    candidates = "SELECT trace_id FROM " + tables_.spans + " WHERE " + TimeRangeSql(lo, span_hi, true) +
                 " AND (" + any + ") GROUP BY trace_id HAVING " + all;
  }

  const std::string dur = "if(te > ts, te - ts, 0)";
  std::string having = "ts >= " + std::to_string(lo) + " AND ts <= " + std::to_string(hi);
  if (q.min_trace_duration_ns) having += " AND " + dur + " >= " + std::to_string(q.min_trace_duration_ns);
  if (q.max_trace_duration_ns) having += " AND " + dur + " <= " + std::to_string(q.max_trace_duration_ns);
  std::string order;
  switch (q.order) {
    case TraceOrder::kMostRecent:
      order = "ts DESC, trace_id DESC";
      break;
    case TraceOrder::kLongestFirst:
      order = dur + " DESC, trace_id DESC";
      break;
    case TraceOrder::kShortestFirst:
      order = dur + " ASC, trace_id ASC";
      break;
  }
  if (cursor) {
    std::string key = q.order == TraceOrder::kMostRecent ? "ts" : dur;
    std::string k = std::to_string(cursor->key);
    std::string id = SqlFixed16(cursor->trace_id.bytes.data());
    const char* cmp = q.order == TraceOrder::kShortestFirst ? ">" : "<";
    having += " AND (" + key + " " + cmp + " " + k + " OR (" + key + " = " + k + " AND trace_id " + cmp +
              " " + id + "))";
  }
  // 0 means the interface default; a huge limit is capped (limit + 1 must not overflow).
  size_t limit = q.limit == 0 ? 20 : std::min<size_t>(q.limit, 1'000'000);
  std::string sql =
      "SELECT trace_id, min(min_start_ns) AS ts, max(max_end_ns) AS te, sum(span_count) AS n,"
      " sum(error_count) AS errs, argMin(root_service, root_key) AS rs,"
      " argMin(root_name, root_key) AS rn FROM " +
      tables_.trace_index + " WHERE trace_id IN (" + candidates + ") GROUP BY trace_id HAVING " + having +
      " ORDER BY " + order + " LIMIT " + std::to_string(limit + 1) + " FORMAT RowBinary";
  auto rows = client_.Query(sql, ReadSettings(q.timeout_ms));
  if (!rows.ok()) return rows.status();

  FindResult out;
  RowBinaryReader r(*rows);
  while (!r.done()) {
    TraceSummary t;
    std::string_view tid = r.Bytes(16);
    t.start_time_unix_nano = r.U64();
    t.end_time_unix_nano = r.U64();
    uint64_t n = r.U64();
    uint64_t errs = r.U64();
    t.root_service = r.String();
    t.root_operation = r.String();
    if (r.failed()) return Status::Corruption("truncated search answer from ClickHouse");
    std::memcpy(t.trace_id.bytes.data(), tid.data(), 16);
    t.span_count = static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX));
    t.error_count = static_cast<uint32_t>(std::min<uint64_t>(errs, UINT32_MAX));
    out.traces.push_back(std::move(t));
  }
  if (out.traces.size() > limit) {
    out.traces.resize(limit);
    const TraceSummary& last = out.traces.back();
    out.next_cursor = EncodeCursor(
        {q.order, q.order == TraceOrder::kMostRecent ? last.start_time_unix_nano : last.DurationNanos(),
         last.trace_id});
  }
  return out;
}

Result<std::vector<std::string>> ClickHouseStore::GetServices() {
  auto rows = client_.Query("SELECT DISTINCT service FROM " + tables_.operations + " FORMAT RowBinary",
                            ReadSettings(options_.request_timeout_ms));
  if (!rows.ok()) return rows.status();
  std::vector<std::string> out;
  RowBinaryReader r(*rows);
  while (!r.done()) out.emplace_back(r.String());
  if (r.failed()) return Status::Corruption("truncated services answer from ClickHouse");
  return out;
}

Result<std::vector<Operation>> ClickHouseStore::GetOperations(const std::string& service,
                                                              std::optional<model::SpanKind> kind) {
  std::string sql =
      "SELECT DISTINCT name, kind FROM " + tables_.operations + " WHERE service = " + SqlString(service);
  if (kind) sql += " AND kind = " + std::to_string(static_cast<int>(*kind));
  auto rows = client_.Query(sql + " FORMAT RowBinary", ReadSettings(options_.request_timeout_ms));
  if (!rows.ok()) return rows.status();
  std::vector<Operation> out;
  RowBinaryReader r(*rows);
  while (!r.done()) {
    Operation op;
    op.name = r.String();
    uint8_t k = r.U8();
    if (k > static_cast<uint8_t>(model::SpanKind::kConsumer))
      return Status::Corruption("bad span kind in operations");
    op.kind = static_cast<model::SpanKind>(k);
    out.push_back(std::move(op));
  }
  if (r.failed()) return Status::Corruption("truncated operations answer from ClickHouse");
  return out;
}

Result<std::vector<DependencyLink>> ClickHouseStore::GetDependencies(uint64_t start_ns, uint64_t end_ns) {
  if (start_ns >= end_ns) return std::vector<DependencyLink>{};
  const std::string range = TimeRangeSql(start_ns, end_ns, false);
  std::string sql =
      "SELECT ps, cs, count(), countIf(st = 2) FROM (SELECT trace_id, span_id AS join_id, service AS ps "
      "FROM " +
      tables_.spans + " WHERE " + range +
      ") ALL INNER JOIN (SELECT trace_id, parent_span_id AS join_id, service AS cs, status_code AS st FROM " +
      tables_.spans + " WHERE " + range +
      " AND parent_span_id != 0) USING (trace_id, join_id) WHERE ps != cs GROUP BY ps, cs FORMAT RowBinary";
  auto rows = client_.Query(sql, ReadSettings(options_.request_timeout_ms));
  if (!rows.ok()) return rows.status();
  std::vector<DependencyLink> out;
  RowBinaryReader r(*rows);
  while (!r.done()) {
    DependencyLink l;
    l.parent = r.String();
    l.child = r.String();
    l.call_count = r.U64();
    l.error_count = r.U64();
    out.push_back(std::move(l));
  }
  if (r.failed()) return Status::Corruption("truncated dependencies answer from ClickHouse");
  return out;
}

Status ClickHouseStore::ScanSpans(uint64_t start_ns, uint64_t end_ns,
                                  const std::function<bool(const model::SpanBatch&)>& fn) {
  if (start_ns >= end_ns) return Status::Ok();
  const std::string range = TimeRangeSql(start_ns, end_ns, false);
  std::optional<model::TraceId> after;
  while (true) {
    std::string page = "SELECT DISTINCT trace_id FROM " + tables_.spans + " WHERE " + range +
                       (after ? " AND trace_id > " + SqlFixed16(after->bytes.data()) : "") +
                       " ORDER BY trace_id LIMIT " + std::to_string(options_.scan_page_traces);
    std::string sql = "SELECT " + std::string(kReadColumns) + " FROM " + tables_.spans + " WHERE " + range +
                      " AND trace_id IN (" + page +
                      ") ORDER BY trace_id, start_time_ns, span_id FORMAT RowBinary";
    auto rows = client_.Query(sql, ReadSettings(options_.request_timeout_ms));
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::Ok();

    size_t traces = 0;
    bool stop = false;
    model::SpanBatch batch;
    std::optional<clickhouse::SpanBatchAssembler> assembler;
    model::TraceId current;
    auto emit = [&]() {
      if (!batch.spans.empty() && !stop) stop = !fn(batch);
      batch = model::SpanBatch{};
      assembler.emplace(&batch);
    };
    assembler.emplace(&batch);
    TRACERY_RETURN_IF_ERROR(ReadSpanRows(
        *rows, [&](const model::TraceId& id, model::Span s, uint64_t d, std::string_view blob) -> Status {
          if (stop) return Status::Ok();
          if (traces == 0 || id != current) {
            emit();
            current = id;
            ++traces;
          }
          return assembler->Add(std::move(s), d, blob);
        }));
    emit();
    if (stop || traces < options_.scan_page_traces) return Status::Ok();
    after = current;
  }
}

StoreStats ClickHouseStore::Stats() {
  StoreStats s;
  s.spans_written = spans_written_.load();
  s.memtable_spans = pending_spans_.load();
  auto strip = [](const std::string& t) { return SqlString(t.substr(t.rfind('.') + 1)); };
  auto rows = client_.Query("SELECT sumIf(rows, table = " + strip(tables_.spans_local) +
                                "), sum(bytes_on_disk), count() FROM system.parts"
                                " WHERE active AND database = " +
                                SqlString(options_.database) + " AND table IN (" +
                                strip(tables_.spans_local) + ", " + strip(tables_.trace_index_local) + ", " +
                                strip(tables_.operations_local) + ") FORMAT RowBinary",
                            ReadSettings(5'000));
  if (rows.ok()) {
    RowBinaryReader r(*rows);
    uint64_t stored = r.U64(), bytes = r.U64(), parts = r.U64();
    if (!r.failed()) {
      s.spans_stored = stored;
      s.bytes_on_disk = bytes;
      s.segments = parts;
    }
  }
  return s;
}

Result<size_t> ClickHouseStore::DropExpiredPartitions(uint64_t now_unix_nano) {
  if (options_.retention_days == 0) return size_t{0};
  // Table names are plain identifiers after the quoted database.
  auto strip = [](const std::string& t) { return t.substr(t.rfind('.') + 1); };
  const std::string tables[] = {strip(tables_.spans_local), strip(tables_.trace_index_local),
                                strip(tables_.operations_local)};
  auto rows =
      client_.Query("SELECT DISTINCT table, partition FROM system.parts WHERE active AND database = " +
                        SqlString(options_.database) + " AND table IN (" + SqlString(tables[0]) + ", " +
                        SqlString(tables[1]) + ", " + SqlString(tables[2]) + ") FORMAT RowBinary",
                    ReadSettings(options_.request_timeout_ms));
  if (!rows.ok()) return rows.status();
  // A partition (day) is kept while any of it lies within the last
  // retention_days days.
  const int64_t today = static_cast<int64_t>(now_unix_nano / kNanosPerDay);
  const int64_t oldest_kept = today - static_cast<int64_t>(options_.retention_days) + 1;
  const std::string on_cluster = !options_.cluster.empty() && options_.on_cluster_ddl
                                     ? " ON CLUSTER " + clickhouse::SqlIdent(options_.cluster)
                                     : "";
  size_t dropped = 0;
  RowBinaryReader r(*rows);
  while (!r.done()) {
    std::string table(r.String());
    std::string partition(r.String());
    if (r.failed()) return Status::Corruption("truncated partition list from ClickHouse");
    int64_t day = clickhouse::ParseDate(partition);
    if (day < 0 || day >= oldest_kept) continue;
    auto st =
        client_.Query("ALTER TABLE " + clickhouse::SqlIdent(options_.database) + "." +
                      clickhouse::SqlIdent(table) + on_cluster + " DROP PARTITION " + SqlString(partition));
    if (!st.ok()) return st.status();
    ++dropped;
  }
  return dropped;
}

void ClickHouseStore::RetentionLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    uint64_t now_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
    // Failures are retried at the next interval; there is no caller to tell.
    (void)DropExpiredPartitions(now_ns);
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(options_.retention_check_interval_ms),
                 [&] { return stopping_; });
  }
}

}  // namespace tracery::storage
