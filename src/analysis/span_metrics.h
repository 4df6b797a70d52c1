// SpanMetricsAggregator: RED metrics, latency sketches, error groups and
// service-graph edges computed from every span at ingest time.
//
// The collector calls Observe() with each SpanBatch it receives, BEFORE any
// sampling or storage decision, so these metrics stay exact even when the
// trace store later keeps only a sample of traces. Dashboards (latency over
// a week, RED tables, the service map) read these minute buckets and merge
// their sketches; they never rescan spans.
//
// What is kept, per 1-minute bucket of span start time:
//   - per (service, operation, span kind, request?): count, errors, latency;
//     "request" means a SERVER or CONSUMER span, or a root span;
//   - per service: spans reported, and count/errors/latency of its requests;
//   - per error group (service, operation, exception.type, normalised
//     message): count and up to 3 example trace ids;
//   - per service edge (caller -> callee): calls, errors, latency.
//
// Storage: closed minute buckets are appended to one file per hour under
// `dir` (format: docs/formats/span-metrics.md), each record checksummed, and
// read back on restart. Files older than the retention are deleted. Memory
// holds only open buckets (minutes not yet closed) and a bounded cache of
// decoded hour files.
//
// Thread-safety: every public method may be called concurrently. Observe()
// takes one of kShards mutexes per run of spans from the same shard.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analysis/latency_sketch.h"
#include "common/status.h"
#include "model/span.h"

namespace tracery::analysis {

inline constexpr uint64_t kNanosPerMinute = 60'000'000'000ULL;

struct SpanMetricsOptions {
  std::string dir;  // created when missing; one file per hour inside
  uint64_t retention_ns = 7ULL * 24 * 3600 * 1'000'000'000ULL;
  // A minute bucket is written to disk once the clock passes its end by
  // this much. Spans arriving later for that minute go into a new record
  // of the same minute, which readers merge.
  uint64_t close_after_ns = 2 * kNanosPerMinute;
  // Decoded hour files kept in memory for queries (a week is 168).
  size_t cache_hours = 192;
  // Error messages are cut to this many bytes before normalisation.
  size_t max_message_bytes = 256;
  // Current time in ns since epoch; default: the system clock.
  std::function<uint64_t()> clock_ns;
};

// Count, errors and a latency sketch (nanoseconds).
struct RequestStats {
  uint64_t count = 0;
  uint64_t errors = 0;
  LatencySketch latency_ns;

  void Add(uint64_t duration_ns, bool error) {
    ++count;
    errors += error ? 1 : 0;
    latency_ns.Add(static_cast<double>(duration_ns));
  }
  void Merge(const RequestStats& o) {
    count += o.count;
    errors += o.errors;
    latency_ns.Merge(o.latency_ns);
  }
};

// One closed (or, in a query, still open) minute of metrics.
struct MinuteBucket {
  struct Operation {
    std::string service, operation;
    model::SpanKind kind = model::SpanKind::kUnspecified;
    bool request = false;  // SERVER/CONSUMER or root span
    RequestStats stats;
  };
  struct Service {
    std::string service;
    uint64_t spans = 0;     // every span the service reported
    RequestStats requests;  // its request spans only
  };
  struct ErrorGroup {
    std::string service, operation, exception_type, message;  // message normalised
    uint64_t count = 0;
    std::vector<model::TraceId> example_trace_ids;  // at most 3
  };
  struct Edge {
    std::string source, target;
    RequestStats stats;
  };

  int64_t minute = 0;  // minutes since the Unix epoch
  std::vector<Operation> operations;
  std::vector<Service> services;
  std::vector<ErrorGroup> errors;
  std::vector<Edge> edges;

  void SerializeTo(std::string* out) const;
  // Corruption on any malformed input.
  static Result<MinuteBucket> Deserialize(std::string_view data);
};

// Replaces the variable parts of an error message (UUIDs, hex ids, numbers)
// with placeholders, so "user 42 not found" and "user 7 not found" group.
std::string NormalizeErrorMessage(std::string_view message);

class SpanMetricsAggregator {
 public:
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxExamples = 3;

  // Creates the directory if needed, deletes expired files. IOError when the
  // directory cannot be created or listed.
  static Result<std::unique_ptr<SpanMetricsAggregator>> Open(SpanMetricsOptions options);
  // Writes every open bucket (best effort; see last_write_status()).
  ~SpanMetricsAggregator();

  SpanMetricsAggregator(const SpanMetricsAggregator&) = delete;
  SpanMetricsAggregator& operator=(const SpanMetricsAggregator&) = delete;

  // Adds every span of `batch`. Hot path: no allocation per span once the
  // keys of a minute exist, except for error spans (message normalisation).
  // When the clock enters a new minute, the first caller also writes the
  // closed buckets (Tick) unless another thread already is.
  void Observe(const model::SpanBatch& batch);

  // Writes closed minute buckets to disk and deletes expired hour files.
  Status Tick();
  // Writes every open bucket, closed or not (shutdown, tests).
  Status FlushAll();

  // Calls `fn` with the minute buckets, on disk and still open, whose
  // minute starts in [floor_minute(start_ns), end_ns). The same minute may
  // be passed more than once (late spans were written as extra records):
  // callers merge. Unreadable records (torn tail, bad checksum) are skipped
  // and counted in corrupt_records().
  Status ForEachMinute(uint64_t start_ns, uint64_t end_ns,
                       const std::function<void(const MinuteBucket&)>& fn);

  uint64_t NowNs() const { return options_.clock_ns(); }
  // The last error met while writing or deleting files (OK when none).
  Status last_write_status() const;
  uint64_t corrupt_records() const { return corrupt_records_.load(); }

 private:
  struct ErrorAcc {
    uint64_t count = 0;
    std::vector<model::TraceId> examples;
  };
  struct ServiceAcc {
    uint64_t spans = 0;
    RequestStats requests;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using KeyMap = std::unordered_map<std::string, V, KeyHash, std::equal_to<>>;
  // Keys start with the 8-byte minute, then length-prefixed strings.
  struct Shard {
    std::mutex mu;
    KeyMap<RequestStats> operations;
    KeyMap<ServiceAcc> services;
    KeyMap<ErrorAcc> errors;
    KeyMap<RequestStats> edges;
  };

  explicit SpanMetricsAggregator(SpanMetricsOptions options);

  // Moves (erase=true) or copies open entries with minute in
  // [min_minute, max_minute] into `out`.
  void CollectOpen(int64_t min_minute, int64_t max_minute, bool erase,
                   std::map<int64_t, MinuteBucket>* out);
  // REQUIRES: io_mu_ held exclusively.
  Status WriteBuckets(const std::map<int64_t, MinuteBucket>& buckets);
  Status DeleteExpired(uint64_t now_ns);
  std::string HourPath(int64_t hour) const;
  // Decoded records of one hour file (cached by file size).
  std::shared_ptr<const std::vector<MinuteBucket>> LoadHour(int64_t hour);
  void SetWriteStatus(const Status& s);

  SpanMetricsOptions options_;
  Shard shards_[kShards];
  std::shared_mutex io_mu_;  // exclusive: Tick/FlushAll; shared: queries
  std::atomic<int64_t> last_tick_minute_{0};
  std::atomic<uint64_t> corrupt_records_{0};

  mutable std::mutex status_mu_;
  Status last_write_status_;

  struct CachedHour {
    uint64_t file_bytes = 0;
    std::shared_ptr<const std::vector<MinuteBucket>> buckets;
  };
  std::mutex cache_mu_;
  std::map<int64_t, CachedHour> cache_;  // by hour; oldest evicted first
};

}  // namespace tracery::analysis
