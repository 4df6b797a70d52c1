#include "ingest/span_limits.h"

#include <vector>

namespace tracery::ingest {
namespace {

using model::AnyValue;
using model::Attributes;
using model::KeyValue;

// Bounds one value (recursively for arrays and maps); true if anything in it
// was shortened or dropped.
bool LimitValue(const IngestLimits& limits, AnyValue* v) {
  switch (v->type) {
    case AnyValue::Type::kString:
      return TruncateUtf8(&v->str, limits.max_attribute_value_bytes);
    case AnyValue::Type::kBytes:
      if (v->str.size() <= limits.max_attribute_value_bytes) return false;
      v->str.resize(limits.max_attribute_value_bytes);
      return true;
    case AnyValue::Type::kArray: {
      bool cut = false;
      if (v->array.size() > limits.max_array_values) {
        v->array.resize(limits.max_array_values);
        cut = true;
      }
      for (AnyValue& e : v->array) cut |= LimitValue(limits, &e);
      return cut;
    }
    case AnyValue::Type::kMap: {
      bool cut = false;
      if (v->map.size() > limits.max_array_values) {
        v->map.resize(limits.max_array_values);
        cut = true;
      }
      for (KeyValue& kv : v->map) cut |= LimitValue(limits, &kv.value);
      return cut;
    }
    default:
      return false;
  }
}

// Collects the names of shortened values; allocates only when one is added.
class TruncationLog {
 public:
  void Add(std::string_view prefix, std::string_view key) {
    std::string name;
    name.reserve(prefix.size() + key.size());
    name.append(prefix).append(key);
    for (const std::string& n : names_)
      if (n == name) return;
    names_.push_back(std::move(name));
  }
  bool empty() const { return names_.empty(); }

  // Appends the marker attributes to `attrs`, merging with markers already
  // there (e.g. from an upstream Tracery collector that forwarded the span).
  void MarkInto(Attributes* attrs) {
    if (names_.empty()) return;
    AnyValue* keys_value = nullptr;
    bool have_flag = false;
    for (KeyValue& kv : *attrs) {
      if (kv.key == model::keys::kTruncated) {
        kv.value = AnyValue::Bool(true);
        have_flag = true;
      } else if (kv.key == model::keys::kTruncatedKeys && kv.value.type == AnyValue::Type::kArray) {
        keys_value = &kv.value;
      }
    }
    if (!have_flag) attrs->push_back({std::string(model::keys::kTruncated), AnyValue::Bool(true)});
    if (keys_value == nullptr) {
      attrs->push_back({std::string(model::keys::kTruncatedKeys), AnyValue{}});
      keys_value = &attrs->back().value;
      keys_value->type = AnyValue::Type::kArray;
    }
    for (std::string& n : names_) keys_value->array.push_back(AnyValue::String(std::move(n)));
    names_.clear();
  }

 private:
  std::vector<std::string> names_;
};

void LimitAttributes(const IngestLimits& limits, Attributes* attrs, uint32_t* dropped,
                     std::string_view prefix, TruncationLog* log) {
  if (attrs->size() > limits.max_attributes_per_span) {
    *dropped += static_cast<uint32_t>(attrs->size() - limits.max_attributes_per_span);
    attrs->resize(limits.max_attributes_per_span);
  }
  for (KeyValue& kv : *attrs) {
    // The markers themselves (e.g. set by an upstream collector) are never cut.
    if (kv.key == model::keys::kTruncatedKeys) continue;
    if (LimitValue(limits, &kv.value)) log->Add(prefix, kv.key);
  }
}

}  // namespace

bool TruncateUtf8(std::string* s, size_t max_bytes) {
  if (s->size() <= max_bytes) return false;
  size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) so the cut lands on the first
  // byte of a character, which is then excluded.
  while (cut > 0 && (static_cast<unsigned char>((*s)[cut]) & 0xC0) == 0x80) --cut;
  s->resize(cut);
  return true;
}

void ApplySpanLimits(const IngestLimits& limits, model::Span* span) {
  TruncationLog log;
  LimitAttributes(limits, &span->attributes, &span->dropped_attributes_count, "", &log);
  if (TruncateUtf8(&span->name, limits.max_attribute_value_bytes)) log.Add("", "name");
  if (TruncateUtf8(&span->status_message, limits.max_attribute_value_bytes))
    log.Add("", "status.message");

  if (span->events.size() > limits.max_events_per_span) {
    span->dropped_events_count += static_cast<uint32_t>(span->events.size() - limits.max_events_per_span);
    span->events.resize(limits.max_events_per_span);
  }
  for (model::Event& e : span->events) {
    if (TruncateUtf8(&e.name, limits.max_attribute_value_bytes)) log.Add("events.", "name");
    LimitAttributes(limits, &e.attributes, &e.dropped_attributes_count, "events.", &log);
  }

  if (span->links.size() > limits.max_links_per_span) {
    span->dropped_links_count += static_cast<uint32_t>(span->links.size() - limits.max_links_per_span);
    span->links.resize(limits.max_links_per_span);
  }
  for (model::Link& l : span->links) {
    if (TruncateUtf8(&l.trace_state, limits.max_attribute_value_bytes)) log.Add("links.", "trace_state");
    LimitAttributes(limits, &l.attributes, &l.dropped_attributes_count, "links.", &log);
  }
  if (TruncateUtf8(&span->trace_state, limits.max_attribute_value_bytes)) log.Add("", "trace_state");
  log.MarkInto(&span->attributes);
}

void ApplyResourceLimits(const IngestLimits& limits, model::Resource* resource) {
  TruncationLog log;
  LimitAttributes(limits, &resource->attributes, &resource->dropped_attributes_count, "", &log);
  log.MarkInto(&resource->attributes);
}

void ApplyScopeLimits(const IngestLimits& limits, model::Scope* scope) {
  TruncationLog log;
  LimitAttributes(limits, &scope->attributes, &scope->dropped_attributes_count, "", &log);
  if (TruncateUtf8(&scope->name, limits.max_attribute_value_bytes)) log.Add("", "name");
  if (TruncateUtf8(&scope->version, limits.max_attribute_value_bytes)) log.Add("", "version");
  log.MarkInto(&scope->attributes);
}

}  // namespace tracery::ingest
