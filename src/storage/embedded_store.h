// EmbeddedStore: Tracery's own trace storage engine behind SpanStore.
//
// Write path: Write() encodes the batch (span_codec), joins a group-commit
// queue whose leader appends every queued record to the write-ahead log in
// one write and one fsync, then copies the spans into the active memtable.
// A full (or old) memtable is frozen and written by a background thread as
// immutable columnar segments, one per time partition; then its WAL file is
// deleted. Small segments of a partition are merged in the background, and
// retention drops whole partitions by age and by a disk-size cap.
//
// Files: docs/formats/layout.md (directories, partitions, retention),
// wal.md and segment.md (file formats).
//
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "storage/env.h"
#include "storage/memtable.h"
#include "storage/segment_reader.h"
#include "storage/segment_writer.h"
#include "storage/span_store.h"
#include "storage/wal_writer.h"

namespace tracery::storage {

enum class WalSyncPolicy : uint8_t {
  kGroupCommit = 0,  // every Write() returns after the fsync of its group (default)
  kInterval,         // fsync at most every wal_sync_interval_ms; a crash may lose that window
  kNone,             // never fsync the WAL (tests, benchmarks, throwaway data)
};

struct EmbeddedStoreOptions {
  std::string data_dir;               // required; created when missing
  Env* env = nullptr;                 // nullptr: Env::Default()
  WalSyncPolicy wal_sync = WalSyncPolicy::kGroupCommit;
  uint64_t wal_sync_interval_ms = 100;
  size_t memtable_max_bytes = 64u << 20;          // freeze the memtable past this
  uint64_t memtable_flush_interval_ms = 10'000;   // ...or when it is this old at a write
  size_t max_frozen_memtables = 2;                // back-pressure bound (see Write)
  uint64_t write_stall_timeout_ms = 500;          // wait this long for a flush before ResourceExhausted
  uint64_t segment_target_bytes = 32u << 20;      // merge small segments up to this size
  bool compaction = true;
  size_t compaction_min_segments = 4;             // merge when a partition has this many small ones
  size_t row_group_spans = 1024;
  int zstd_level = 3;
  uint64_t retention_period_ns = 7ull * 24 * 3600 * 1'000'000'000;  // 0: keep forever
  uint64_t max_disk_bytes = 0;                    // 0: no size cap
  uint64_t partition_duration_ns = 3600ull * 1'000'000'000;         // one directory per hour
  size_t max_spans_per_trace = 100'000;           // per memtable generation; excess counted, dropped
  // FindTraces looks for a trace's other spans this far before/after the
  // searched range (traces longer than this may be summarised partially).
  uint64_t max_trace_duration_ns = 3600ull * 1'000'000'000;
  uint64_t maintenance_interval_ms = 30'000;      // compaction + retention cadence
  bool background_thread = true;                  // false: call RunMaintenance()/flushes by hand (tests)
};

class EmbeddedStore final : public SpanStore {
 public:
  // Opens (creating if needed) the store in options.data_dir, replaying any
  // write-ahead log left by a crash (a torn or corrupt tail is truncated and
  // logged) and applying retention once.
  static Result<std::unique_ptr<EmbeddedStore>> Open(const EmbeddedStoreOptions& options);
  // Stops background work and closes the WAL. Spans acknowledged but not
  // yet in segments stay in the WAL and are recovered by the next Open.
  ~EmbeddedStore() override;

  // Back-pressure: ResourceExhausted when max_frozen_memtables are waiting
  // to be flushed for longer than write_stall_timeout_ms; Unavailable when
  // the disk is full (the store keeps running; writes succeed again once
  // space returns); InvalidArgument when a span's resource or scope index
  // is out of range. Spans are readable and searchable as soon as it returns.
  Status Write(const model::SpanBatch& batch) override;
  Result<model::SpanBatch> GetTrace(const model::TraceId& id, size_t max_spans) override;
  // Cursor: "<order key>:<trace id hex>" of the last trace returned.
  // Work grows with the traces near the answer, not with the traces in the
  // range (trace_search.h).
  Result<FindResult> FindTraces(const TraceQuery& query) override;
  // The reference FindTraces: same contract and results, but reads every
  // trace in the range. Kept for differential tests of FindTraces.
  Result<FindResult> FindTracesExhaustive(const TraceQuery& query);
  Result<std::vector<std::string>> GetServices() override;
  Result<std::vector<Operation>> GetOperations(const std::string& service,
                                               std::optional<model::SpanKind> kind) override;
  // Edges are computed per segment when it is built (and live for the
  // memtables); an edge whose parent and child spans were stored in
  // different segments is not counted.
  Result<std::vector<DependencyLink>> GetDependencies(uint64_t start_ns, uint64_t end_ns) override;
  Status ScanSpans(uint64_t start_ns, uint64_t end_ns,
                   const std::function<bool(const model::SpanBatch&)>& fn) override;
  // Freezes the memtable and waits until every frozen memtable is in segments.
  Status Flush() override;
  StoreStats Stats() override;

  // Runs one round of compaction and retention now (the background thread
  // does this every maintenance_interval_ms).
  Status RunMaintenance();
  // Spans dropped because their trace exceeded max_spans_per_trace.
  uint64_t dropped_spans() const { return dropped_spans_.load(); }

 private:
  struct Writer;
  struct SegmentEntry {
    std::shared_ptr<SegmentReader> reader;
    std::string partition;  // directory name under segments/
  };
  struct Snapshot {
    std::vector<std::shared_ptr<Memtable>> memtables;
    std::vector<SegmentEntry> segments;
  };

  explicit EmbeddedStore(EmbeddedStoreOptions options);
  Status Recover();
  Status NewWalFile();  // REQUIRES: mu_ held
  Status MakeRoomForWrite(std::unique_lock<std::mutex>& lock, bool force);  // REQUIRES: mu_ held, leader
  Status FlushFrozen(const std::shared_ptr<Memtable>& mem);  // REQUIRES: mu_ not held
  // Flush records (docs/formats/wal.md): written before a flush writes its
  // segments, removed after the flushed WAL files are deleted. On open,
  // ResolveFlushRecords finishes or undoes a flush cut short by a crash so
  // its spans are neither lost nor stored twice. REQUIRES: segments_ loaded,
  // WAL not yet replayed.
  Status WriteFlushRecord(uint64_t number, const std::vector<uint64_t>& wal_numbers,
                          const std::vector<std::pair<uint64_t, std::string>>& segments);
  Status ResolveFlushRecords(uint64_t* max_number);
  std::string FlushRecordPath(uint64_t number) const;
  Status FlushFrozenInline();  // flushes every frozen memtable on this thread; REQUIRES: no background thread
  Status RunCompaction();
  Status RunRetention();
  void BackgroundLoop();
  Snapshot TakeSnapshot();
  std::string PartitionName(uint64_t start_ns) const;
  std::string WalPath(uint64_t number) const;

  const EmbeddedStoreOptions options_;
  Env* const env_;
  const std::string wal_dir_, segment_dir_;

  std::mutex mu_;
  std::condition_variable bg_cv_;          // wakes the background thread
  std::condition_variable flush_done_cv_;  // a frozen memtable was flushed (or failed)
  std::deque<Writer*> writers_;            // GUARDED_BY(mu_)
  std::shared_ptr<Memtable> mem_;          // GUARDED_BY(mu_); Add() only by the leader
  std::deque<std::shared_ptr<Memtable>> imm_;  // GUARDED_BY(mu_)
  std::unique_ptr<WalWriter> wal_;         // GUARDED_BY(mu_); used by the leader
  uint64_t wal_number_ = 0;                // GUARDED_BY(mu_)
  uint64_t next_file_number_ = 1;          // GUARDED_BY(mu_)
  uint64_t last_wal_sync_ns_ = 0;          // GUARDED_BY(mu_)
  std::map<uint64_t, SegmentEntry> segments_;  // GUARDED_BY(mu_), by file number
  Status bg_error_;                        // GUARDED_BY(mu_): last flush failure
  bool shutting_down_ = false;             // GUARDED_BY(mu_)
  bool maintenance_requested_ = false;     // GUARDED_BY(mu_)
  std::thread bg_thread_;

  std::atomic<uint64_t> spans_written_{0};
  std::atomic<uint64_t> dropped_spans_{0};
};

}  // namespace tracery::storage
