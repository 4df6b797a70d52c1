// Test-only helpers that build traces for the sampling tests.
#pragma once

#include <string>

#include "model/span.h"

namespace tracery::sampling::testing {

inline model::TraceId Tid(uint64_t n) { return model::TraceId::FromHighLow(0x1234, n); }

// Appends a span to `b` under a resource for `service` (one resource per
// distinct service, reused).
inline model::Span& AddSpan(model::SpanBatch& b, uint64_t trace, uint64_t span_id, uint64_t parent,
                            const std::string& service, const std::string& name, uint64_t start_ns = 1000,
                            uint64_t duration_ns = 1000, bool error = false) {
  uint32_t res = 0;
  bool found = false;
  for (uint32_t i = 0; i < b.resources.size(); ++i)
    if (b.resources[i].ServiceName() == service) res = i, found = true;
  if (!found) {
    model::Resource r;
    r.attributes.push_back({"service.name", model::AnyValue::String(service)});
    b.resources.push_back(r);
    res = static_cast<uint32_t>(b.resources.size() - 1);
  }
  if (b.scopes.empty()) b.scopes.push_back(model::Scope{"test", "1", {}, 0, ""});
  model::Span s;
  s.trace_id = Tid(trace);
  s.span_id.value = span_id;
  s.parent_span_id.value = parent;
  s.name = name;
  s.start_time_unix_nano = start_ns;
  s.end_time_unix_nano = start_ns + duration_ns;
  s.status_code = error ? model::StatusCode::kError : model::StatusCode::kUnset;
  s.resource_index = res;
  s.scope_index = 0;
  b.spans.push_back(std::move(s));
  return b.spans.back();
}

inline double AdjustedCountOf(const model::Span& s) {
  const model::AnyValue* v = model::FindAttribute(s.attributes, model::keys::kAdjustedCount);
  return v && v->type == model::AnyValue::Type::kDouble ? v->double_value : 0.0;
}

}  // namespace tracery::sampling::testing
