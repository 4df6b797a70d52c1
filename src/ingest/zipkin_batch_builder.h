// The Zipkin v2 → Tracery model mapping shared by the Zipkin JSON and proto3
// decoders (each parses its wire format, then fills spans through this).
//
// Mapping (also in docs/formats/zipkin_ingest.md):
//  - localEndpoint → the span's Resource, one Resource per distinct
//    (serviceName, ipv4, ipv6, port): service.name, net.host.ip (ipv4, or
//    ipv6 when there is no ipv4), net.host.ipv6 (ipv6 when both are given),
//    net.host.port (int, when non-zero). All spans share one empty Scope.
//  - remoteEndpoint → span attributes peer.service, net.peer.ip,
//    net.peer.ipv6, net.peer.port, chosen the same way.
//  - kind CLIENT/SERVER/PRODUCER/CONSUMER → the same SpanKind; absent →
//    kInternal (a Zipkin span without kind is a local span).
//  - timestamp/duration (microseconds) → start/end in nanoseconds; without a
//    timestamp both times are 0.
//  - annotations → events (time, name = value); tags → string attributes;
//    an "error" tag also sets status ERROR with the tag's value as message.
//  - debug / shared true → bool attributes zipkin.debug / zipkin.shared.
// Internal to src/ingest; not thread-safe (one builder per request).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/decode_result.h"
#include "model/span.h"

namespace tracery::ingest {

// A Zipkin endpoint with its addresses already in text form.
struct ZipkinEndpoint {
  std::string_view service_name;
  std::string_view ipv4;
  std::string_view ipv6;
  int32_t port = 0;
};

class ZipkinBatchBuilder {
 public:
  explicit ZipkinBatchBuilder(const IngestLimits& limits, size_t expected_spans);

  // Starts a new span belonging to `local`'s resource and returns it for the
  // decoder to fill. REQUIRES: the previous span was finished or rejected.
  model::Span* StartSpan(const ZipkinEndpoint& local);
  // Applies the limits to the started span and keeps it.
  void FinishSpan();
  // Discards the started span and counts it as rejected for `reason`.
  void RejectSpan(std::string reason);

  // Field setters for the started span. Times return false (with `why`)
  // when microseconds do not fit in uint64 nanoseconds.
  static bool SetTimes(uint64_t timestamp_us, uint64_t duration_us, model::Span* span, std::string* why);
  static bool AddAnnotation(uint64_t timestamp_us, std::string value, model::Span* span, std::string* why);
  static void AddTag(std::string key, std::string value, model::Span* span);
  static void SetRemoteEndpoint(const ZipkinEndpoint& remote, model::Span* span);
  static void SetFlags(bool debug, bool shared, model::Span* span);

  DecodeResult Finish() && { return std::move(result_); }

 private:
  struct EndpointKey {
    std::string service_name, ipv4, ipv6;
    int32_t port = 0;
  };
  uint32_t ResourceFor(const ZipkinEndpoint& local);

  const IngestLimits& limits_;
  DecodeResult result_;
  std::vector<EndpointKey> keys_;  // parallel to result_.batch.resources
  uint32_t last_resource_ = UINT32_MAX;
};

}  // namespace tracery::ingest
