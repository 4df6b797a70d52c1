// OTLP transports: HTTP/protobuf (POST {endpoint}/v1/traces, optional gzip)
// and gRPC (TraceService/Export through grpc::GenericStub, sending the
// pre-encoded bytes as they are: no generated classes on the export path).
//
// Both retry with exponential back-off and ±50% jitter until the export
// deadline: HTTP on connection failure, 429, 502, 503, 504 (honouring
// Retry-After in seconds); gRPC on UNAVAILABLE, RESOURCE_EXHAUSTED,
// DEADLINE_EXCEEDED, ABORTED, CANCELLED, OUT_OF_RANGE, DATA_LOSS (honouring
// the grpc-retry-pushback-ms trailer). With several endpoints, a connection
// failure or 502/503/504/UNAVAILABLE moves to the next one (fail-over); the
// endpoint that last worked is tried first.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "tracery/sdk.h"

namespace tracery::internal {

// Fails (InvalidArgument, naming the endpoint) when an endpoint is not a
// usable http:// URL.
Result<std::unique_ptr<SpanExporter>> MakeOtlpHttpExporter(const sdk::ExporterOptions& options);
Result<std::unique_ptr<SpanExporter>> MakeOtlpGrpcExporter(const sdk::ExporterOptions& options);

// gzip (RFC 1952) of `data`.
Result<std::string> GzipCompress(std::string_view data);

// gzip at zlib level 1, keeping zlib's ~270 KB of state between calls
// (deflateReset) instead of allocating and clearing it per export. On OTLP
// batches level 1 is ~2.5x cheaper than the default level 6 and the output
// is within 2% of its size. Not thread-safe: one per exporter thread.
class GzipCompressor {
 public:
  GzipCompressor() = default;
  ~GzipCompressor();
  GzipCompressor(const GzipCompressor&) = delete;
  GzipCompressor& operator=(const GzipCompressor&) = delete;
  // Replaces *out with the gzip of `data`.
  Status Compress(std::string_view data, std::string* out);

 private:
  void* stream_ = nullptr;  // z_stream, created on first use
};

// Retry-After as seconds ("120"); nullopt for an HTTP date or garbage.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value);

// The wait before retry `attempt` (0-based): initial * 2^attempt capped at
// max, then multiplied by a uniform factor in [0.5, 1.5).
std::chrono::milliseconds BackoffWithJitter(uint32_t attempt, uint32_t initial_ms, uint32_t max_ms);

}  // namespace tracery::internal
