// Test-only: a TracerProvider whose exporter keeps every span it is given
// (decoded with the generated OTLP classes), installed as the global one.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "tracery/sdk.h"

namespace shop::testing {

namespace otlp = opentelemetry::proto;

class CapturingExporter final : public tracery::SpanExporter {
 public:
  tracery::Status Export(std::string_view bytes, std::chrono::steady_clock::time_point) override {
    otlp::collector::trace::v1::ExportTraceServiceRequest req;
    if (!req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return tracery::Status::Corruption("bad");
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& rs : req.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& s : ss.spans()) spans.push_back(s);
    return tracery::Status::Ok();
  }
  std::mutex mu;
  std::vector<otlp::trace::v1::Span> spans;
};

// The string (or integer, as text) value of attribute `key`, or "<missing>".
inline std::string Attr(const otlp::trace::v1::Span& s, const std::string& key) {
  for (const auto& kv : s.attributes()) {
    if (kv.key() != key) continue;
    if (kv.value().has_int_value()) return std::to_string(kv.value().int_value());
    if (kv.value().has_bool_value()) return kv.value().bool_value() ? "true" : "false";
    return kv.value().string_value();
  }
  return "<missing>";
}

// Owns a provider sampling everything into a CapturingExporter, global
// while it lives.
class CaptureSpans {
 public:
  CaptureSpans() {
    auto exporter = std::make_unique<CapturingExporter>();
    exporter_ = exporter.get();
    provider_ = std::make_unique<tracery::TracerProvider>(tracery::sdk::SdkOptions{}, std::move(exporter),
                                                          tracery::MakeAlwaysOnSampler());
    tracery::SetGlobalTracerProvider(provider_.get());
  }
  ~CaptureSpans() {
    tracery::SetGlobalTracerProvider(nullptr);
    provider_->Shutdown();
  }
  // Flushes and returns every span ended so far.
  std::vector<otlp::trace::v1::Span> Spans() {
    provider_->ForceFlush();
    std::lock_guard<std::mutex> lock(exporter_->mu);
    return exporter_->spans;
  }

 private:
  CapturingExporter* exporter_;
  std::unique_ptr<tracery::TracerProvider> provider_;
};

}  // namespace shop::testing
