// WalStagedStore: a SpanStore that makes spans durable in a local
// write-ahead log before acknowledging them, then delivers them to an inner
// store (ClickHouse) in the background. A collector over ClickHouse uses it
// so that what it acknowledged survives its crash: the log is replayed on
// start and each log file is deleted once the inner store acknowledged
// every span in it.
//
// Log files are "<dir>/<number>.wal" in the embedded store's WAL framing
// (docs/formats/wal.md); each record is one span_codec-encoded batch. The
// active file is closed ("sealed") every ship_interval_ms when non-empty;
// sealed files are delivered oldest first. Delivery is at least once: a
// crash between the inner store's acknowledgement and the file's deletion
// delivers that file again (the query side removes duplicate spans).
//
// Reads (GetTrace, FindTraces, ...) go to the inner store: spans are
// searchable once delivered, typically within ship_interval_ms plus the
// inner store's own batching.
//
// Thread-safety: every method may be called concurrently (SpanStore).
// Concurrent Write()s share one append + fsync (group commit).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "storage/env.h"
#include "storage/span_store.h"
#include "storage/wal_writer.h"

namespace tracery::cluster {

struct WalStagedStoreOptions {
  std::string dir;                         // created when missing
  uint64_t ship_interval_ms = 200;         // seal + deliver cadence
  uint64_t max_staged_bytes = 1ull << 30;  // past this Write returns ResourceExhausted
  size_t max_spans_per_delivery = 50'000;  // spans per inner Write
  storage::Env* env = nullptr;             // nullptr: Env::Default()
};

class WalStagedStore : public storage::SpanStore {
 public:
  // Opens the log directory; sealed files left by a previous run are
  // delivered by the background thread. Takes ownership of `inner`.
  static Result<std::unique_ptr<WalStagedStore>> Open(WalStagedStoreOptions options,
                                                      std::unique_ptr<storage::SpanStore> inner);
  ~WalStagedStore() override;

  // OK once the batch is fsynced to the local log (not yet in the inner store).
  Status Write(const model::SpanBatch& batch) override;
  Result<model::SpanBatch> GetTrace(const model::TraceId& id, size_t max_spans) override;
  Result<storage::FindResult> FindTraces(const storage::TraceQuery& query) override;
  Result<std::vector<std::string>> GetServices() override;
  Result<std::vector<storage::Operation>> GetOperations(const std::string& service,
                                                        std::optional<model::SpanKind> kind) override;
  Result<std::vector<storage::DependencyLink>> GetDependencies(uint64_t start_ns, uint64_t end_ns) override;
  Status ScanSpans(uint64_t start_ns, uint64_t end_ns,
                   const std::function<bool(const model::SpanBatch&)>& fn) override;
  // Delivers everything logged so far to the inner store, then flushes it.
  // Unavailable when the inner store does not accept it now (the log keeps it).
  Status Flush() override;
  storage::StoreStats Stats() override;

  // Bytes logged but not yet acknowledged by the inner store.
  uint64_t staged_bytes() const;

 private:
  struct Group;
  WalStagedStore(WalStagedStoreOptions options, std::unique_ptr<storage::SpanStore> inner);
  Status Init();
  std::string PathOf(uint64_t number) const;
  Status SealLocked(std::unique_lock<std::mutex>& lock);  // REQUIRES: mu_ held
  Status DeliverSealed();                                 // REQUIRES: deliver_mu_ held
  void ShipLoop();

  const WalStagedStoreOptions options_;
  storage::Env* env_;
  std::unique_ptr<storage::SpanStore> inner_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<storage::WalWriter> writer_;  // GUARDED_BY(mu_); null when no active file
  uint64_t active_number_ = 0;                  // GUARDED_BY(mu_)
  uint64_t next_number_ = 1;                    // GUARDED_BY(mu_)
  std::deque<uint64_t> sealed_;                 // GUARDED_BY(mu_); oldest first
  std::shared_ptr<Group> collecting_;           // GUARDED_BY(mu_)
  bool writing_ = false;                        // GUARDED_BY(mu_); a leader appends outside mu_
  uint64_t staged_bytes_ = 0;                   // GUARDED_BY(mu_)
  bool stopping_ = false;                       // GUARDED_BY(mu_)

  std::mutex deliver_mu_;  // one delivery at a time (ship thread or Flush)
  std::thread ship_thread_;
};

}  // namespace tracery::cluster
