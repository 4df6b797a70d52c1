#include "storage/span_codec.h"

namespace tracery::storage {
namespace {

constexpr int kMaxDepth = 32;

using model::AnyValue;

// Element counts are checked against the bytes left (every element takes at
// least one byte) so a corrupt count cannot trigger a huge allocation.
bool ReadCount(ByteReader& in, uint64_t* n) {
  *n = in.Varint();
  if (!in.ok() || *n > in.remaining()) {
    in.Fail();
    return false;
  }
  return true;
}

void PutString(std::string* dst, const std::string& s) { PutLengthPrefixed(dst, s); }
bool GetString(ByteReader& in, std::string* s) {
  std::string_view v = in.LengthPrefixed();
  s->assign(v.data(), v.size());
  return in.ok();
}

}  // namespace

void EncodeAnyValue(const AnyValue& v, std::string* dst) {
  dst->push_back(static_cast<char>(v.type));
  switch (v.type) {
    case AnyValue::Type::kEmpty:
      break;
    case AnyValue::Type::kString:
    case AnyValue::Type::kBytes:
      PutString(dst, v.str);
      break;
    case AnyValue::Type::kBool:
      dst->push_back(v.bool_value ? 1 : 0);
      break;
    case AnyValue::Type::kInt:
      PutVarint(dst, ZigZag(v.int_value));
      break;
    case AnyValue::Type::kDouble: {
      uint64_t bits;
      std::memcpy(&bits, &v.double_value, 8);
      PutFixed64(dst, bits);
      break;
    }
    case AnyValue::Type::kArray:
      PutVarint(dst, v.array.size());
      for (const auto& e : v.array) EncodeAnyValue(e, dst);
      break;
    case AnyValue::Type::kMap:
      EncodeAttributes(v.map, dst);
      break;
  }
}

void EncodeAttributes(const model::Attributes& attrs, std::string* dst) {
  PutVarint(dst, attrs.size());
  for (const auto& kv : attrs) {
    PutString(dst, kv.key);
    EncodeAnyValue(kv.value, dst);
  }
}

bool DecodeAnyValue(ByteReader& in, AnyValue* out, int depth) {
  if (depth > kMaxDepth) {
    in.Fail();
    return false;
  }
  uint8_t type = in.Byte();
  if (!in.ok() || type > static_cast<uint8_t>(AnyValue::Type::kMap)) {
    in.Fail();
    return false;
  }
  out->type = static_cast<AnyValue::Type>(type);
  // `out` may be a reused value (DecodeSpan into a scratch span): drop what
  // a previous value of another type left, keeping the buffers' capacity.
  if (out->type != AnyValue::Type::kString && out->type != AnyValue::Type::kBytes) out->str.clear();
  if (out->type != AnyValue::Type::kArray) out->array.clear();
  if (out->type != AnyValue::Type::kMap) out->map.clear();
  switch (out->type) {
    case AnyValue::Type::kEmpty:
      return true;
    case AnyValue::Type::kString:
    case AnyValue::Type::kBytes:
      return GetString(in, &out->str);
    case AnyValue::Type::kBool:
      out->bool_value = in.Byte() != 0;
      return in.ok();
    case AnyValue::Type::kInt:
      out->int_value = UnZigZag(in.Varint());
      return in.ok();
    case AnyValue::Type::kDouble: {
      uint64_t bits = in.Fixed64();
      std::memcpy(&out->double_value, &bits, 8);
      return in.ok();
    }
    case AnyValue::Type::kArray: {
      uint64_t n;
      if (!ReadCount(in, &n)) return false;
      out->array.resize(n);
      for (auto& e : out->array) {
        if (!DecodeAnyValue(in, &e, depth + 1)) return false;
      }
      return true;
    }
    case AnyValue::Type::kMap:
      return DecodeAttributes(in, &out->map, depth + 1);
  }
  return false;
}

bool DecodeAttributes(ByteReader& in, model::Attributes* out, int depth) {
  uint64_t n;
  if (!ReadCount(in, &n)) return false;
  out->resize(n);
  for (auto& kv : *out) {
    if (!GetString(in, &kv.key) || !DecodeAnyValue(in, &kv.value, depth)) return false;
  }
  return true;
}

namespace {
// EncodeSpan without the trailing indexes.
void EncodeSpanBody(const model::Span& s, std::string* dst) {
  dst->append(reinterpret_cast<const char*>(s.trace_id.bytes.data()), 16);
  PutFixed64(dst, s.span_id.value);
  PutFixed64(dst, s.parent_span_id.value);
  PutString(dst, s.trace_state);
  PutVarint(dst, s.flags);
  PutString(dst, s.name);
  dst->push_back(static_cast<char>(s.kind));
  PutVarint(dst, s.start_time_unix_nano);
  PutVarint(dst, ZigZag(static_cast<int64_t>(s.end_time_unix_nano - s.start_time_unix_nano)));
  EncodeAttributes(s.attributes, dst);
  PutVarint(dst, s.dropped_attributes_count);
  PutVarint(dst, s.events.size());
  for (const auto& e : s.events) {
    PutVarint(dst, e.time_unix_nano);
    PutString(dst, e.name);
    EncodeAttributes(e.attributes, dst);
    PutVarint(dst, e.dropped_attributes_count);
  }
  PutVarint(dst, s.dropped_events_count);
  PutVarint(dst, s.links.size());
  for (const auto& l : s.links) {
    dst->append(reinterpret_cast<const char*>(l.trace_id.bytes.data()), 16);
    PutFixed64(dst, l.span_id.value);
    PutString(dst, l.trace_state);
    EncodeAttributes(l.attributes, dst);
    PutVarint(dst, l.dropped_attributes_count);
    PutVarint(dst, l.flags);
  }
  PutVarint(dst, s.dropped_links_count);
  dst->push_back(static_cast<char>(s.status_code));
  PutString(dst, s.status_message);
}
}  // namespace

void EncodeSpan(const model::Span& s, uint32_t resource_index, uint32_t scope_index, std::string* dst) {
  EncodeSpanBody(s, dst);
  PutVarint(dst, resource_index);
  PutVarint(dst, scope_index);
}

void EncodeSpanBatch(const model::SpanBatch& batch, std::string* dst, std::vector<EncodedSpanRange>* ranges) {
  PutVarint(dst, batch.resources.size());
  for (const auto& r : batch.resources) {
    EncodeAttributes(r.attributes, dst);
    PutVarint(dst, r.dropped_attributes_count);
    PutString(dst, r.schema_url);
  }
  PutVarint(dst, batch.scopes.size());
  for (const auto& s : batch.scopes) {
    PutString(dst, s.name);
    PutString(dst, s.version);
    EncodeAttributes(s.attributes, dst);
    PutVarint(dst, s.dropped_attributes_count);
    PutString(dst, s.schema_url);
  }
  PutVarint(dst, batch.spans.size());
  if (ranges == nullptr) {
    for (const auto& s : batch.spans) EncodeSpan(s, s.resource_index, s.scope_index, dst);
    return;
  }
  ranges->reserve(ranges->size() + batch.spans.size());
  for (const auto& s : batch.spans) {
    EncodedSpanRange r;
    r.begin = dst->size();
    EncodeSpanBody(s, dst);
    r.indexes_begin = dst->size();
    PutVarint(dst, s.resource_index);
    PutVarint(dst, s.scope_index);
    r.end = dst->size();
    ranges->push_back(r);
  }
}

const char* DecodeSpan(ByteReader& in, model::Span* out) {
  model::Span& s = *out;
  std::string_view tid = in.Bytes(16);
  if (in.ok()) std::memcpy(s.trace_id.bytes.data(), tid.data(), 16);
  s.span_id.value = in.Fixed64();
  s.parent_span_id.value = in.Fixed64();
  GetString(in, &s.trace_state);
  s.flags = in.Varint32();
  GetString(in, &s.name);
  uint8_t kind = in.Byte();
  if (kind > static_cast<uint8_t>(model::SpanKind::kConsumer)) return "span kind";
  s.kind = static_cast<model::SpanKind>(kind);
  s.start_time_unix_nano = in.Varint();
  s.end_time_unix_nano = s.start_time_unix_nano + static_cast<uint64_t>(UnZigZag(in.Varint()));
  DecodeAttributes(in, &s.attributes);
  s.dropped_attributes_count = in.Varint32();
  uint64_t ne;
  if (!ReadCount(in, &ne)) return "event count";
  s.events.resize(ne);
  for (auto& e : s.events) {
    e.time_unix_nano = in.Varint();
    GetString(in, &e.name);
    DecodeAttributes(in, &e.attributes);
    e.dropped_attributes_count = in.Varint32();
  }
  s.dropped_events_count = in.Varint32();
  uint64_t nl;
  if (!ReadCount(in, &nl)) return "link count";
  s.links.resize(nl);
  for (auto& l : s.links) {
    std::string_view ltid = in.Bytes(16);
    if (in.ok()) std::memcpy(l.trace_id.bytes.data(), ltid.data(), 16);
    l.span_id.value = in.Fixed64();
    GetString(in, &l.trace_state);
    DecodeAttributes(in, &l.attributes);
    l.dropped_attributes_count = in.Varint32();
    l.flags = in.Varint32();
  }
  s.dropped_links_count = in.Varint32();
  uint8_t status = in.Byte();
  if (status > static_cast<uint8_t>(model::StatusCode::kError)) return "status code";
  s.status_code = static_cast<model::StatusCode>(status);
  GetString(in, &s.status_message);
  s.resource_index = in.Varint32();
  s.scope_index = in.Varint32();
  if (!in.ok()) return "span";
  return nullptr;
}

Result<model::SpanBatch> DecodeSpanBatch(std::string_view data) {
  ByteReader in(data);
  model::SpanBatch batch;
  auto fail = [&](const char* what) {
    return Status::Corruption(std::string("span batch: malformed ") + what);
  };
  uint64_t n;
  if (!ReadCount(in, &n)) return fail("resource count");
  batch.resources.resize(n);
  for (auto& r : batch.resources) {
    DecodeAttributes(in, &r.attributes);
    r.dropped_attributes_count = in.Varint32();
    GetString(in, &r.schema_url);
    if (!in.ok()) return fail("resource");
  }
  if (!ReadCount(in, &n)) return fail("scope count");
  batch.scopes.resize(n);
  for (auto& s : batch.scopes) {
    GetString(in, &s.name);
    GetString(in, &s.version);
    DecodeAttributes(in, &s.attributes);
    s.dropped_attributes_count = in.Varint32();
    GetString(in, &s.schema_url);
    if (!in.ok()) return fail("scope");
  }
  if (!ReadCount(in, &n)) return fail("span count");
  batch.spans.resize(n);
  for (auto& s : batch.spans) {
    if (const char* what = DecodeSpan(in, &s)) return fail(what);
    if (s.resource_index >= batch.resources.size()) return fail("span resource index");
    if (s.scope_index >= batch.scopes.size()) return fail("span scope index");
  }
  if (!in.empty()) return fail("trailing bytes");
  return batch;
}

}  // namespace tracery::storage
