// Setting up the Tracery SDK: options (from code or the standard OTEL_*
// environment variables), the TracerProvider that owns the export pipeline,
// and one-line adoption:
//
//   int main() {
//     auto provider = tracery::sdk::InitFromEnv();  // flushes on destruction
//     tracery::Tracer tracer = tracery::GetTracer("checkout");
//     ...
//   }
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "tracery/propagation.h"
#include "tracery/sampler.h"
#include "tracery/trace.h"

namespace tracery {

namespace internal {
class TracerCore;
}

// Transport for encoded OTLP ExportTraceServiceRequest messages. The batch
// processor calls Export from its single background thread only.
class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  // Sends one request, retrying as the exporter sees fit until `deadline`.
  // OK means the collector accepted it; anything else means the spans in it
  // are lost (the processor counts them).
  virtual Status Export(std::string_view otlp_request, std::chrono::steady_clock::time_point deadline) = 0;
};

namespace sdk {

// Batch span processor settings (defaults are the OTel spec's).
struct BatchOptions {
  uint32_t max_queue_size = 2048;        // OTEL_BSP_MAX_QUEUE_SIZE; rounded up to a power of two
  uint32_t schedule_delay_ms = 5000;     // OTEL_BSP_SCHEDULE_DELAY
  uint32_t max_export_batch_size = 512;  // OTEL_BSP_MAX_EXPORT_BATCH_SIZE (capped at max_queue_size)
  uint32_t export_timeout_ms = 30000;    // OTEL_BSP_EXPORT_TIMEOUT: per batch, retries included
};

enum class OtlpProtocol { kHttpProtobuf, kGrpc };

struct ExporterOptions {
  // Collector base URLs, tried in order (fail-over moves to the next on a
  // connection failure or retryable answer). HTTP appends "/v1/traces".
  // OTEL_EXPORTER_OTLP_ENDPOINT (comma-separated list allowed). Default
  // http://localhost:4318 (http/protobuf) or http://localhost:4317 (grpc).
  std::vector<std::string> endpoints;
  // OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: full URLs used as given (no path appended).
  bool endpoints_are_full_urls = false;
  OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf;  // OTEL_EXPORTER_OTLP_PROTOCOL
  // OTEL_EXPORTER_OTLP_HEADERS (k=v,k2=v2, values percent-decoded)
  std::vector<std::pair<std::string, std::string>> headers;
  // OTEL_EXPORTER_OTLP_COMPRESSION (gzip | none; default none, as the OTel
  // spec). gzip costs the exporter thread ~1 us of CPU per span (level 1,
  // see docs/sdk.md) to save ~80% of the bytes: worth it over a WAN link,
  // not to a collector on the same host or network.
  bool gzip = false;
  // Retry back-off: initial, doubled per attempt up to max, with ±50% jitter;
  // a server's Retry-After / grpc-retry-pushback-ms replaces the computed wait.
  uint32_t initial_backoff_ms = 500;
  uint32_t max_backoff_ms = 5000;
  uint32_t per_attempt_timeout_ms = 10000;  // OTEL_EXPORTER_OTLP_TIMEOUT (connect+send+receive)
};

struct SamplerOptions {
  // OTEL_TRACES_SAMPLER: always_on, always_off, traceidratio,
  // parentbased_always_on (default), parentbased_always_off,
  // parentbased_traceidratio, jaeger_remote, parentbased_jaeger_remote.
  std::string name = "parentbased_always_on";
  // OTEL_TRACES_SAMPLER_ARG: the ratio for *traceidratio (default 1.0); for
  // *jaeger_remote "endpoint=...,pollingIntervalMs=...,initialSamplingRate=...".
  std::string arg;
};

struct ResourceOptions {
  std::string service_name;  // OTEL_SERVICE_NAME (wins over service.name in attributes)
  // OTEL_RESOURCE_ATTRIBUTES (k=v,k2=v2, percent-decoded). host.name,
  // process.pid and telemetry.sdk.* are added by detection.
  std::vector<std::pair<std::string, std::string>> attributes;
};

struct SdkOptions {
  bool disabled = false;  // OTEL_SDK_DISABLED=true: no-op tracers, nothing exported
  ResourceOptions resource;
  SamplerOptions sampler;
  // OTEL_PROPAGATORS: tracecontext, baggage, b3, b3multi, jaeger, none.
  std::vector<std::string> propagators = {"tracecontext", "baggage"};
  ExporterOptions exporter;
  BatchOptions batch;
  // Problems found while reading the environment (bad numbers, unknown
  // names): each was replaced by its default. InitFromEnv prints them.
  std::vector<std::string> warnings;
};

using EnvLookup = std::function<const char*(const char*)>;
// Reads every setting above from the environment (or from `lookup`, for
// tests). Never fails: bad values fall back to defaults with a warning.
SdkOptions OptionsFromEnv(const EnvLookup& lookup = {});

// The resource attributes the SDK reports: options' attributes, then
// service.name (default "unknown_service:<process name>"), host.name,
// process.pid, telemetry.sdk.{name,language,version}.
std::vector<std::pair<std::string, std::string>> DetectResource(const ResourceOptions& options);

// Builds the sampler named by the options (unknown names: parentbased_always_on
// with a warning appended to *warnings when given).
std::unique_ptr<Sampler> MakeSampler(const SamplerOptions& options, std::string_view service_name,
                                     std::vector<std::string>* warnings = nullptr);

// The OTLP/HTTP (protobuf, optional gzip) or OTLP/gRPC exporter for the options.
std::unique_ptr<SpanExporter> MakeOtlpExporter(const ExporterOptions& options);

}  // namespace sdk

struct ExportStats {
  uint64_t spans_exported = 0;
  uint64_t dropped_queue_full = 0;     // the application outran the exporter
  uint64_t dropped_export_failed = 0;  // the collector refused or was away past the export timeout
  uint64_t dropped_shutdown = 0;       // ended after Shutdown, or left when its timeout ran out
  uint64_t export_requests = 0;        // requests handed to the exporter
  uint64_t export_failures = 0;        // of those, how many failed
};

// Owns the span pipeline: sampler, batch processor and its background
// thread, exporter. Thread-safe. Must outlive every Tracer and Span it
// created (destroy it last in main); destruction calls Shutdown().
class TracerProvider {
 public:
  // A provider exporting through `exporter` (nullptr: spans are dropped
  // after processing, useful with disabled SDKs and in benchmarks).
  TracerProvider(const sdk::SdkOptions& options, std::unique_ptr<SpanExporter> exporter,
                 std::unique_ptr<Sampler> sampler = nullptr);
  ~TracerProvider();
  TracerProvider(const TracerProvider&) = delete;
  TracerProvider& operator=(const TracerProvider&) = delete;

  // Tracers with the same name and version share one instrumentation scope.
  Tracer GetTracer(std::string_view name, std::string_view version = {});
  // Exports everything ended before the call; false on timeout.
  bool ForceFlush(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  // Flushes, then stops the background thread. Later spans are dropped
  // (counted in dropped_shutdown). Idempotent.
  bool Shutdown(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  ExportStats Stats() const;

 private:
  std::unique_ptr<internal::TracerCore> core_;
};

// Makes `provider` the one GetTracer() uses (nullptr: back to no-op). The
// caller keeps ownership. Call before starting threads that trace.
void SetGlobalTracerProvider(TracerProvider* provider);

namespace sdk {
// One-line adoption: OptionsFromEnv, then a provider with the OTLP exporter,
// installed as the global provider, and the OTEL_PROPAGATORS propagator
// installed as the global propagator. Prints warnings to stderr.
std::unique_ptr<TracerProvider> InitFromEnv();
// The same from explicit options.
std::unique_ptr<TracerProvider> Init(const SdkOptions& options);
}  // namespace sdk

}  // namespace tracery
