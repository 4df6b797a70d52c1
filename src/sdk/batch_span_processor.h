// BatchSpanProcessor: hands ended spans to a background thread that encodes
// them as OTLP and exports them in batches.
//
// Application side (OnEnd): one lock-free queue push; no allocation, no
// lock (except a brief one to wake the exporter once per batch of spans).
// Background side: drains up to max_export_batch_size records, encodes them
// with the hand-written OTLP encoder, calls the exporter, recycles records.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bounded_mpsc_queue.h"
#include "otlp_encoder.h"
#include "span_record.h"
#include "tracery/sdk.h"

namespace tracery::internal {

class BatchSpanProcessor {
 public:
  // `exporter` may be null: batches are then encoded and discarded.
  BatchSpanProcessor(const sdk::BatchOptions& options, std::unique_ptr<SpanExporter> exporter,
                     const std::vector<std::pair<std::string, std::string>>& resource_attributes);
  ~BatchSpanProcessor();

  // Takes ownership of an ended, sampled record. Thread-safe.
  void OnEnd(SpanRecord* record);
  bool ForceFlush(std::chrono::milliseconds timeout);
  bool Shutdown(std::chrono::milliseconds timeout);
  ExportStats Stats() const;

 private:
  void Run();
  // Drains up to max_batch records and exports them. Returns how many.
  size_t ExportOneBatch(std::chrono::steady_clock::time_point deadline);

  sdk::BatchOptions options_;
  std::unique_ptr<SpanExporter> exporter_;
  OtlpEncoder encoder_;
  BoundedMpscQueue<SpanRecord> queue_;

  std::mutex mu_;
  std::condition_variable wake_cv_;  // exporter thread waits here
  std::condition_variable done_cv_;  // ForceFlush callers wait here
  uint64_t flush_requested_ = 0;     // GUARDED_BY(mu_)
  uint64_t flush_completed_ = 0;     // GUARDED_BY(mu_)
  bool stop_ = false;                // GUARDED_BY(mu_)
  // Read by every OnEnd, hardly ever written: a cache line of their own so
  // the exporter thread's writes nearby do not evict them.
  alignas(64) std::atomic<bool> shut_down_{false};
  // The push position at which OnEnd next wakes the exporter (written once
  // per batch).
  std::atomic<size_t> next_wake_position_{0};
  alignas(64) std::atomic<int64_t> shutdown_deadline_ns_{INT64_MAX};  // steady clock; caps export deadlines

  std::atomic<uint64_t> spans_exported_{0};
  std::atomic<uint64_t> dropped_queue_full_{0};
  std::atomic<uint64_t> dropped_export_failed_{0};
  std::atomic<uint64_t> dropped_shutdown_{0};
  std::atomic<uint64_t> export_requests_{0};
  std::atomic<uint64_t> export_failures_{0};

  std::vector<SpanRecord*> batch_;  // exporter thread only
  std::string request_;             // exporter thread only; reused
  std::thread thread_;
};

}  // namespace tracery::internal
