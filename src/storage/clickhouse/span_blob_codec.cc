#include "storage/clickhouse/span_blob_codec.h"

#include "storage/clickhouse/row_binary.h"

namespace tracery::storage::clickhouse {
namespace {

constexpr int kMaxValueDepth = 64;

void PutAttributes(RowBinaryWriter& w, const model::Attributes& attrs);

void PutValue(RowBinaryWriter& w, const model::AnyValue& v) {
  using T = model::AnyValue::Type;
  w.U8(static_cast<uint8_t>(v.type));
  switch (v.type) {
    case T::kEmpty:
      break;
    case T::kString:
    case T::kBytes:
      w.String(v.str);
      break;
    case T::kBool:
      w.U8(v.bool_value ? 1 : 0);
      break;
    case T::kInt: {
      // Zig-zag so small negative numbers stay short.
      uint64_t u = static_cast<uint64_t>(v.int_value);
      w.VarUInt((u << 1) ^ static_cast<uint64_t>(v.int_value >> 63));
      break;
    }
    case T::kDouble:
      w.F64(v.double_value);
      break;
    case T::kArray:
      w.VarUInt(v.array.size());
      for (const auto& e : v.array) PutValue(w, e);
      break;
    case T::kMap:
      PutAttributes(w, v.map);
      break;
  }
}

void PutAttributes(RowBinaryWriter& w, const model::Attributes& attrs) {
  w.VarUInt(attrs.size());
  for (const auto& kv : attrs) {
    w.String(kv.key);
    PutValue(w, kv.value);
  }
}

// Sections are framed as Strings so the reader can key resources and scopes
// by their bytes before decoding them.
void PutResourceSection(const model::Resource& r, std::string* scratch, RowBinaryWriter& w) {
  scratch->clear();
  RowBinaryWriter s(scratch);
  PutAttributes(s, r.attributes);
  s.VarUInt(r.dropped_attributes_count);
  s.String(r.schema_url);
  w.String(*scratch);
}

void PutScopeSection(const model::Scope& sc, std::string* scratch, RowBinaryWriter& w) {
  scratch->clear();
  RowBinaryWriter s(scratch);
  s.String(sc.name);
  s.String(sc.version);
  PutAttributes(s, sc.attributes);
  s.VarUInt(sc.dropped_attributes_count);
  s.String(sc.schema_url);
  w.String(*scratch);
}

bool GetAttributes(RowBinaryReader& r, model::Attributes* out, int depth);

bool GetValue(RowBinaryReader& r, model::AnyValue* v, int depth) {
  using T = model::AnyValue::Type;
  if (depth > kMaxValueDepth) return false;
  uint8_t type = r.U8();
  if (type > static_cast<uint8_t>(T::kMap)) return false;
  v->type = static_cast<T>(type);
  switch (v->type) {
    case T::kEmpty:
      break;
    case T::kString:
    case T::kBytes:
      v->str = r.String();
      break;
    case T::kBool:
      v->bool_value = r.U8() != 0;
      break;
    case T::kInt: {
      uint64_t z = r.VarUInt();
      v->int_value = static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
      break;
    }
    case T::kDouble:
      v->double_value = r.F64();
      break;
    case T::kArray: {
      uint64_t n = r.VarUInt();
      if (n > r.remaining()) return false;  // each element takes >= 1 byte
      v->array.resize(n);
      for (auto& e : v->array)
        if (!GetValue(r, &e, depth + 1)) return false;
      break;
    }
    case T::kMap:
      if (!GetAttributes(r, &v->map, depth + 1)) return false;
      break;
  }
  return !r.failed();
}

bool GetAttributes(RowBinaryReader& r, model::Attributes* out, int depth) {
  uint64_t n = r.VarUInt();
  if (n > r.remaining()) return false;  // each entry takes >= 2 bytes
  out->resize(n);
  for (auto& kv : *out) {
    kv.key = r.String();
    if (!GetValue(r, &kv.value, depth)) return false;
  }
  return !r.failed();
}

uint32_t GetU32Count(RowBinaryReader& r) {
  return static_cast<uint32_t>(r.VarUInt());
}

bool GetResource(std::string_view section, model::Resource* res) {
  RowBinaryReader r(section);
  if (!GetAttributes(r, &res->attributes, 0)) return false;
  res->dropped_attributes_count = GetU32Count(r);
  res->schema_url = r.String();
  return !r.failed() && r.done();
}

bool GetScope(std::string_view section, model::Scope* sc) {
  RowBinaryReader r(section);
  sc->name = r.String();
  sc->version = r.String();
  if (!GetAttributes(r, &sc->attributes, 0)) return false;
  sc->dropped_attributes_count = GetU32Count(r);
  sc->schema_url = r.String();
  return !r.failed() && r.done();
}

}  // namespace

void AppendSpanBlob(const model::SpanBatch& batch, const model::Span& span, std::string* out) {
  // Encode into a thread-local scratch first: the String frame needs the
  // length up front. Reused across calls, so no allocation per span once warm.
  thread_local std::string blob;
  thread_local std::string section;
  blob.clear();
  RowBinaryWriter w(&blob);
  w.U8(kSpanBlobVersion);
  static const model::Resource kNoResource;
  static const model::Scope kNoScope;
  const auto& res =
      span.resource_index < batch.resources.size() ? batch.resources[span.resource_index] : kNoResource;
  const auto& scope = span.scope_index < batch.scopes.size() ? batch.scopes[span.scope_index] : kNoScope;
  PutResourceSection(res, &section, w);
  PutScopeSection(scope, &section, w);
  w.String(span.trace_state);
  w.VarUInt(span.flags);
  // The end time is start + duration unless the span ends before it starts
  // (duration column 0); then the end is kept here so it round-trips.
  if (span.end_time_unix_nano < span.start_time_unix_nano) {
    w.U8(1);
    w.U64(span.end_time_unix_nano);
  } else {
    w.U8(0);
  }
  PutAttributes(w, span.attributes);
  w.VarUInt(span.dropped_attributes_count);
  w.VarUInt(span.events.size());
  for (const auto& e : span.events) {
    w.U64(e.time_unix_nano);
    w.String(e.name);
    PutAttributes(w, e.attributes);
    w.VarUInt(e.dropped_attributes_count);
  }
  w.VarUInt(span.dropped_events_count);
  w.VarUInt(span.links.size());
  for (const auto& l : span.links) {
    w.Raw(l.trace_id.bytes.data(), 16);
    w.U64(l.span_id.value);
    w.String(l.trace_state);
    PutAttributes(w, l.attributes);
    w.VarUInt(l.dropped_attributes_count);
    w.VarUInt(l.flags);
  }
  w.VarUInt(span.dropped_links_count);
  w.String(span.status_message);
  RowBinaryWriter(out).String(blob);
}

Status SpanBatchAssembler::Add(model::Span span, uint64_t duration_ns, std::string_view blob) {
  auto corrupt = [&](const char* what) {
    return Status::Corruption(std::string("span blob of span ") + span.span_id.ToHex() + " in trace " +
                              span.trace_id.ToHex() + ": " + what);
  };
  RowBinaryReader r(blob);
  uint8_t version = r.U8();
  if (r.failed()) return corrupt("empty");
  if (version != kSpanBlobVersion) return corrupt("unknown blob version");

  std::string_view res_section = r.String();
  std::string_view scope_section = r.String();
  if (r.failed()) return corrupt("truncated resource or scope");

  auto [rit, new_res] = resource_index_.try_emplace(std::string(res_section), 0);
  if (new_res) {
    model::Resource res;
    if (!GetResource(res_section, &res)) {
      resource_index_.erase(rit);
      return corrupt("malformed resource");
    }
    rit->second = static_cast<uint32_t>(out_->resources.size());
    out_->resources.push_back(std::move(res));
  }
  auto [sit, new_scope] = scope_index_.try_emplace(std::string(scope_section), 0);
  if (new_scope) {
    model::Scope scope;
    if (!GetScope(scope_section, &scope)) {
      scope_index_.erase(sit);
      return corrupt("malformed scope");
    }
    sit->second = static_cast<uint32_t>(out_->scopes.size());
    out_->scopes.push_back(std::move(scope));
  }
  span.resource_index = rit->second;
  span.scope_index = sit->second;

  span.trace_state = r.String();
  span.flags = static_cast<uint32_t>(r.VarUInt());
  if (r.U8() != 0) {
    span.end_time_unix_nano = r.U64();
  } else {
    span.end_time_unix_nano = span.start_time_unix_nano + duration_ns;
  }
  if (!GetAttributes(r, &span.attributes, 0)) return corrupt("malformed attributes");
  span.dropped_attributes_count = GetU32Count(r);
  uint64_t n_events = r.VarUInt();
  if (n_events > r.remaining()) return corrupt("event count exceeds blob");
  span.events.resize(n_events);
  for (auto& e : span.events) {
    e.time_unix_nano = r.U64();
    e.name = r.String();
    if (!GetAttributes(r, &e.attributes, 0)) return corrupt("malformed event");
    e.dropped_attributes_count = GetU32Count(r);
  }
  span.dropped_events_count = GetU32Count(r);
  uint64_t n_links = r.VarUInt();
  if (n_links > r.remaining()) return corrupt("link count exceeds blob");
  span.links.resize(n_links);
  for (auto& l : span.links) {
    std::string_view tid = r.Bytes(16);
    if (r.failed()) return corrupt("truncated link");
    std::memcpy(l.trace_id.bytes.data(), tid.data(), 16);
    l.span_id.value = r.U64();
    l.trace_state = r.String();
    if (!GetAttributes(r, &l.attributes, 0)) return corrupt("malformed link");
    l.dropped_attributes_count = GetU32Count(r);
    l.flags = static_cast<uint32_t>(r.VarUInt());
  }
  span.dropped_links_count = GetU32Count(r);
  span.status_message = r.String();
  if (r.failed()) return corrupt("truncated");
  if (!r.done()) return corrupt("trailing bytes");
  out_->spans.push_back(std::move(span));
  return Status::Ok();
}

}  // namespace tracery::storage::clickhouse
