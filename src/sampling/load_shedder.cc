#include "sampling/load_shedder.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "sampling/consistent_trace_hash.h"

namespace tracery::sampling {

uint64_t ProcessResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size_pages = 0, resident_pages = 0;
  int n = std::fscanf(f, "%lu %lu", &size_pages, &resident_pages);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<uint64_t>(resident_pages) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

LoadShedder::LoadShedder(LoadShedderOptions options, MetricsRegistry* metrics) : options_(std::move(options)) {
  if (!options_.memory_usage_bytes) options_.memory_usage_bytes = ProcessResidentBytes;
  if (!options_.clock_ns)
    options_.clock_ns = [] {
      return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::steady_clock::now().time_since_epoch())
                                       .count());
    };
  options_.min_keep_fraction = std::clamp(options_.min_keep_fraction, 1e-6, 1.0);
  if (metrics) {
    // The gauge outlives this object, so it reads a shared copy.
    auto fraction = std::make_shared<std::atomic<double>>(1.0);
    metrics->AddGauge("tracery_load_shed_keep_fraction",
                      "Fraction of non-priority traces kept by load shedding (1 = no shedding)",
                      [fraction] { return fraction->load(std::memory_order_relaxed); });
    shared_fraction_ = fraction;
    overload_intervals_ = metrics->GetCounter("tracery_load_shed_overload_intervals_total",
                                              "Adjust intervals in which the store or memory signalled overload");
  }
}

void LoadShedder::RecordStoreWrite(const Status& status, uint64_t latency_ns, uint64_t now_ns) {
  // Only "cannot keep up" is an overload signal. Unavailable (disk full, the
  // backend down) refuses every write whatever the rate: shedding cannot
  // help, and a lowered keep fraction would silently drop acknowledged
  // traces for many seconds after the store recovers.
  const bool refused = status.code() == Status::Code::kResourceExhausted;
  const bool slow = options_.store_latency_target_ns > 0 && latency_ns > options_.store_latency_target_ns;
  if (refused || slow) {
    std::lock_guard<std::mutex> lock(mu_);
    overloaded_in_interval_ = true;
    refused_in_interval_ |= refused;
  }
  Update(now_ns);
}

void LoadShedder::Update(uint64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_) {
    started_ = true;
    interval_start_ns_ = now_ns;
  }
  if (now_ns < interval_start_ns_ || now_ns - interval_start_ns_ < options_.adjust_interval_ns) return;
  interval_start_ns_ = now_ns;

  bool overloaded = overloaded_in_interval_;
  if (options_.memory_limit_bytes > 0) {
    const uint64_t used = options_.memory_usage_bytes();
    memory_bytes_.store(used, std::memory_order_relaxed);
    const double ratio = static_cast<double>(used) / static_cast<double>(options_.memory_limit_bytes);
    if (ratio > options_.memory_soft_fraction) overloaded = true;
    memory_hard_.store(ratio > options_.memory_hard_fraction, std::memory_order_relaxed);
  }
  double keep = keep_fraction_.load(std::memory_order_relaxed);
  if (overloaded) {
    if (overload_intervals_) overload_intervals_->Add();
    store_saturated_.store(refused_in_interval_ && keep <= options_.min_keep_fraction, std::memory_order_relaxed);
    keep = std::max(options_.min_keep_fraction, keep * options_.decrease_factor);
  } else {
    store_saturated_.store(false, std::memory_order_relaxed);
    keep = std::min(1.0, keep + options_.increase_step);
  }
  keep_fraction_.store(keep, std::memory_order_relaxed);
  if (shared_fraction_) shared_fraction_->store(keep, std::memory_order_relaxed);
  overloaded_in_interval_ = false;
  refused_in_interval_ = false;
}

bool LoadShedder::KeepTrace(const model::TraceId& id) const { return TraceIdSampled(id, keep_fraction()); }

uint64_t LoadShedder::retry_after_s() const {
  return std::max<uint64_t>(1, (options_.adjust_interval_ns + 999'999'999) / 1'000'000'000);
}

Status LoadShedder::AdmitBatch() const {
  if (memory_hard_.load(std::memory_order_relaxed))
    return Status::ResourceExhausted("collector memory is above " +
                                     std::to_string(static_cast<int>(options_.memory_hard_fraction * 100)) +
                                     "% of --memory-limit-bytes; retry after " + std::to_string(retry_after_s()) +
                                     " s");
  if (store_saturated_.load(std::memory_order_relaxed))
    return Status::ResourceExhausted("the store is refusing writes even at the minimum keep fraction; retry after " +
                                     std::to_string(retry_after_s()) + " s");
  return Status::Ok();
}

}  // namespace tracery::sampling
