#include "ingest/zipkin_batch_builder.h"

#include <limits>

#include "ingest/span_limits.h"

namespace tracery::ingest {
namespace {

using model::AnyValue;

constexpr uint64_t kMaxMicros = std::numeric_limits<uint64_t>::max() / 1000;

void AddAddress(std::string_view ip_key, std::string_view ipv6_key, std::string_view port_key,
                const ZipkinEndpoint& ep, model::Attributes* attrs) {
  if (!ep.ipv4.empty()) {
    attrs->push_back({std::string(ip_key), AnyValue::String(std::string(ep.ipv4))});
    if (!ep.ipv6.empty()) attrs->push_back({std::string(ipv6_key), AnyValue::String(std::string(ep.ipv6))});
  } else if (!ep.ipv6.empty()) {
    attrs->push_back({std::string(ip_key), AnyValue::String(std::string(ep.ipv6))});
  }
  if (ep.port != 0) attrs->push_back({std::string(port_key), AnyValue::Int(ep.port)});
}

}  // namespace

ZipkinBatchBuilder::ZipkinBatchBuilder(const IngestLimits& limits, size_t expected_spans) : limits_(limits) {
  result_.batch.scopes.emplace_back();
  result_.batch.spans.reserve(expected_spans);
}

uint32_t ZipkinBatchBuilder::ResourceFor(const ZipkinEndpoint& ep) {
  auto same = [&ep](const EndpointKey& k) {
    return k.port == ep.port && k.service_name == ep.service_name && k.ipv4 == ep.ipv4 && k.ipv6 == ep.ipv6;
  };
  // Batches usually come from one process: check the last one first.
  if (last_resource_ != UINT32_MAX && same(keys_[last_resource_])) return last_resource_;
  for (uint32_t i = 0; i < keys_.size(); ++i) {
    if (same(keys_[i])) return last_resource_ = i;
  }
  keys_.push_back({std::string(ep.service_name), std::string(ep.ipv4), std::string(ep.ipv6), ep.port});
  model::Resource& r = result_.batch.resources.emplace_back();
  if (!ep.service_name.empty()) {
    r.attributes.push_back({std::string(model::keys::kServiceName), AnyValue::String(std::string(ep.service_name))});
  }
  AddAddress("net.host.ip", "net.host.ipv6", "net.host.port", ep, &r.attributes);
  ApplyResourceLimits(limits_, &r);
  return last_resource_ = static_cast<uint32_t>(keys_.size() - 1);
}

model::Span* ZipkinBatchBuilder::StartSpan(const ZipkinEndpoint& local) {
  uint32_t resource = ResourceFor(local);
  model::Span& s = result_.batch.spans.emplace_back();
  s.resource_index = resource;
  s.scope_index = 0;
  s.kind = model::SpanKind::kInternal;
  return &s;
}

void ZipkinBatchBuilder::FinishSpan() { ApplySpanLimits(limits_, &result_.batch.spans.back()); }

void ZipkinBatchBuilder::RejectSpan(std::string reason) {
  result_.batch.spans.pop_back();
  result_.Reject(std::move(reason));
}

bool ZipkinBatchBuilder::SetTimes(uint64_t timestamp_us, uint64_t duration_us, model::Span* span,
                                  std::string* why) {
  if (timestamp_us == 0) return true;
  if (timestamp_us > kMaxMicros || duration_us > kMaxMicros - timestamp_us) {
    *why = "timestamp + duration overflow 64-bit nanoseconds";
    return false;
  }
  span->start_time_unix_nano = timestamp_us * 1000;
  span->end_time_unix_nano = (timestamp_us + duration_us) * 1000;
  return true;
}

bool ZipkinBatchBuilder::AddAnnotation(uint64_t timestamp_us, std::string value, model::Span* span,
                                       std::string* why) {
  if (timestamp_us > kMaxMicros) {
    *why = "annotation timestamp overflows 64-bit nanoseconds";
    return false;
  }
  span->events.push_back({timestamp_us * 1000, std::move(value), {}, 0});
  return true;
}

void ZipkinBatchBuilder::AddTag(std::string key, std::string value, model::Span* span) {
  if (key == "error") {
    span->status_code = model::StatusCode::kError;
    span->status_message = value;
  }
  span->attributes.push_back({std::move(key), AnyValue::String(std::move(value))});
}

void ZipkinBatchBuilder::SetRemoteEndpoint(const ZipkinEndpoint& remote, model::Span* span) {
  if (!remote.service_name.empty()) {
    span->attributes.push_back({"peer.service", AnyValue::String(std::string(remote.service_name))});
  }
  AddAddress("net.peer.ip", "net.peer.ipv6", "net.peer.port", remote, &span->attributes);
}

void ZipkinBatchBuilder::SetFlags(bool debug, bool shared, model::Span* span) {
  if (debug) span->attributes.push_back({"zipkin.debug", AnyValue::Bool(true)});
  if (shared) span->attributes.push_back({"zipkin.shared", AnyValue::Bool(true)});
}

}  // namespace tracery::ingest
