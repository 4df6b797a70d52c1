// TraceBuilder: hand-made traces for analysis tests. Times are given in
// microseconds relative to a base time (ns since epoch).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "model/span.h"

namespace tracery::analysis::testing {

class TraceBuilder {
 public:
  TraceBuilder(uint64_t trace_low, uint64_t base_ns) : trace_id_(model::TraceId::FromHighLow(0, trace_low)), base_ns_(base_ns) {}

  // Adds a span and returns its id (ids count up from trace_low * 1000 + 1).
  model::SpanId Add(const std::string& service, const std::string& name, uint64_t start_us, uint64_t end_us,
                    model::SpanId parent = {}, model::SpanKind kind = model::SpanKind::kServer,
                    bool error = false) {
    model::Span s;
    s.trace_id = trace_id_;
    s.span_id.value = trace_id_.Low() * 1000 + (++next_);
    s.parent_span_id = parent;
    s.name = name;
    s.kind = kind;
    s.start_time_unix_nano = base_ns_ + start_us * 1000;
    s.end_time_unix_nano = base_ns_ + end_us * 1000;
    s.status_code = error ? model::StatusCode::kError : model::StatusCode::kUnset;
    s.resource_index = ResourceFor(service);
    batch_.spans.push_back(std::move(s));
    return batch_.spans.back().span_id;
  }
  model::Span& last() { return batch_.spans.back(); }
  const model::SpanBatch& batch() const { return batch_; }
  model::SpanBatch& mutable_batch() { return batch_; }
  const model::TraceId& trace_id() const { return trace_id_; }

 private:
  uint32_t ResourceFor(const std::string& service) {
    for (uint32_t i = 0; i < batch_.resources.size(); ++i)
      if (batch_.resources[i].ServiceName() == service) return i;
    model::Resource r;
    r.attributes.push_back({std::string(model::keys::kServiceName), model::AnyValue::String(service)});
    batch_.resources.push_back(std::move(r));
    if (batch_.scopes.empty()) batch_.scopes.emplace_back();
    return static_cast<uint32_t>(batch_.resources.size() - 1);
  }

  model::TraceId trace_id_;
  uint64_t base_ns_;
  uint64_t next_ = 0;
  model::SpanBatch batch_;
};

}  // namespace tracery::analysis::testing
