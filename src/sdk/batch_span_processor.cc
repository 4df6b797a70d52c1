#include "batch_span_processor.h"

#include <algorithm>

namespace tracery::internal {
namespace {
int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

BatchSpanProcessor::BatchSpanProcessor(const sdk::BatchOptions& options, std::unique_ptr<SpanExporter> exporter,
                                       const std::vector<std::pair<std::string, std::string>>& resource_attributes)
    : options_(options),
      exporter_(std::move(exporter)),
      encoder_(resource_attributes),
      queue_(std::max<uint32_t>(options.max_queue_size, 2)) {
  options_.max_export_batch_size =
      std::clamp<uint32_t>(options_.max_export_batch_size, 1, static_cast<uint32_t>(queue_.capacity()));
  batch_.reserve(options_.max_export_batch_size);
  next_wake_position_.store(options_.max_export_batch_size - 1, std::memory_order_relaxed);
  thread_ = std::thread([this] { Run(); });
}

BatchSpanProcessor::~BatchSpanProcessor() { Shutdown(std::chrono::milliseconds(options_.export_timeout_ms)); }

void BatchSpanProcessor::OnEnd(SpanRecord* record) {
  if (shut_down_.load(std::memory_order_relaxed)) [[unlikely]] {
    dropped_shutdown_.fetch_add(1, std::memory_order_relaxed);
    ReleaseSpanRecord(record);
    return;
  }
  size_t position;
  if (!queue_.TryPush(record, &position)) [[unlikely]] {
    dropped_queue_full_.fetch_add(1, std::memory_order_relaxed);
    ReleaseSpanRecord(record);
    return;
  }
  // Wake the exporter once per batch's worth of pushes rather than per span.
  // Judged from the push position, not the queue's size: reading the
  // consumer's position would cost a cache miss per span.
  if (position >= next_wake_position_.load(std::memory_order_relaxed)) [[unlikely]] {
    next_wake_position_.store(position + options_.max_export_batch_size, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu_);
    wake_cv_.notify_one();
  }
}

size_t BatchSpanProcessor::ExportOneBatch(std::chrono::steady_clock::time_point deadline) {
  batch_.clear();
  while (batch_.size() < options_.max_export_batch_size) {
    SpanRecord* r = queue_.TryPop();
    if (!r) break;
    batch_.push_back(r);
  }
  if (batch_.empty()) return 0;
  size_t n = batch_.size();
  if (exporter_) {
    encoder_.Encode(batch_.data(), n, &request_);
    int64_t cap_ns = shutdown_deadline_ns_.load(std::memory_order_relaxed);
    auto cap = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(cap_ns));
    if (cap_ns != INT64_MAX && cap < deadline) deadline = cap;
    export_requests_.fetch_add(1, std::memory_order_relaxed);
    Status st = exporter_->Export(request_, deadline);
    if (st.ok()) {
      spans_exported_.fetch_add(n, std::memory_order_relaxed);
    } else {
      export_failures_.fetch_add(1, std::memory_order_relaxed);
      dropped_export_failed_.fetch_add(n, std::memory_order_relaxed);
    }
  }
  ReleaseSpanRecordsToGlobal(batch_.data(), n);
  return n;
}

void BatchSpanProcessor::Run() {
  const auto delay = std::chrono::milliseconds(options_.schedule_delay_ms);
  for (;;) {
    uint64_t flush_target;
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_cv_.wait_for(lock, delay, [&] {
        return stop_ || flush_requested_ > flush_completed_ || queue_.ApproxSize() >= options_.max_export_batch_size;
      });
      flush_target = flush_requested_;
      stopping = stop_;
    }
    bool flushing = flush_target > flush_completed_ || stopping;
    // Timer or full batch: export full batches, and on the timer also the
    // partial one. Flush/stop: everything that is in the queue now.
    size_t to_export = queue_.ApproxSize();
    while (to_export > 0) {
      if (stopping && SteadyNowNs() >= shutdown_deadline_ns_.load(std::memory_order_relaxed)) break;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.export_timeout_ms);
      size_t n = ExportOneBatch(deadline);
      if (n == 0) break;
      to_export -= std::min(n, to_export);
      if (!flushing && queue_.ApproxSize() < options_.max_export_batch_size && to_export == 0) break;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (flush_target > flush_completed_) flush_completed_ = flush_target;
    }
    done_cv_.notify_all();
    if (stopping) return;
  }
}

bool BatchSpanProcessor::ForceFlush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) return queue_.ApproxSize() == 0;
  uint64_t target = ++flush_requested_;
  wake_cv_.notify_one();
  return done_cv_.wait_for(lock, timeout, [&] { return flush_completed_ >= target; });
}

bool BatchSpanProcessor::Shutdown(std::chrono::milliseconds timeout) {
  if (shut_down_.exchange(true)) return true;
  shutdown_deadline_ns_.store(SteadyNowNs() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count());
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    ++flush_requested_;
  }
  wake_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  // Whatever the exporter could not take before its deadline.
  size_t left = 0;
  while (SpanRecord* r = queue_.TryPop()) {
    ReleaseSpanRecordsToGlobal(&r, 1);
    ++left;
  }
  dropped_shutdown_.fetch_add(left, std::memory_order_relaxed);
  return left == 0;
}

ExportStats BatchSpanProcessor::Stats() const {
  ExportStats s;
  s.spans_exported = spans_exported_.load(std::memory_order_relaxed);
  s.dropped_queue_full = dropped_queue_full_.load(std::memory_order_relaxed);
  s.dropped_export_failed = dropped_export_failed_.load(std::memory_order_relaxed);
  s.dropped_shutdown = dropped_shutdown_.load(std::memory_order_relaxed);
  s.export_requests = export_requests_.load(std::memory_order_relaxed);
  s.export_failures = export_failures_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace tracery::internal
