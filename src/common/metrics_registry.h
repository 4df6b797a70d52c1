// A small Prometheus metrics registry: counters and gauges with fixed label
// sets, rendered in the Prometheus text exposition format on /metrics.
//
// Thread-safety: registration and rendering take a mutex; Counter::Add is a
// relaxed atomic increment and safe from any thread on any hot path.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tracery {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class MetricsRegistry {
 public:
  // Returns the counter for (name, labels), creating it on first use. The
  // returned pointer stays valid for the registry's lifetime. `labels` is the
  // rendered label list without braces, e.g. `protocol="otlp_http"`.
  Counter* GetCounter(const std::string& name, const std::string& help, const std::string& labels = "");
  // A gauge whose value is read from `fn` at render time.
  void AddGauge(const std::string& name, const std::string& help, std::function<double()> fn,
                const std::string& labels = "");
  std::string RenderPrometheus() const;

  static MetricsRegistry& Global();

 private:
  struct Entry {
    std::string name, help, labels, type;
    std::unique_ptr<Counter> counter;
    std::function<double()> gauge;
  };
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace tracery
