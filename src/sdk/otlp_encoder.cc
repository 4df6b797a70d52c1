#include "otlp_encoder.h"

#include <bit>
#include <cstring>

namespace tracery::internal {
namespace {

// Wire types.
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5;

inline size_t VarintSize(uint64_t v) { return (static_cast<size_t>(std::bit_width(v | 1)) + 6) / 7; }

inline char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
// Field numbers below 16 make one-byte tags; Span.flags (16) needs two.
inline char* PutTag(char* p, uint32_t field, uint32_t wire_type) {
  uint32_t tag = (field << 3) | wire_type;
  if (tag < 0x80) [[likely]] {
    *p++ = static_cast<char>(tag);
    return p;
  }
  return PutVarint(p, tag);
}
inline char* PutLenDelimited(char* p, uint32_t field, const void* data, size_t n) {
  p = PutTag(p, field, kLen);
  p = PutVarint(p, n);
  std::memcpy(p, data, n);
  return p + n;
}
inline char* PutFixed64(char* p, uint32_t field, uint64_t v) {
  p = PutTag(p, field, kFixed64);
  for (int i = 0; i < 8; ++i) *p++ = static_cast<char>(v >> (8 * i));
  return p;
}
inline char* PutFixed32(char* p, uint32_t field, uint32_t v) {
  p = PutTag(p, field, kFixed32);
  for (int i = 0; i < 4; ++i) *p++ = static_cast<char>(v >> (8 * i));
  return p;
}
inline void BigEndian64(uint64_t v, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
}

// A length-delimited field whose length is unknown until its body is
// written: reserve the longest varint, write the body, then slide it back
// over the unused bytes.
struct OpenField {
  char* len_at;
};
inline OpenField Open(char*& p, uint32_t field) {
  p = PutTag(p, field, kLen);
  OpenField f{p};
  p += 5;
  return f;
}
inline void Close(char*& p, OpenField f) {
  char* body = f.len_at + 5;
  size_t n = static_cast<size_t>(p - body);
  char* after_len = PutVarint(f.len_at, n);
  if (after_len != body) {
    std::memmove(after_len, body, n);
    p = after_len + n;
  }
}

uint64_t ReadU64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// --- AnyValue ---------------------------------------------------------------


size_t ArrayBodySize(const SpanRecord& r, const StoredAttribute& a) {
  const char* p = r.arena.data() + a.data_off;
  size_t total = 0;
  for (uint32_t i = 0; i < a.data_len; ++i) {
    size_t elem = 0;
    switch (a.type) {
      case AttributeValue::Type::kStringArray: {
        uint32_t n;
        std::memcpy(&n, p, 4);
        p += 4 + n;
        elem = 1 + VarintSize(n) + n;
        break;
      }
      case AttributeValue::Type::kBoolArray:
        elem = 2;
        p += 1;
        break;
      case AttributeValue::Type::kInt64Array:
        elem = 1 + VarintSize(ReadU64(p));
        p += 8;
        break;
      case AttributeValue::Type::kDoubleArray:
        elem = 9;
        p += 8;
        break;
      default:
        break;
    }
    total += 1 + VarintSize(elem) + elem;  // ArrayValue.values (1)
  }
  return total;
}

size_t AnyValueSize(const SpanRecord& r, const StoredAttribute& a) {
  switch (a.type) {
    case AttributeValue::Type::kString:
      return 1 + VarintSize(a.data_len) + a.data_len;
    case AttributeValue::Type::kBool:
      return 2;
    case AttributeValue::Type::kInt64:
      return 1 + VarintSize(static_cast<uint64_t>(a.i));
    case AttributeValue::Type::kDouble:
      return 9;
    default: {
      size_t body = ArrayBodySize(r, a);
      return 1 + VarintSize(body) + body;  // AnyValue.array_value (5)
    }
  }
}

char* PutAnyValueBody(char* p, const SpanRecord& r, const StoredAttribute& a) {
  switch (a.type) {
    case AttributeValue::Type::kString:
      return PutLenDelimited(p, 1, r.arena.data() + a.data_off, a.data_len);
    case AttributeValue::Type::kBool:
      p = PutTag(p, 2, kVarint);
      *p++ = a.b ? 1 : 0;
      return p;
    case AttributeValue::Type::kInt64:
      p = PutTag(p, 3, kVarint);
      return PutVarint(p, static_cast<uint64_t>(a.i));
    case AttributeValue::Type::kDouble: {
      uint64_t bits;
      std::memcpy(&bits, &a.d, 8);
      return PutFixed64(p, 4, bits);
    }
    default:
      break;
  }
  size_t body = ArrayBodySize(r, a);
  p = PutTag(p, 5, kLen);
  p = PutVarint(p, body);
  const char* src = r.arena.data() + a.data_off;
  for (uint32_t i = 0; i < a.data_len; ++i) {
    switch (a.type) {
      case AttributeValue::Type::kStringArray: {
        uint32_t n;
        std::memcpy(&n, src, 4);
        size_t elem = 1 + VarintSize(n) + n;
        p = PutTag(p, 1, kLen);
        p = PutVarint(p, elem);
        p = PutLenDelimited(p, 1, src + 4, n);
        src += 4 + n;
        break;
      }
      case AttributeValue::Type::kBoolArray:
        p = PutTag(p, 1, kLen);
        *p++ = 2;
        p = PutTag(p, 2, kVarint);
        *p++ = *src ? 1 : 0;
        src += 1;
        break;
      case AttributeValue::Type::kInt64Array: {
        uint64_t v = ReadU64(src);
        p = PutTag(p, 1, kLen);
        p = PutVarint(p, 1 + VarintSize(v));
        p = PutTag(p, 3, kVarint);
        p = PutVarint(p, v);
        src += 8;
        break;
      }
      case AttributeValue::Type::kDoubleArray:
        p = PutTag(p, 1, kLen);
        *p++ = 9;
        p = PutFixed64(p, 4, ReadU64(src));
        src += 8;
        break;
      default:
        break;
    }
  }
  return p;
}

// KeyValue { key = 1; value = 2 } as field `field` of the enclosing message.
char* PutKeyValue(char* p, uint32_t field, const SpanRecord& r, const StoredAttribute& a) {
  size_t value_size = AnyValueSize(r, a);
  size_t kv_size = 1 + VarintSize(a.key_len) + a.key_len + 1 + VarintSize(value_size) + value_size;
  p = PutTag(p, field, kLen);
  p = PutVarint(p, kv_size);
  p = PutLenDelimited(p, 1, r.arena.data() + a.key_off, a.key_len);
  p = PutTag(p, 2, kLen);
  p = PutVarint(p, value_size);
  return PutAnyValueBody(p, r, a);
}

size_t SpanSizeBound(const SpanRecord& r) {
  size_t items = r.attributes.size() + r.sub_attributes.size() + r.events.size() + r.links.size();
  return 256 + 4 * r.arena.size() + 64 * items;
}

char* PutSpan(char* p, const SpanRecord& r) {
  OpenField span = Open(p, 2);  // ScopeSpans.spans
  char id[16];
  BigEndian64(r.trace_id.high, id);
  BigEndian64(r.trace_id.low, id + 8);
  p = PutLenDelimited(p, 1, id, 16);
  BigEndian64(r.span_id.value, id);
  p = PutLenDelimited(p, 2, id, 8);
  if (r.trace_state_len) p = PutLenDelimited(p, 3, r.arena.data() + r.trace_state_off, r.trace_state_len);
  if (r.has_parent) {
    BigEndian64(r.parent_span_id.value, id);
    p = PutLenDelimited(p, 4, id, 8);
  }
  p = PutLenDelimited(p, 5, r.arena.data() + r.name_off, r.name_len);
  p = PutTag(p, 6, kVarint);
  *p++ = static_cast<char>(r.kind);
  p = PutFixed64(p, 7, r.start_unix_ns);
  p = PutFixed64(p, 8, r.end_unix_ns);
  for (const StoredAttribute& a : r.attributes) p = PutKeyValue(p, 9, r, a);
  if (r.dropped_attributes) {
    p = PutTag(p, 10, kVarint);
    p = PutVarint(p, r.dropped_attributes);
  }
  for (const StoredEvent& e : r.events) {
    OpenField ev = Open(p, 11);
    p = PutFixed64(p, 1, e.time_unix_ns);
    p = PutLenDelimited(p, 2, r.arena.data() + e.name_off, e.name_len);
    for (uint32_t i = 0; i < e.attr_count; ++i) p = PutKeyValue(p, 3, r, r.sub_attributes[e.attr_begin + i]);
    Close(p, ev);
  }
  if (r.dropped_events) {
    p = PutTag(p, 12, kVarint);
    p = PutVarint(p, r.dropped_events);
  }
  for (const StoredLink& l : r.links) {
    OpenField lk = Open(p, 13);
    BigEndian64(l.trace_id.high, id);
    BigEndian64(l.trace_id.low, id + 8);
    p = PutLenDelimited(p, 1, id, 16);
    BigEndian64(l.span_id.value, id);
    p = PutLenDelimited(p, 2, id, 8);
    if (l.trace_state_len) p = PutLenDelimited(p, 3, r.arena.data() + l.trace_state_off, l.trace_state_len);
    for (uint32_t i = 0; i < l.attr_count; ++i) p = PutKeyValue(p, 4, r, r.sub_attributes[l.attr_begin + i]);
    // SpanFlags: low byte = W3C trace flags; bit 8 = "is_remote known"; bit 9 = is_remote.
    p = PutFixed32(p, 6, l.trace_flags | 0x100u | (l.is_remote ? 0x200u : 0u));
    Close(p, lk);
  }
  if (r.dropped_links) {
    p = PutTag(p, 14, kVarint);
    p = PutVarint(p, r.dropped_links);
  }
  if (r.status != StatusCode::kUnset || r.status_len) {
    size_t body = (r.status_len ? 1 + VarintSize(r.status_len) + r.status_len : 0) +
                  (r.status != StatusCode::kUnset ? 2 : 0);
    p = PutTag(p, 15, kLen);
    p = PutVarint(p, body);
    if (r.status_len) p = PutLenDelimited(p, 2, r.arena.data() + r.status_off, r.status_len);
    if (r.status != StatusCode::kUnset) {
      p = PutTag(p, 3, kVarint);
      *p++ = static_cast<char>(r.status);
    }
  }
  // Span.flags: trace flags plus whether the parent was remote (only meaningful with a parent).
  uint32_t flags = r.trace_flags;
  if (r.has_parent) flags |= 0x100u | (r.parent_is_remote ? 0x200u : 0u);
  p = PutFixed32(p, 16, flags);
  Close(p, span);
  return p;
}

}  // namespace

OtlpEncoder::OtlpEncoder(const std::vector<std::pair<std::string, std::string>>& resource_attributes) {
  for (const auto& [k, v] : resource_attributes) {
    std::string kv;
    size_t value_size = 1 + VarintSize(v.size()) + v.size();
    char buf[16];
    char* p;
    // key
    kv.push_back(static_cast<char>((1 << 3) | kLen));
    p = PutVarint(buf, k.size());
    kv.append(buf, p);
    kv.append(k);
    kv.push_back(static_cast<char>((2 << 3) | kLen));
    p = PutVarint(buf, value_size);
    kv.append(buf, p);
    kv.push_back(static_cast<char>((1 << 3) | kLen));
    p = PutVarint(buf, v.size());
    kv.append(buf, p);
    kv.append(v);
    resource_.push_back(static_cast<char>((1 << 3) | kLen));  // Resource.attributes
    p = PutVarint(buf, kv.size());
    resource_.append(buf, p);
    resource_.append(kv);
  }
}

void OtlpEncoder::Encode(SpanRecord* const* spans, size_t count, std::string* out) const {
  // Distinct scopes in first-seen order (a handful at most in practice).
  const InstrumentationScope* scopes[64];
  size_t n_scopes = 0;
  size_t bound = 64 + resource_.size();
  for (size_t i = 0; i < count; ++i) {
    bound += SpanSizeBound(*spans[i]);
    const InstrumentationScope* s = spans[i]->scope;
    bool seen = false;
    for (size_t j = 0; j < n_scopes; ++j) seen |= scopes[j] == s;
    if (!seen && n_scopes < 64) {
      scopes[n_scopes++] = s;
      bound += 32 + (s ? s->name.size() + s->version.size() : 0);
    }
  }
  out->resize(bound);  // capacity is kept across batches; no allocation once warm
  char* const begin = out->data();
  char* p = begin;
  OpenField rs = Open(p, 1);  // ExportTraceServiceRequest.resource_spans
  p = PutLenDelimited(p, 1, resource_.data(), resource_.size());
  for (size_t j = 0; j < n_scopes; ++j) {
    const InstrumentationScope* s = scopes[j];
    OpenField ss = Open(p, 2);  // ResourceSpans.scope_spans
    OpenField sc = Open(p, 1);  // ScopeSpans.scope
    if (s && !s->name.empty()) p = PutLenDelimited(p, 1, s->name.data(), s->name.size());
    if (s && !s->version.empty()) p = PutLenDelimited(p, 2, s->version.data(), s->version.size());
    Close(p, sc);
    for (size_t i = 0; i < count; ++i) {
      const InstrumentationScope* si = spans[i]->scope;
      // Spans whose scope did not fit in the table go with the last scope.
      bool match = si == s;
      if (!match && j == n_scopes - 1) {
        match = true;
        for (size_t k = 0; k < n_scopes; ++k) match &= scopes[k] != si;
      }
      if (match) p = PutSpan(p, *spans[i]);
    }
    Close(p, ss);
  }
  Close(p, rs);
  out->resize(static_cast<size_t>(p - begin));
}

}  // namespace tracery::internal
