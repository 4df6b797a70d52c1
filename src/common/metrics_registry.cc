#include "common/metrics_registry.h"

#include <cstdio>
#include <set>

namespace tracery {

Counter* MetricsRegistry::GetCounter(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& e : entries_)
    if (e->name == name && e->labels == labels && e->counter) return e->counter.get();
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->labels = labels;
  e->type = "counter";
  e->counter = std::make_unique<Counter>();
  Counter* c = e->counter.get();
  entries_.push_back(std::move(e));
  return c;
}

void MetricsRegistry::AddGauge(const std::string& name, const std::string& help, std::function<double()> fn,
                               const std::string& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->labels = labels;
  e->type = "gauge";
  e->gauge = std::move(fn);
  entries_.push_back(std::move(e));
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  std::set<std::string> described;
  // Group by name so HELP/TYPE appear once per family.
  for (size_t i = 0; i < entries_.size(); ++i) {
    const auto& head = *entries_[i];
    if (!described.insert(head.name).second) continue;
    out += "# HELP " + head.name + " " + head.help + "\n# TYPE " + head.name + " " + head.type + "\n";
    for (size_t j = i; j < entries_.size(); ++j) {
      const auto& e = *entries_[j];
      if (e.name != head.name) continue;
      out += e.name;
      if (!e.labels.empty()) out += "{" + e.labels + "}";
      char buf[64];
      if (e.counter) {
        std::snprintf(buf, sizeof buf, " %llu\n", static_cast<unsigned long long>(e.counter->Value()));
      } else {
        std::snprintf(buf, sizeof buf, " %.17g\n", e.gauge ? e.gauge() : 0.0);
      }
      out += buf;
    }
  }
  return out;
}

MetricsRegistry& MetricsRegistry::Global() {
  static MetricsRegistry* registry = new MetricsRegistry();
  return *registry;
}

}  // namespace tracery
