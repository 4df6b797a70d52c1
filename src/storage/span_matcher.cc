#include "storage/span_matcher.h"

namespace tracery::storage {
namespace {

bool AttributesContain(const model::Attributes& attrs, const TagFilter& t) {
  for (const auto& kv : attrs) {
    if (kv.key == t.key && kv.value.ToString() == t.value) return true;
  }
  return false;
}

}  // namespace

bool SpanMatches(const SpanCondition& c, const model::Span& span, const model::Resource& resource) {
  if (!c.service.empty() && resource.ServiceName() != c.service) return false;
  if (!c.operation.empty() && span.name != c.operation) return false;
  if (c.kind && span.kind != *c.kind) return false;
  if (c.error_only && span.status_code != model::StatusCode::kError) return false;
  uint64_t d = span.DurationNanos();
  if (c.min_duration_ns != 0 && d < c.min_duration_ns) return false;
  if (c.max_duration_ns != 0 && d > c.max_duration_ns) return false;
  for (const auto& t : c.tags) {
    if (t.key == "error" && t.value == "true" && span.status_code == model::StatusCode::kError) continue;
    if (t.key == "span.kind" && model::SpanKindName(span.kind) == t.value) continue;
    if (AttributesContain(span.attributes, t) || AttributesContain(resource.attributes, t)) continue;
    bool in_event = false;
    for (const auto& e : span.events) {
      if (AttributesContain(e.attributes, t)) {
        in_event = true;
        break;
      }
    }
    if (!in_event) return false;
  }
  return true;
}

void TracePartial::AddSpan(const model::Span& s, std::string_view service) {
  start_ns = std::min(start_ns, s.start_time_unix_nano);
  end_ns = std::max(end_ns, std::max(s.end_time_unix_nano, s.start_time_unix_nano));
  span_count++;
  if (s.status_code == model::StatusCode::kError) error_count++;
  bool is_root = s.parent_span_id.IsZero();
  // Prefer a root span; among equals, the earliest.
  if ((is_root && !has_root) || (is_root == has_root && s.start_time_unix_nano < root_start_ns)) {
    has_root = is_root;
    root_start_ns = s.start_time_unix_nano;
    root_service.assign(service);
    root_operation = s.name;
  }
}

void TracePartial::Merge(const TracePartial& o) {
  start_ns = std::min(start_ns, o.start_ns);
  end_ns = std::max(end_ns, o.end_ns);
  span_count += o.span_count;
  error_count += o.error_count;
  if ((o.has_root && !has_root) || (o.has_root == has_root && o.root_start_ns < root_start_ns)) {
    has_root = o.has_root;
    root_start_ns = o.root_start_ns;
    root_service = o.root_service;
    root_operation = o.root_operation;
  }
}

}  // namespace tracery::storage
