// Composite and global propagators, the header-vector carrier, and the
// OTEL_PROPAGATORS factory.
#include <atomic>
#include <mutex>

#include "tracery/propagation.h"

namespace tracery {
namespace {
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}
}  // namespace

std::string_view HeaderVectorCarrier::Get(std::string_view key) const {
  for (const auto& [k, v] : headers_) {
    if (EqualsIgnoreCase(k, key)) return v;
  }
  return {};
}
void HeaderVectorCarrier::Set(std::string_view key, std::string_view value) {
  for (auto& [k, v] : headers_) {
    if (EqualsIgnoreCase(k, key)) {
      v.assign(value.data(), value.size());
      return;
    }
  }
  headers_.emplace_back(std::string(key), std::string(value));
}
void HeaderVectorCarrier::ForEachKey(const std::function<bool(std::string_view)>& fn) const {
  for (const auto& kv : headers_) {
    if (!fn(kv.first)) return;
  }
}

void CompositePropagator::Inject(const Context& context, TextMapCarrier& carrier) const {
  for (const auto& p : parts_) p->Inject(context, carrier);
}
Context CompositePropagator::Extract(const TextMapCarrier& carrier, const Context& context) const {
  Context out = context;
  ExtractInto(carrier, out);
  return out;
}
void CompositePropagator::ExtractInto(const TextMapCarrier& carrier, Context& context) const {
  for (const auto& p : parts_) p->ExtractInto(carrier, context);
}
std::vector<std::string> CompositePropagator::Fields() const {
  std::vector<std::string> out;
  for (const auto& p : parts_) {
    for (std::string& f : p->Fields()) out.push_back(std::move(f));
  }
  return out;
}

std::unique_ptr<TextMapPropagator> MakePropagator(const std::vector<std::string>& names,
                                                  std::vector<std::string>* unknown) {
  std::vector<std::unique_ptr<TextMapPropagator>> parts;
  for (const std::string& n : names) {
    if (n == "tracecontext") parts.push_back(std::make_unique<W3CTraceContextPropagator>());
    else if (n == "baggage") parts.push_back(std::make_unique<W3CBaggagePropagator>());
    else if (n == "b3") parts.push_back(std::make_unique<B3Propagator>(B3Propagator::Form::kSingleHeader));
    else if (n == "b3multi") parts.push_back(std::make_unique<B3Propagator>(B3Propagator::Form::kMultiHeader));
    else if (n == "jaeger") parts.push_back(std::make_unique<JaegerPropagator>());
    else if (n == "none") continue;
    else if (unknown) unknown->push_back(n);
  }
  return std::make_unique<CompositePropagator>(std::move(parts));
}

namespace {
std::atomic<const TextMapPropagator*> g_propagator{nullptr};
std::mutex g_keep_mu;
// Every propagator ever installed stays alive: references handed out earlier remain valid.
std::vector<std::unique_ptr<TextMapPropagator>>& Kept() {
  static auto* kept = new std::vector<std::unique_ptr<TextMapPropagator>>();
  return *kept;
}
}  // namespace

const TextMapPropagator& GlobalPropagator() {
  const TextMapPropagator* p = g_propagator.load(std::memory_order_acquire);
  if (p) return *p;
  std::lock_guard<std::mutex> lock(g_keep_mu);
  p = g_propagator.load(std::memory_order_acquire);
  if (p) return *p;
  Kept().push_back(MakePropagator({"tracecontext", "baggage"}));
  g_propagator.store(Kept().back().get(), std::memory_order_release);
  return *Kept().back();
}

void SetGlobalPropagator(std::unique_ptr<TextMapPropagator> propagator) {
  if (!propagator) return;
  std::lock_guard<std::mutex> lock(g_keep_mu);
  Kept().push_back(std::move(propagator));
  g_propagator.store(Kept().back().get(), std::memory_order_release);
}

}  // namespace tracery
