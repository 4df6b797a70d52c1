// Held spans: the in-memory form in which the tail sampler buffers spans
// while their trace awaits a decision.
//
// Why not storage/span_codec: that encoding is built for the WAL (varints,
// compact, validated on read) and appends field by field to a std::string;
// encoding a typical 6-attribute span that way costs about as much as the
// rest of the tail sampler together. Held spans are never persisted and are
// read back only for the ~10% of traces that are kept, so this layout is
// the cheap one to write: the size is computed first, the buffer grown once,
// fixed-width fields copied in one block, and strings copied raw. Nested
// attribute values (arrays, maps) are rare and reuse span_codec's
// EncodeAnyValue. `sampling_benchmark.cc` (BM_HoldSpan) compares the two.
//
// Record layout (host byte order; the bytes never leave the process):
//   HeldSpanHeader (fixed, 64 bytes)
//   name, trace_state, status_message (raw bytes, lengths in the header)
//   attribute_count attributes: u32 key bytes, key, u8 AnyValue::Type, value
//     string/bytes: u32 length + bytes; bool/int/double: 8 bytes;
//     empty: nothing; array/map: u32 length + storage::EncodeAnyValue bytes
//   event_count events: u64 time, u32 name bytes, name, u32 dropped
//     attributes, u32 attribute count, attributes
//   link_count links: 16-byte trace id, u64 span id, u32 flags, u32 dropped
//     attributes, u32 trace_state bytes, trace_state, u32 attribute count,
//     attributes
// Not stored: the trace id (all spans of a buffer share the trace's), the
// span id, parent span id, resource and scope, which the holder keeps in a
// side array it can scan without walking the records (completeness checks
// touch every span of every complete trace; records are ~270 bytes apart
// and each one's length gives the next one's position).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "model/span.h"

namespace tracery::sampling {

struct HeldSpanHeader {
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  uint32_t record_bytes = 0;  // the whole record, this header included
  uint32_t flags = 0;
  uint32_t name_bytes = 0, trace_state_bytes = 0, status_message_bytes = 0;
  uint32_t attribute_count = 0, dropped_attributes_count = 0;
  uint32_t event_count = 0, dropped_events_count = 0;
  uint32_t link_count = 0, dropped_links_count = 0;
  uint8_t kind = 0, status_code = 0;
  uint16_t unused = 0;
};

// A growable byte buffer: 16 bytes, grown with realloc (no zero-fill, may
// extend in place). Move-only.
class HeldBytes {
 public:
  HeldBytes() = default;
  HeldBytes(const HeldBytes&) = delete;
  HeldBytes& operator=(const HeldBytes&) = delete;
  HeldBytes(HeldBytes&& o) noexcept : data_(o.data_), size_(o.size_), capacity_(o.capacity_) {
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
  }
  HeldBytes& operator=(HeldBytes&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = o.data_;
      size_ = o.size_;
      capacity_ = o.capacity_;
      o.data_ = nullptr;
      o.size_ = o.capacity_ = 0;
    }
    return *this;
  }
  ~HeldBytes() { std::free(data_); }

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  std::string_view view() const { return {data_, size_}; }
  // Makes room for `n` more bytes (at least doubling when it grows).
  void Reserve(size_t n);
  // Appends `n` uninitialised bytes and returns where they start.
  char* Extend(size_t n) {
    if (size_ + n > capacity_) Reserve(n);
    char* p = data_ + size_;
    size_ += static_cast<uint32_t>(n);
    return p;
  }
  // Forgets the contents, keeping the memory.
  void Clear() { size_ = 0; }
  // Frees the memory.
  void Release() {
    std::free(data_);
    data_ = nullptr;
    size_ = capacity_ = 0;
  }

 private:
  char* data_ = nullptr;
  uint32_t size_ = 0, capacity_ = 0;
};

class HeldSpanWriter {
 public:
  // Appends one record for `span` to *out; returns its size in bytes.
  // Hot path: grows *out at most once, no other allocation (except for
  // array/map attribute values, encoded through a reused scratch buffer).
  size_t Append(const model::Span& span, HeldBytes* out);

 private:
  std::string nested_;  // encodings of array/map values of the current span
  std::vector<uint32_t> nested_lengths_;
};

// The header of the record at `p` (unaligned-safe copy).
inline HeldSpanHeader ReadHeldSpanHeader(const char* p) {
  HeldSpanHeader h;
  std::memcpy(&h, p, sizeof(h));
  return h;
}
// Bytes of the record at `p`, to step to the next one.
inline uint32_t HeldRecordBytes(const char* p) {
  uint32_t v;
  std::memcpy(&v, p + offsetof(HeldSpanHeader, record_bytes), 4);
  return v;
}

// Decodes the record at `p` (written by HeldSpanWriter) into *out, with
// `trace_id`. Leaves span_id, parent_span_id, resource_index and scope_index
// alone (not in the record). Returns false only if a nested value does not
// decode (a bug).
bool ReadHeldSpan(const char* p, const model::TraceId& trace_id, model::Span* out);

}  // namespace tracery::sampling
