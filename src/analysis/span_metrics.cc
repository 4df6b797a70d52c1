#include "analysis/span_metrics.h"

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace tracery::analysis {
namespace {

namespace fs = std::filesystem;
using model::SpanKind;

constexpr uint8_t kRecordVersion = 1;
constexpr size_t kRecordHeaderBytes = 8;             // u32 length, u32 crc32
constexpr uint32_t kMaxRecordBytes = 256u << 20;     // sanity bound on a length field

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

bool IsUuidAt(std::string_view s, size_t i) {
  static constexpr int kGroups[] = {8, 4, 4, 4, 12};
  for (int g = 0; g < 5; ++g) {
    for (int k = 0; k < kGroups[g]; ++k, ++i)
      if (i >= s.size() || !IsHex(s[i])) return false;
    if (g < 4) {
      if (i >= s.size() || s[i] != '-') return false;
      ++i;
    }
  }
  return i == s.size() || !IsAlnum(s[i]);
}

void PutU64(std::string* out, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out->append(b, 8);
}
uint64_t GetU64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
void PutU32(std::string* out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out->append(b, 4);
}
uint32_t GetU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

void PutStats(std::string* out, const RequestStats& s) {
  PutVarint(out, s.count);
  PutVarint(out, s.errors);
  s.latency_ns.SerializeTo(out);
}
bool GetStats(std::string_view* in, RequestStats* s) {
  if (!GetVarint(in, &s->count) || !GetVarint(in, &s->errors)) return false;
  auto sk = LatencySketch::Deserialize(in);
  if (!sk.ok()) return false;
  s->latency_ns = std::move(sk).value();
  return true;
}

// Reads length-prefixed strings from a map key after its 8-byte minute.
struct KeyReader {
  std::string_view rest;
  explicit KeyReader(std::string_view key) : rest(key.substr(8)) {}
  std::string Next() {
    std::string_view s;
    GetString(&rest, &s);
    return std::string(s);
  }
  uint8_t Byte() {
    uint8_t b = static_cast<uint8_t>(rest[0]);
    rest.remove_prefix(1);
    return b;
  }
};
int64_t KeyMinute(std::string_view key) { return static_cast<int64_t>(GetU64(key.data())); }

// The string value of an attribute when it has one.
std::string_view StrAttr(const model::Attributes& attrs, std::string_view key) {
  const model::AnyValue* v = model::FindAttribute(attrs, key);
  return v && v->type == model::AnyValue::Type::kString ? std::string_view(v->str) : std::string_view();
}

// The callee named by a client span's attributes, or empty.
std::string_view PeerOf(const model::Span& s) {
  std::string_view v = StrAttr(s.attributes, "peer.service");
  if (v.empty()) v = StrAttr(s.attributes, "db.name");
  if (v.empty()) v = StrAttr(s.attributes, "db.system");
  if (v.empty()) v = StrAttr(s.attributes, "messaging.system");
  if (v.empty()) v = StrAttr(s.attributes, "server.address");
  if (v.empty()) v = StrAttr(s.attributes, "net.peer.name");
  return v;
}

}  // namespace

std::string NormalizeErrorMessage(std::string_view m) {
  std::string out;
  out.reserve(m.size());
  size_t i = 0;
  while (i < m.size()) {
    bool at_word_start = i == 0 || !IsAlnum(m[i - 1]);
    if (at_word_start && IsHex(m[i]) && IsUuidAt(m, i)) {
      out += "<uuid>";
      i += 36;
      continue;
    }
    if (at_word_start && m[i] == '0' && i + 2 < m.size() && (m[i + 1] == 'x' || m[i + 1] == 'X') && IsHex(m[i + 2])) {
      i += 2;
      while (i < m.size() && IsHex(m[i])) ++i;
      out += "<hex>";
      continue;
    }
    if (at_word_start && IsHex(m[i])) {
      // A hex word of 8+ characters with a digit in it: an id or a hash.
      size_t j = i;
      bool digit = false;
      while (j < m.size() && IsHex(m[j])) digit |= IsDigit(m[j++]);
      if (j - i >= 8 && digit && (j == m.size() || !IsAlnum(m[j]))) {
        out += "<hex>";
        i = j;
        continue;
      }
    }
    if (IsDigit(m[i])) {
      while (i < m.size() && (IsDigit(m[i]) || ((m[i] == '.' || m[i] == ',') && i + 1 < m.size() && IsDigit(m[i + 1]))))
        ++i;
      out += "<n>";
      continue;
    }
    out.push_back(m[i++]);
  }
  return out;
}

// ---- MinuteBucket encoding ----

void MinuteBucket::SerializeTo(std::string* out) const {
  out->push_back(static_cast<char>(kRecordVersion));
  PutVarint(out, static_cast<uint64_t>(minute));
  PutVarint(out, operations.size());
  for (const auto& o : operations) {
    PutString(out, o.service);
    PutString(out, o.operation);
    out->push_back(static_cast<char>(o.kind));
    out->push_back(o.request ? 1 : 0);
    PutStats(out, o.stats);
  }
  PutVarint(out, services.size());
  for (const auto& s : services) {
    PutString(out, s.service);
    PutVarint(out, s.spans);
    PutStats(out, s.requests);
  }
  PutVarint(out, errors.size());
  for (const auto& e : errors) {
    PutString(out, e.service);
    PutString(out, e.operation);
    PutString(out, e.exception_type);
    PutString(out, e.message);
    PutVarint(out, e.count);
    PutVarint(out, e.example_trace_ids.size());
    for (const auto& id : e.example_trace_ids) out->append(reinterpret_cast<const char*>(id.bytes.data()), 16);
  }
  PutVarint(out, edges.size());
  for (const auto& e : edges) {
    PutString(out, e.source);
    PutString(out, e.target);
    PutStats(out, e.stats);
  }
}

Result<MinuteBucket> MinuteBucket::Deserialize(std::string_view in) {
  auto bad = [](const char* what) { return Status::Corruption(std::string("metrics record: ") + what); };
  MinuteBucket b;
  if (in.empty() || static_cast<uint8_t>(in[0]) != kRecordVersion) return bad("unknown version");
  in.remove_prefix(1);
  uint64_t minute, n;
  if (!GetVarint(&in, &minute)) return bad("truncated minute");
  b.minute = static_cast<int64_t>(minute);
  std::string_view a, c, d, e;
  if (!GetVarint(&in, &n) || n > in.size()) return bad("bad operation count");
  for (uint64_t k = 0; k < n; ++k) {
    MinuteBucket::Operation o;
    if (!GetString(&in, &a) || !GetString(&in, &c) || in.size() < 2) return bad("truncated operation");
    o.service = a;
    o.operation = c;
    uint8_t kind = static_cast<uint8_t>(in[0]);
    if (kind > 5) return bad("bad span kind");
    o.kind = static_cast<SpanKind>(kind);
    o.request = in[1] != 0;
    in.remove_prefix(2);
    if (!GetStats(&in, &o.stats)) return bad("truncated operation stats");
    b.operations.push_back(std::move(o));
  }
  if (!GetVarint(&in, &n) || n > in.size()) return bad("bad service count");
  for (uint64_t k = 0; k < n; ++k) {
    MinuteBucket::Service s;
    if (!GetString(&in, &a) || !GetVarint(&in, &s.spans) || !GetStats(&in, &s.requests))
      return bad("truncated service");
    s.service = a;
    b.services.push_back(std::move(s));
  }
  if (!GetVarint(&in, &n) || n > in.size()) return bad("bad error group count");
  for (uint64_t k = 0; k < n; ++k) {
    MinuteBucket::ErrorGroup g;
    uint64_t examples;
    if (!GetString(&in, &a) || !GetString(&in, &c) || !GetString(&in, &d) || !GetString(&in, &e) ||
        !GetVarint(&in, &g.count) || !GetVarint(&in, &examples) || examples > kMaxRecordBytes / 16 ||
        in.size() < examples * 16)
      return bad("truncated error group");
    g.service = a;
    g.operation = c;
    g.exception_type = d;
    g.message = e;
    for (uint64_t x = 0; x < examples; ++x) {
      model::TraceId id;
      std::memcpy(id.bytes.data(), in.data(), 16);
      in.remove_prefix(16);
      g.example_trace_ids.push_back(id);
    }
    b.errors.push_back(std::move(g));
  }
  if (!GetVarint(&in, &n) || n > in.size()) return bad("bad edge count");
  for (uint64_t k = 0; k < n; ++k) {
    MinuteBucket::Edge edge;
    if (!GetString(&in, &a) || !GetString(&in, &c) || !GetStats(&in, &edge.stats)) return bad("truncated edge");
    edge.source = a;
    edge.target = c;
    b.edges.push_back(std::move(edge));
  }
  if (!in.empty()) return bad("trailing bytes");
  return b;
}

// ---- Aggregator ----

SpanMetricsAggregator::SpanMetricsAggregator(SpanMetricsOptions options) : options_(std::move(options)) {
  if (!options_.clock_ns) {
    options_.clock_ns = [] {
      return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    };
  }
  last_tick_minute_ = static_cast<int64_t>(options_.clock_ns() / kNanosPerMinute);
}

Result<std::unique_ptr<SpanMetricsAggregator>> SpanMetricsAggregator::Open(SpanMetricsOptions options) {
  if (options.dir.empty()) return Status::InvalidArgument("span metrics: no directory given");
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Status::IOError("span metrics: cannot create " + options.dir + ": " + ec.message());
  std::unique_ptr<SpanMetricsAggregator> agg(new SpanMetricsAggregator(std::move(options)));
  TRACERY_RETURN_IF_ERROR(agg->DeleteExpired(agg->NowNs()));
  return agg;
}

SpanMetricsAggregator::~SpanMetricsAggregator() { (void)FlushAll(); }

void SpanMetricsAggregator::Observe(const model::SpanBatch& batch) {
  const size_t n = batch.spans.size();
  if (n == 0) return;
  const uint64_t now_ns = options_.clock_ns();
  const uint64_t earliest_ns = now_ns > options_.retention_ns ? now_ns - options_.retention_ns : 0;
  const uint64_t latest_ns = now_ns + 3600ULL * 1'000'000'000ULL;

  // Per batch, not per span: service names of the resources, and whether
  // more than one service is present (only then can a parent/child pair
  // cross services inside the batch).
  thread_local std::vector<std::string_view> services;
  services.clear();
  bool multi_service = false;
  for (const auto& r : batch.resources) {
    services.push_back(r.ServiceName());
    if (services.back() != services.front()) multi_service = true;
  }
  auto service_of = [&](const model::Span& s) -> std::string_view {
    return s.resource_index < services.size() ? services[s.resource_index] : std::string_view("unknown_service");
  };
  thread_local std::unordered_map<uint64_t, uint32_t> by_id;
  thread_local std::vector<uint8_t> has_remote_child;
  if (multi_service) {
    by_id.clear();
    by_id.reserve(n);
    for (uint32_t i = 0; i < n; ++i) by_id.emplace(batch.spans[i].span_id.value, i);
    has_remote_child.assign(n, 0);
    for (uint32_t i = 0; i < n; ++i) {
      const auto& s = batch.spans[i];
      if (s.parent_span_id.IsZero()) continue;
      auto it = by_id.find(s.parent_span_id.value);
      if (it != by_id.end() && service_of(batch.spans[it->second]) != service_of(s)) has_remote_child[it->second] = 1;
    }
  }

  thread_local std::string key;
  std::unique_lock<std::mutex> lock;
  size_t locked_shard = kShards;
  for (uint32_t i = 0; i < n; ++i) {
    const model::Span& s = batch.spans[i];
    const std::string_view service = service_of(s);
    const size_t shard_index = std::hash<std::string_view>{}(service) % kShards;
    Shard& shard = shards_[shard_index];
    if (shard_index != locked_shard) {
      // Release the previous shard before taking the next: holding one
      // while waiting for another deadlocks against a thread that visits
      // the same shards in the opposite order.
      if (lock.owns_lock()) lock.unlock();
      lock = std::unique_lock<std::mutex>(shard.mu);
      locked_shard = shard_index;
    }
    uint64_t t = s.start_time_unix_nano;
    if (t < earliest_ns || t > latest_ns) t = now_ns;  // absurd clocks count now
    const uint64_t minute = t / kNanosPerMinute;
    const bool error = s.status_code == model::StatusCode::kError;
    const bool request = s.kind == SpanKind::kServer || s.kind == SpanKind::kConsumer || s.parent_span_id.IsZero();
    const uint64_t duration_ns = s.DurationNanos();

    key.clear();
    PutU64(&key, minute);
    const size_t minute_len = key.size();
    PutString(&key, service);
    const size_t service_key_len = key.size();

    {  // Service.
      auto it = shard.services.find(std::string_view(key));
      if (it == shard.services.end()) it = shard.services.emplace(key, ServiceAcc{}).first;
      ++it->second.spans;
      if (request) it->second.requests.Add(duration_ns, error);
    }
    {  // Operation.
      PutString(&key, s.name);
      key.push_back(static_cast<char>(s.kind));
      key.push_back(request ? 1 : 0);
      auto it = shard.operations.find(std::string_view(key));
      if (it == shard.operations.end()) it = shard.operations.emplace(key, RequestStats{}).first;
      it->second.Add(duration_ns, error);
    }
    if (error) {
      std::string_view type, message;
      for (const auto& ev : s.events) {
        if (ev.name != "exception") continue;
        type = StrAttr(ev.attributes, "exception.type");
        message = StrAttr(ev.attributes, "exception.message");
        break;
      }
      if (type.empty()) type = StrAttr(s.attributes, "exception.type");
      if (message.empty()) message = StrAttr(s.attributes, "exception.message");
      if (message.empty()) message = s.status_message;
      if (message.size() > options_.max_message_bytes) message = message.substr(0, options_.max_message_bytes);
      key.resize(service_key_len);
      PutString(&key, s.name);
      PutString(&key, type);
      PutString(&key, NormalizeErrorMessage(message));
      auto it = shard.errors.find(std::string_view(key));
      if (it == shard.errors.end()) it = shard.errors.emplace(key, ErrorAcc{}).first;
      ++it->second.count;
      auto& ex = it->second.examples;
      if (ex.size() < kMaxExamples && std::find(ex.begin(), ex.end(), s.trace_id) == ex.end())
        ex.push_back(s.trace_id);
    }
    // Edges: a cross-service parent/child pair inside the batch, else a
    // client/producer span naming its callee.
    std::string_view source, target;
    uint64_t edge_duration_ns = duration_ns;
    bool edge_error = error;
    if (multi_service && !s.parent_span_id.IsZero()) {
      auto it = by_id.find(s.parent_span_id.value);
      if (it != by_id.end()) {
        const model::Span& parent = batch.spans[it->second];
        std::string_view parent_service = service_of(parent);
        if (parent_service != service) {
          source = parent_service;
          target = service;
          if (parent.kind == SpanKind::kClient || parent.kind == SpanKind::kProducer) {
            edge_duration_ns = parent.DurationNanos();
            edge_error = error || parent.status_code == model::StatusCode::kError;
          }
        }
      }
    }
    if (target.empty() && (s.kind == SpanKind::kClient || s.kind == SpanKind::kProducer) &&
        !(multi_service && has_remote_child[i])) {
      target = PeerOf(s);
      source = service;
      if (target == service) target = {};
    }
    if (!target.empty()) {
      key.resize(minute_len);
      PutString(&key, source);
      PutString(&key, target);
      auto it = shard.edges.find(std::string_view(key));
      if (it == shard.edges.end()) it = shard.edges.emplace(key, RequestStats{}).first;
      it->second.Add(edge_duration_ns, edge_error);
    }
  }
  if (lock.owns_lock()) lock.unlock();

  int64_t now_minute = static_cast<int64_t>(now_ns / kNanosPerMinute);
  if (now_minute != last_tick_minute_.load(std::memory_order_relaxed)) (void)Tick();
}

void SpanMetricsAggregator::CollectOpen(int64_t min_minute, int64_t max_minute, bool erase,
                                        std::map<int64_t, MinuteBucket>* out) {
  auto bucket = [&](int64_t m) -> MinuteBucket& {
    MinuteBucket& b = (*out)[m];
    b.minute = m;
    return b;
  };
  auto in_range = [&](const std::string& k) {
    int64_t m = KeyMinute(k);
    return m >= min_minute && m <= max_minute;
  };
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> g(shard.mu);
    for (auto it = shard.operations.begin(); it != shard.operations.end();) {
      if (!in_range(it->first)) { ++it; continue; }
      KeyReader r(it->first);
      MinuteBucket::Operation o;
      o.service = r.Next();
      o.operation = r.Next();
      o.kind = static_cast<SpanKind>(r.Byte());
      o.request = r.Byte() != 0;
      o.stats = erase ? std::move(it->second) : it->second;
      bucket(KeyMinute(it->first)).operations.push_back(std::move(o));
      it = erase ? shard.operations.erase(it) : std::next(it);
    }
    for (auto it = shard.services.begin(); it != shard.services.end();) {
      if (!in_range(it->first)) { ++it; continue; }
      KeyReader r(it->first);
      MinuteBucket::Service s;
      s.service = r.Next();
      s.spans = it->second.spans;
      s.requests = erase ? std::move(it->second.requests) : it->second.requests;
      bucket(KeyMinute(it->first)).services.push_back(std::move(s));
      it = erase ? shard.services.erase(it) : std::next(it);
    }
    for (auto it = shard.errors.begin(); it != shard.errors.end();) {
      if (!in_range(it->first)) { ++it; continue; }
      KeyReader r(it->first);
      MinuteBucket::ErrorGroup e;
      e.service = r.Next();
      e.operation = r.Next();
      e.exception_type = r.Next();
      e.message = r.Next();
      e.count = it->second.count;
      e.example_trace_ids = it->second.examples;
      bucket(KeyMinute(it->first)).errors.push_back(std::move(e));
      it = erase ? shard.errors.erase(it) : std::next(it);
    }
    for (auto it = shard.edges.begin(); it != shard.edges.end();) {
      if (!in_range(it->first)) { ++it; continue; }
      KeyReader r(it->first);
      MinuteBucket::Edge e;
      e.source = r.Next();
      e.target = r.Next();
      e.stats = erase ? std::move(it->second) : it->second;
      bucket(KeyMinute(it->first)).edges.push_back(std::move(e));
      it = erase ? shard.edges.erase(it) : std::next(it);
    }
  }
}

std::string SpanMetricsAggregator::HourPath(int64_t hour) const {
  return options_.dir + "/metrics-" + std::to_string(hour) + ".tsm";
}

Status SpanMetricsAggregator::WriteBuckets(const std::map<int64_t, MinuteBucket>& buckets) {
  std::FILE* f = nullptr;
  int64_t open_hour = -1;
  Status st;
  std::string record, payload;
  for (const auto& [minute, bucket] : buckets) {
    int64_t hour = minute / 60;
    if (hour != open_hour) {
      if (f) std::fclose(f);
      f = std::fopen(HourPath(hour).c_str(), "ab");
      open_hour = hour;
      if (!f) {
        st = Status::IOError("span metrics: cannot open " + HourPath(hour) + " for appending");
        continue;
      }
    }
    if (!f) continue;
    payload.clear();
    bucket.SerializeTo(&payload);
    record.clear();
    PutU32(&record, static_cast<uint32_t>(payload.size()));
    PutU32(&record, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(payload.data()),
                                                static_cast<uInt>(payload.size()))));
    record += payload;
    if (std::fwrite(record.data(), 1, record.size(), f) != record.size())
      st = Status::IOError("span metrics: short write to " + HourPath(hour));
  }
  if (f && std::fclose(f) != 0) st = Status::IOError("span metrics: cannot close " + HourPath(open_hour));
  return st;
}

Status SpanMetricsAggregator::DeleteExpired(uint64_t now_ns) {
  if (now_ns <= options_.retention_ns) return Status::Ok();
  int64_t oldest_hour_kept = static_cast<int64_t>((now_ns - options_.retention_ns) / kNanosPerMinute / 60);
  std::error_code ec;
  Status st;
  for (fs::directory_iterator it(options_.dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    long long hour = 0;
    char tail[8] = {};
    if (std::sscanf(name.c_str(), "metrics-%lld.%4s", &hour, tail) != 2 || std::string_view(tail) != "tsm") continue;
    if (hour < oldest_hour_kept) {
      std::error_code rm;
      fs::remove(it->path(), rm);
      if (rm) st = Status::IOError("span metrics: cannot delete " + it->path().string() + ": " + rm.message());
      std::lock_guard<std::mutex> g(cache_mu_);
      cache_.erase(hour);
    }
  }
  if (ec) return Status::IOError("span metrics: cannot list " + options_.dir + ": " + ec.message());
  return st;
}

void SpanMetricsAggregator::SetWriteStatus(const Status& s) {
  std::lock_guard<std::mutex> g(status_mu_);
  last_write_status_ = s;
}

Status SpanMetricsAggregator::last_write_status() const {
  std::lock_guard<std::mutex> g(status_mu_);
  return last_write_status_;
}

Status SpanMetricsAggregator::Tick() {
  std::unique_lock<std::shared_mutex> io(io_mu_, std::try_to_lock);
  if (!io.owns_lock()) return Status::Ok();  // another thread is writing
  uint64_t now_ns = options_.clock_ns();
  last_tick_minute_ = static_cast<int64_t>(now_ns / kNanosPerMinute);
  if (now_ns < options_.close_after_ns + kNanosPerMinute) return Status::Ok();
  // Minute m is closed when (m + 1) minutes + close_after <= now.
  int64_t last_closed = static_cast<int64_t>((now_ns - options_.close_after_ns) / kNanosPerMinute) - 1;
  std::map<int64_t, MinuteBucket> closed;
  CollectOpen(INT64_MIN, last_closed, /*erase=*/true, &closed);
  Status st = WriteBuckets(closed);
  Status del = DeleteExpired(now_ns);
  if (st.ok()) st = del;
  SetWriteStatus(st);
  return st;
}

Status SpanMetricsAggregator::FlushAll() {
  std::unique_lock<std::shared_mutex> io(io_mu_);
  std::map<int64_t, MinuteBucket> all;
  CollectOpen(INT64_MIN, INT64_MAX, /*erase=*/true, &all);
  Status st = WriteBuckets(all);
  SetWriteStatus(st);
  return st;
}

std::shared_ptr<const std::vector<MinuteBucket>> SpanMetricsAggregator::LoadHour(int64_t hour) {
  const std::string path = HourPath(hour);
  std::error_code ec;
  uint64_t size = fs::file_size(path, ec);
  if (ec) return nullptr;
  {
    std::lock_guard<std::mutex> g(cache_mu_);
    auto it = cache_.find(hour);
    if (it != cache_.end() && it->second.file_bytes == size) return it->second.buckets;
  }
  std::string data;
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    data.resize(size);
    data.resize(std::fread(data.data(), 1, size, f));
    std::fclose(f);
  } else {
    return nullptr;
  }
  auto buckets = std::make_shared<std::vector<MinuteBucket>>();
  std::string_view in = data;
  while (!in.empty()) {
    if (in.size() < kRecordHeaderBytes) {
      ++corrupt_records_;  // torn header at the tail
      break;
    }
    uint32_t len = GetU32(in.data());
    uint32_t crc = GetU32(in.data() + 4);
    if (len > kMaxRecordBytes || len > in.size() - kRecordHeaderBytes) {
      ++corrupt_records_;  // torn record at the tail or a garbage length: nothing after it is trustworthy
      break;
    }
    std::string_view payload = in.substr(kRecordHeaderBytes, len);
    in.remove_prefix(kRecordHeaderBytes + len);
    if (crc32(0, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size())) != crc) {
      ++corrupt_records_;
      continue;
    }
    auto b = MinuteBucket::Deserialize(payload);
    if (!b.ok()) {
      ++corrupt_records_;
      continue;
    }
    buckets->push_back(std::move(b).value());
  }
  std::lock_guard<std::mutex> g(cache_mu_);
  cache_[hour] = CachedHour{static_cast<uint64_t>(data.size()), buckets};
  while (cache_.size() > std::max<size_t>(options_.cache_hours, 1)) cache_.erase(cache_.begin());
  return buckets;
}

Status SpanMetricsAggregator::ForEachMinute(uint64_t start_ns, uint64_t end_ns,
                                            const std::function<void(const MinuteBucket&)>& fn) {
  if (end_ns <= start_ns) return Status::Ok();
  // Nothing older than the retention exists; this also bounds the number
  // of hour files probed for an absurd start.
  const uint64_t now_ns = options_.clock_ns();
  if (now_ns > options_.retention_ns + kNanosPerMinute * 60)
    start_ns = std::max(start_ns, now_ns - options_.retention_ns - kNanosPerMinute * 60);
  if (end_ns <= start_ns) return Status::Ok();
  const int64_t first_minute = static_cast<int64_t>(start_ns / kNanosPerMinute);
  const int64_t last_minute = static_cast<int64_t>((end_ns - 1) / kNanosPerMinute);
  std::shared_lock<std::shared_mutex> io(io_mu_);
  for (int64_t hour = first_minute / 60; hour <= last_minute / 60; ++hour) {
    auto buckets = LoadHour(hour);
    if (!buckets) continue;
    for (const auto& b : *buckets)
      if (b.minute >= first_minute && b.minute <= last_minute) fn(b);
  }
  std::map<int64_t, MinuteBucket> open;
  CollectOpen(first_minute, last_minute, /*erase=*/false, &open);
  for (const auto& [m, b] : open) fn(b);
  return Status::Ok();
}

}  // namespace tracery::analysis
