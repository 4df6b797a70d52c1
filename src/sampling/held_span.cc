#include "sampling/held_span.h"

#include <algorithm>
#include <new>
#include <vector>

#include "storage/byte_coding.h"
#include "storage/span_codec.h"

namespace tracery::sampling {
namespace {

using model::AnyValue;

// Array/map attribute values of one span, encoded by the size pass in order
// and copied from here by the write pass.
struct Nested {
  std::string* bytes;
  std::vector<uint32_t>* lengths;
  size_t next = 0;
  size_t offset = 0;
};

// Bytes of one attribute list.
size_t AttributesBytes(const model::Attributes& attrs, Nested* nested) {
  size_t n = 0;
  for (const auto& kv : attrs) {
    n += 4 + kv.key.size() + 1;
    switch (kv.value.type) {
      case AnyValue::Type::kEmpty:
        break;
      case AnyValue::Type::kString:
      case AnyValue::Type::kBytes:
        n += 4 + kv.value.str.size();
        break;
      case AnyValue::Type::kBool:
      case AnyValue::Type::kInt:
      case AnyValue::Type::kDouble:
        n += 8;
        break;
      case AnyValue::Type::kArray:
      case AnyValue::Type::kMap: {
        const size_t before = nested->bytes->size();
        storage::EncodeAnyValue(kv.value, nested->bytes);
        nested->lengths->push_back(static_cast<uint32_t>(nested->bytes->size() - before));
        n += 4 + nested->lengths->back();
        break;
      }
    }
  }
  return n;
}

class Out {
 public:
  explicit Out(char* p) : p_(p) {}
  void U32(uint32_t v) { Raw(&v, 4); }
  void U64(uint64_t v) { Raw(&v, 8); }
  void Bytes(std::string_view s) { Raw(s.data(), s.size()); }
  void Sized(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    Bytes(s);
  }
  void Raw(const void* src, size_t n) {
    std::memcpy(p_, src, n);
    p_ += n;
  }
  char* p() const { return p_; }

 private:
  char* p_;
};

void WriteAttributes(const model::Attributes& attrs, Nested* nested, Out* out) {
  for (const auto& kv : attrs) {
    out->Sized(kv.key);
    const auto type = static_cast<uint8_t>(kv.value.type);
    out->Raw(&type, 1);
    switch (kv.value.type) {
      case AnyValue::Type::kEmpty:
        break;
      case AnyValue::Type::kString:
      case AnyValue::Type::kBytes:
        out->Sized(kv.value.str);
        break;
      case AnyValue::Type::kBool:
        out->U64(kv.value.bool_value ? 1 : 0);
        break;
      case AnyValue::Type::kInt:
        out->U64(static_cast<uint64_t>(kv.value.int_value));
        break;
      case AnyValue::Type::kDouble:
        out->Raw(&kv.value.double_value, 8);
        break;
      case AnyValue::Type::kArray:
      case AnyValue::Type::kMap: {
        const uint32_t len = (*nested->lengths)[nested->next++];
        out->Sized(std::string_view(*nested->bytes).substr(nested->offset, len));
        nested->offset += len;
        break;
      }
    }
  }
}

class In {
 public:
  explicit In(const char* p) : p_(p) {}
  uint32_t U32() {
    uint32_t v;
    std::memcpy(&v, p_, 4);
    p_ += 4;
    return v;
  }
  uint64_t U64() {
    uint64_t v;
    std::memcpy(&v, p_, 8);
    p_ += 8;
    return v;
  }
  uint8_t U8() { return static_cast<uint8_t>(*p_++); }
  std::string_view Bytes(size_t n) {
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  std::string_view Sized() { return Bytes(U32()); }

 private:
  const char* p_;
};

bool ReadAttributes(In* in, uint32_t count, model::Attributes* attrs) {
  attrs->resize(count);
  for (auto& kv : *attrs) {
    const std::string_view key = in->Sized();
    kv.key.assign(key.data(), key.size());
    AnyValue& v = kv.value;
    v.type = static_cast<AnyValue::Type>(in->U8());
    switch (v.type) {
      case AnyValue::Type::kEmpty:
        break;
      case AnyValue::Type::kString:
      case AnyValue::Type::kBytes: {
        const std::string_view s = in->Sized();
        v.str.assign(s.data(), s.size());
        break;
      }
      case AnyValue::Type::kBool:
        v.bool_value = in->U64() != 0;
        break;
      case AnyValue::Type::kInt:
        v.int_value = static_cast<int64_t>(in->U64());
        break;
      case AnyValue::Type::kDouble: {
        const uint64_t bits = in->U64();
        std::memcpy(&v.double_value, &bits, 8);
        break;
      }
      case AnyValue::Type::kArray:
      case AnyValue::Type::kMap: {
        storage::ByteReader r(in->Sized());
        if (!storage::DecodeAnyValue(r, &v)) return false;
        break;
      }
    }
  }
  return true;
}

}  // namespace

void HeldBytes::Reserve(size_t n) {
  size_t cap = std::max<size_t>({size_ + n, 2 * static_cast<size_t>(capacity_), 64});
  char* p = static_cast<char*>(std::realloc(data_, cap));
  if (p == nullptr) throw std::bad_alloc();
  data_ = p;
  capacity_ = static_cast<uint32_t>(cap);
}

size_t HeldSpanWriter::Append(const model::Span& s, HeldBytes* out) {
  nested_.clear();
  nested_lengths_.clear();
  Nested nested{&nested_, &nested_lengths_};
  size_t bytes = sizeof(HeldSpanHeader) + s.name.size() + s.trace_state.size() + s.status_message.size() +
                 AttributesBytes(s.attributes, &nested);
  for (const auto& e : s.events)
    bytes += 8 + 4 + e.name.size() + 4 + 4 + AttributesBytes(e.attributes, &nested);
  for (const auto& l : s.links)
    bytes += 16 + 8 + 4 + 4 + 4 + l.trace_state.size() + 4 + AttributesBytes(l.attributes, &nested);

  HeldSpanHeader h;
  h.start_time_unix_nano = s.start_time_unix_nano;
  h.end_time_unix_nano = s.end_time_unix_nano;
  h.record_bytes = static_cast<uint32_t>(bytes);
  h.flags = s.flags;
  h.name_bytes = static_cast<uint32_t>(s.name.size());
  h.trace_state_bytes = static_cast<uint32_t>(s.trace_state.size());
  h.status_message_bytes = static_cast<uint32_t>(s.status_message.size());
  h.attribute_count = static_cast<uint32_t>(s.attributes.size());
  h.dropped_attributes_count = s.dropped_attributes_count;
  h.event_count = static_cast<uint32_t>(s.events.size());
  h.dropped_events_count = s.dropped_events_count;
  h.link_count = static_cast<uint32_t>(s.links.size());
  h.dropped_links_count = s.dropped_links_count;
  h.kind = static_cast<uint8_t>(s.kind);
  h.status_code = static_cast<uint8_t>(s.status_code);

  Out o(out->Extend(bytes));
  o.Raw(&h, sizeof(h));
  o.Bytes(s.name);
  o.Bytes(s.trace_state);
  o.Bytes(s.status_message);
  WriteAttributes(s.attributes, &nested, &o);
  for (const auto& e : s.events) {
    o.U64(e.time_unix_nano);
    o.Sized(e.name);
    o.U32(e.dropped_attributes_count);
    o.U32(static_cast<uint32_t>(e.attributes.size()));
    WriteAttributes(e.attributes, &nested, &o);
  }
  for (const auto& l : s.links) {
    o.Raw(l.trace_id.bytes.data(), 16);
    o.U64(l.span_id.value);
    o.U32(l.flags);
    o.U32(l.dropped_attributes_count);
    o.Sized(l.trace_state);
    o.U32(static_cast<uint32_t>(l.attributes.size()));
    WriteAttributes(l.attributes, &nested, &o);
  }
  return bytes;
}

bool ReadHeldSpan(const char* p, const model::TraceId& trace_id, model::Span* out) {
  const HeldSpanHeader h = ReadHeldSpanHeader(p);
  In in(p + sizeof(HeldSpanHeader));
  out->trace_id = trace_id;
  out->start_time_unix_nano = h.start_time_unix_nano;
  out->end_time_unix_nano = h.end_time_unix_nano;
  out->flags = h.flags;
  out->kind = static_cast<model::SpanKind>(h.kind);
  out->status_code = static_cast<model::StatusCode>(h.status_code);
  out->dropped_attributes_count = h.dropped_attributes_count;
  out->dropped_events_count = h.dropped_events_count;
  out->dropped_links_count = h.dropped_links_count;
  std::string_view v = in.Bytes(h.name_bytes);
  out->name.assign(v.data(), v.size());
  v = in.Bytes(h.trace_state_bytes);
  out->trace_state.assign(v.data(), v.size());
  v = in.Bytes(h.status_message_bytes);
  out->status_message.assign(v.data(), v.size());
  if (!ReadAttributes(&in, h.attribute_count, &out->attributes)) return false;
  out->events.resize(h.event_count);
  for (auto& e : out->events) {
    e.time_unix_nano = in.U64();
    v = in.Sized();
    e.name.assign(v.data(), v.size());
    e.dropped_attributes_count = in.U32();
    if (!ReadAttributes(&in, in.U32(), &e.attributes)) return false;
  }
  out->links.resize(h.link_count);
  for (auto& l : out->links) {
    std::memcpy(l.trace_id.bytes.data(), in.Bytes(16).data(), 16);
    l.span_id.value = in.U64();
    l.flags = in.U32();
    l.dropped_attributes_count = in.U32();
    v = in.Sized();
    l.trace_state.assign(v.data(), v.size());
    if (!ReadAttributes(&in, in.U32(), &l.attributes)) return false;
  }
  return true;
}

}  // namespace tracery::sampling
