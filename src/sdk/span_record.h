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
#include <cstdlib>
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

// The per-record byte store: a malloc'd buffer that only grows (until Reset
// trims an unusually large one). Append is inline and branch-light because
// every attribute set on a span goes through it.
class ByteArena {
 public:
  ByteArena() = default;
  ~ByteArena() { std::free(data_); }
  ByteArena(const ByteArena&) = delete;
  ByteArena& operator=(const ByteArena&) = delete;

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  void clear() { size_ = 0; }
  // Frees the buffer.
  void Release() {
    std::free(data_);
    data_ = nullptr;
    size_ = capacity_ = 0;
  }
  // Appends n bytes; returns the offset they start at.
  uint32_t Append(const void* bytes, size_t n) {
    const uint32_t off = size_;
    if (n > capacity_ - size_) [[unlikely]]
      Grow(n);
    if (n != 0) std::memcpy(data_ + size_, bytes, n);
    size_ += static_cast<uint32_t>(n);
    return off;
  }
  void push_back(char c) { Append(&c, 1); }

 private:
  void Grow(size_t extra_bytes);
  char* data_ = nullptr;
  uint32_t size_ = 0;
  uint32_t capacity_ = 0;
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
  ByteArena arena;
  // One bit per (key length, last key byte) class of the keys in
  // `attributes`: a clear bit proves a key is new, so the common first set of
  // each key skips the same-key scan.
  uint64_t attribute_key_classes = 0;
  std::vector<StoredAttribute> attributes;
  std::vector<StoredEvent> events;
  std::vector<StoredLink> links;
  std::vector<StoredAttribute> sub_attributes;  // attributes of events and links

  // Appends bytes to the arena; returns their offset.
  uint32_t Store(std::string_view s) { return arena.Append(s.data(), s.size()); }
  std::string_view View(uint32_t off, uint32_t len) const { return std::string_view(arena.data() + off, len); }
  // Fills `out` from an API value, copying strings/arrays into the arena.
  void StoreValue(const AttributeValue& value, StoredAttribute& out) {
    out.type = value.type();
    switch (value.type()) {
      case AttributeValue::Type::kString:
        out.data_off = Store(value.string_value());
        out.data_len = static_cast<uint32_t>(value.string_value().size());
        return;
      case AttributeValue::Type::kBool:
        out.b = value.bool_value();
        return;
      case AttributeValue::Type::kInt64:
        out.i = value.int_value();
        return;
      case AttributeValue::Type::kDouble:
        out.d = value.double_value();
        return;
      default:
        StoreArrayValue(value, out);
    }
  }
  static uint64_t KeyClassBit(std::string_view key) {
    const unsigned last = key.empty() ? 0u : static_cast<unsigned char>(key.back());
    return uint64_t{1} << ((key.size() * 7 + last) & 63);
  }
  // Sets key=value: overwrites the value of an existing key (OTel
  // semantics), else appends unless the span is at its attribute limit.
  void SetAttribute(std::string_view key, const AttributeValue& value) {
    const uint64_t bit = KeyClassBit(key);
    if (attribute_key_classes & bit) [[unlikely]] {
      // Same key: overwrite (the old bytes stay in the arena until the record is reused).
      for (StoredAttribute& a : attributes) {
        if (a.key_len == key.size() && std::memcmp(arena.data() + a.key_off, key.data(), key.size()) == 0) {
          StoreValue(value, a);
          return;
        }
      }
    }
    if (attributes.size() >= kMaxAttributesPerSpan) [[unlikely]] {
      ++dropped_attributes;
      return;
    }
    attribute_key_classes |= bit;
    StoredAttribute& a = attributes.emplace_back();
    a.key_off = Store(key);
    a.key_len = static_cast<uint32_t>(key.size());
    StoreValue(value, a);
  }
  // The array cases of StoreValue.
  void StoreArrayValue(const AttributeValue& value, StoredAttribute& out);
  // Clears for reuse, keeping capacity (unless it grew unusually large).
  void Reset();
};

// Thread-local-cached pool of free records. Acquire/Release on the
// application thread take no lock except once per 32 records when the
// thread's cache runs dry (or once per 64 when it overflows); ReleaseToGlobal (exporter thread)
// takes the global lock once per batch.
SpanRecord* AcquireSpanRecord();
void ReleaseSpanRecord(SpanRecord* record);
void ReleaseSpanRecordsToGlobal(SpanRecord* const* records, size_t count);

}  // namespace tracery::internal
