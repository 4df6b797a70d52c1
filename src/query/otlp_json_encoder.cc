#include "query/otlp_json_encoder.h"

#include <algorithm>
#include <unordered_map>

namespace tracery::query {

namespace {

void AppendAttributes(const model::Attributes& attrs, JsonWriter& w) {
  if (attrs.empty()) return;
  w.Key("attributes").BeginArray();
  for (const auto& kv : attrs) {
    w.BeginObject().Field("key", kv.key).Key("value");
    AppendOtlpAnyValue(kv.value, w);
    w.EndObject();
  }
  w.EndArray();
}

void AppendDropped(std::string_view key, uint32_t n, JsonWriter& w) {
  if (n) w.FieldUint(key, n);
}

// The protobuf JSON mapping writes 64-bit integers as strings.
void AppendUint64String(std::string_view key, uint64_t v, JsonWriter& w) {
  w.Key(key).String(std::to_string(v));
}

void AppendSpan(const model::Span& s, JsonWriter& w) {
  w.BeginObject();
  w.Field("traceId", s.trace_id.ToHex()).Field("spanId", s.span_id.ToHex());
  if (!s.trace_state.empty()) w.Field("traceState", s.trace_state);
  if (!s.parent_span_id.IsZero()) w.Field("parentSpanId", s.parent_span_id.ToHex());
  if (s.flags) w.FieldUint("flags", s.flags);
  w.Field("name", s.name);
  if (s.kind != model::SpanKind::kUnspecified) w.FieldUint("kind", static_cast<uint32_t>(s.kind));
  AppendUint64String("startTimeUnixNano", s.start_time_unix_nano, w);
  AppendUint64String("endTimeUnixNano", s.end_time_unix_nano, w);
  AppendAttributes(s.attributes, w);
  AppendDropped("droppedAttributesCount", s.dropped_attributes_count, w);
  if (!s.events.empty()) {
    w.Key("events").BeginArray();
    for (const auto& e : s.events) {
      w.BeginObject();
      AppendUint64String("timeUnixNano", e.time_unix_nano, w);
      w.Field("name", e.name);
      AppendAttributes(e.attributes, w);
      AppendDropped("droppedAttributesCount", e.dropped_attributes_count, w);
      w.EndObject();
    }
    w.EndArray();
  }
  AppendDropped("droppedEventsCount", s.dropped_events_count, w);
  if (!s.links.empty()) {
    w.Key("links").BeginArray();
    for (const auto& l : s.links) {
      w.BeginObject().Field("traceId", l.trace_id.ToHex()).Field("spanId", l.span_id.ToHex());
      if (!l.trace_state.empty()) w.Field("traceState", l.trace_state);
      AppendAttributes(l.attributes, w);
      AppendDropped("droppedAttributesCount", l.dropped_attributes_count, w);
      if (l.flags) w.FieldUint("flags", l.flags);
      w.EndObject();
    }
    w.EndArray();
  }
  AppendDropped("droppedLinksCount", s.dropped_links_count, w);
  w.Key("status").BeginObject();
  if (!s.status_message.empty()) w.Field("message", s.status_message);
  if (s.status_code != model::StatusCode::kUnset) w.FieldUint("code", static_cast<uint32_t>(s.status_code));
  w.EndObject();
  w.EndObject();
}

// For each element, the index of the first equal element, so equal
// resources (or scopes) that reached the batch from different writes are
// rendered once. Quadratic, so only attempted for up to 512 distinct items.
template <typename T>
std::vector<uint32_t> CanonicalIndexes(const std::vector<T>& items) {
  std::vector<uint32_t> canon(items.size());
  std::vector<uint32_t> distinct;
  for (uint32_t i = 0; i < items.size(); ++i) {
    canon[i] = i;
    if (distinct.size() > 512) continue;
    for (uint32_t d : distinct)
      if (items[d] == items[i]) {
        canon[i] = d;
        break;
      }
    if (canon[i] == i) distinct.push_back(i);
  }
  return canon;
}

}  // namespace

void AppendOtlpAnyValue(const model::AnyValue& v, JsonWriter& w) {
  using T = model::AnyValue::Type;
  w.BeginObject();
  switch (v.type) {
    case T::kEmpty: break;
    case T::kString: w.Field("stringValue", v.str); break;
    case T::kBool: w.FieldBool("boolValue", v.bool_value); break;
    case T::kInt: w.Key("intValue").String(std::to_string(v.int_value)); break;
    case T::kDouble: w.Key("doubleValue").Double(v.double_value); break;
    case T::kBytes: w.Field("bytesValue", Base64Encode(v.str)); break;
    case T::kArray:
      w.Key("arrayValue").BeginObject().Key("values").BeginArray();
      for (const auto& e : v.array) AppendOtlpAnyValue(e, w);
      w.EndArray().EndObject();
      break;
    case T::kMap:
      w.Key("kvlistValue").BeginObject().Key("values").BeginArray();
      for (const auto& kv : v.map) {
        w.BeginObject().Field("key", kv.key).Key("value");
        AppendOtlpAnyValue(kv.value, w);
        w.EndObject();
      }
      w.EndArray().EndObject();
      break;
  }
  w.EndObject();
}

void AppendOtlpResourceSpans(const model::SpanBatch& batch, JsonWriter& w) {
  // Order of spans grouped by resource, then scope, stable within a group;
  // groups keep the order of their first span.
  const size_t n = batch.spans.size();
  const std::vector<uint32_t> res_of = CanonicalIndexes(batch.resources);
  const std::vector<uint32_t> scope_of = CanonicalIndexes(batch.scopes);
  auto res_index = [&](uint32_t span) { return res_of[batch.spans[span].resource_index]; };
  auto scope_index = [&](uint32_t span) { return scope_of[batch.spans[span].scope_index]; };
  std::vector<uint32_t> first_seen_res(batch.resources.size(), UINT32_MAX);
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i) {
    order[i] = i;
    auto& f = first_seen_res[res_index(i)];
    if (f == UINT32_MAX) f = i;
  }
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return first_seen_res[res_index(a)] < first_seen_res[res_index(b)];
  });
  size_t i = 0;
  while (i < n) {
    const uint32_t res = res_index(order[i]);
    size_t res_end = i;
    while (res_end < n && res_index(order[res_end]) == res) ++res_end;
    const model::Resource& r = batch.resources[res];
    w.BeginObject().Key("resource").BeginObject();
    AppendAttributes(r.attributes, w);
    AppendDropped("droppedAttributesCount", r.dropped_attributes_count, w);
    w.EndObject();
    if (!r.schema_url.empty()) w.Field("schemaUrl", r.schema_url);
    w.Key("scopeSpans").BeginArray();
    // Within a resource, group by scope in order of first appearance
    // (a stable sort, so O(k log k) however many scopes there are).
    std::unordered_map<uint32_t, uint32_t> first_seen_scope;
    for (size_t k = i; k < res_end; ++k)
      first_seen_scope.emplace(scope_index(order[k]), static_cast<uint32_t>(k));
    std::stable_sort(order.begin() + i, order.begin() + res_end, [&](uint32_t a, uint32_t b) {
      return first_seen_scope[scope_index(a)] < first_seen_scope[scope_index(b)];
    });
    size_t g = i;
    while (g < res_end) {
      const uint32_t scope = scope_index(order[g]);
      const model::Scope& sc = batch.scopes[scope];
      w.BeginObject().Key("scope").BeginObject();
      if (!sc.name.empty()) w.Field("name", sc.name);
      if (!sc.version.empty()) w.Field("version", sc.version);
      AppendAttributes(sc.attributes, w);
      AppendDropped("droppedAttributesCount", sc.dropped_attributes_count, w);
      w.EndObject();
      if (!sc.schema_url.empty()) w.Field("schemaUrl", sc.schema_url);
      w.Key("spans").BeginArray();
      for (; g < res_end && scope_index(order[g]) == scope; ++g) AppendSpan(batch.spans[order[g]], w);
      w.EndArray().EndObject();
    }
    w.EndArray().EndObject();
    i = res_end;
  }
}

std::string EncodeOtlpJson(const model::SpanBatch& batch) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("resourceSpans").BeginArray();
  AppendOtlpResourceSpans(batch, w);
  w.EndArray().EndObject();
  return out;
}

}  // namespace tracery::query
