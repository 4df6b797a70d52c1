// SpanRecord: the SDK's storage for one recording span, and the pool that
// recycles records so the application thread does not allocate per span.
//
// Layout for speed: every string the span owns (name, attribute keys and
// string values, event names, ...) is appended to one per-record arena and
// referenced by offset; attributes, events and links are fixed-size structs
// in vectors. Records are reused, and reuse keeps the arena's and vectors'
// capacity, so a warm thread records spans without touching malloc.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "tracery/trace.h"

namespace tracery::internal {

class TracerCore;

struct InstrumentationScope {
  std::string name;
  std::string version;
};

// One attribute. Strings live in the record's arena at [data_off, +data_len).
// Arrays live there too: string arrays as (uint32 length, bytes)*, numeric
// arrays as raw 8-byte (int64/double) or 1-byte (bool) elements; data_len is
// then the element count.
struct StoredAttribute {
  uint32_t key_off = 0;
  uint32_t key_len = 0;
  uint32_t data_off = 0;
  uint32_t data_len = 0;
  AttributeValue::Type type = AttributeValue::Type::kBool;
  union {
    bool b;
    int64_t i;
    double d;
  };
  StoredAttribute() : i(0) {}
};

struct StoredEvent {
  uint64_t time_unix_ns = 0;
  uint32_t name_off = 0, name_len = 0;
  uint32_t attr_begin = 0, attr_count = 0;  // range in SpanRecord::sub_attributes
};

struct StoredLink {
  TraceId trace_id;
  SpanId span_id;
  uint8_t trace_flags = 0;
  bool is_remote = false;
  uint32_t trace_state_off = 0, trace_state_len = 0;
  uint32_t attr_begin = 0, attr_count = 0;  // range in SpanRecord::sub_attributes
};

inline constexpr uint32_t kMaxAttributesPerSpan = 128;  // OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT default
inline constexpr uint32_t kMaxEventsPerSpan = 128;      // OTEL_SPAN_EVENT_COUNT_LIMIT default
inline constexpr uint32_t kMaxLinksPerSpan = 128;       // OTEL_SPAN_LINK_COUNT_LIMIT default
inline constexpr uint32_t kMaxAttributesPerEvent = 128;

struct SpanRecord {
  TracerCore* core = nullptr;
  const InstrumentationScope* scope = nullptr;
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;
  uint8_t trace_flags = 0;
  bool has_parent = false;
  bool parent_is_remote = false;
  bool sampled = false;  // false: recorded (RecordOnly) but not exported
  SpanKind kind = SpanKind::kInternal;
  StatusCode status = StatusCode::kUnset;
  uint64_t start_unix_ns = 0;
  uint64_t end_unix_ns = 0;
  uint32_t name_off = 0, name_len = 0;
  uint32_t trace_state_off = 0, trace_state_len = 0;
  uint32_t status_off = 0, status_len = 0;
  uint32_t dropped_attributes = 0;
  uint32_t dropped_events = 0;
  uint32_t dropped_links = 0;
  std::string arena;
  std::vector<StoredAttribute> attributes;
  std::vector<StoredEvent> events;
  std::vector<StoredLink> links;
  std::vector<StoredAttribute> sub_attributes;  // attributes of events and links
  SpanRecord* next_free = nullptr;

  // Appends bytes to the arena; returns their offset.
  uint32_t Store(std::string_view s) {
    uint32_t off = static_cast<uint32_t>(arena.size());
    arena.append(s.data(), s.size());
    return off;
  }
  std::string_view View(uint32_t off, uint32_t len) const { return std::string_view(arena.data() + off, len); }
  // Fills `out` from an API value, copying strings/arrays into the arena.
  void StoreValue(const AttributeValue& value, StoredAttribute& out);
  // Clears for reuse, keeping capacity (unless it grew unusually large).
  void Reset();
};

// Thread-local-cached free list of records. Acquire/Release on the
// application thread take no lock except once per 32 records when the
// thread's cache runs dry or overflows; ReleaseToGlobal (exporter thread)
// takes the global lock once per batch.
SpanRecord* AcquireSpanRecord();
void ReleaseSpanRecord(SpanRecord* record);
void ReleaseSpanRecordsToGlobal(SpanRecord* const* records, size_t count);

}  // namespace tracery::internal
