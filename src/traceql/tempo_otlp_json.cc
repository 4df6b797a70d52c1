#include "traceql/tempo_otlp_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "common/json_escape.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace tracery::traceql {
namespace {

namespace otlp = opentelemetry::proto;

void AppendString(std::string_view s, std::string* out) {
  out->push_back('"');
  AppendJsonEscaped(out, s);
  out->push_back('"');
}

void AppendUintString(uint64_t v, std::string* out) {
  out->push_back('"');
  *out += std::to_string(v);
  out->push_back('"');
}

void AppendAttributes(const model::Attributes& attrs, std::string* out) {
  *out += "\"attributes\":[";
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (i) out->push_back(',');
    *out += "{\"key\":";
    AppendString(attrs[i].key, out);
    *out += ",\"value\":";
    AppendAnyValueJson(attrs[i].value, out);
    out->push_back('}');
  }
  out->push_back(']');
}

// (resource_index, scope_index) groups of span indexes, in first-seen order.
std::vector<std::pair<uint32_t, std::vector<std::pair<uint32_t, std::vector<uint32_t>>>>> Group(
    const model::SpanBatch& trace) {
  std::vector<std::pair<uint32_t, std::vector<std::pair<uint32_t, std::vector<uint32_t>>>>> groups;
  for (uint32_t i = 0; i < trace.spans.size(); ++i) {
    const model::Span& s = trace.spans[i];
    auto r = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == s.resource_index; });
    if (r == groups.end()) r = groups.insert(groups.end(), {s.resource_index, {}});
    auto sc = std::find_if(r->second.begin(), r->second.end(), [&](const auto& g) { return g.first == s.scope_index; });
    if (sc == r->second.end()) sc = r->second.insert(r->second.end(), {s.scope_index, {}});
    sc->second.push_back(i);
  }
  return groups;
}

void ToProtoValue(const model::AnyValue& v, otlp::common::v1::AnyValue* out) {
  using T = model::AnyValue::Type;
  switch (v.type) {
    case T::kString: out->set_string_value(v.str); break;
    case T::kBool: out->set_bool_value(v.bool_value); break;
    case T::kInt: out->set_int_value(v.int_value); break;
    case T::kDouble: out->set_double_value(v.double_value); break;
    case T::kBytes: out->set_bytes_value(v.str); break;
    case T::kArray:
      for (const auto& e : v.array) ToProtoValue(e, out->mutable_array_value()->add_values());
      break;
    case T::kMap:
      for (const auto& kv : v.map) {
        auto* p = out->mutable_kvlist_value()->add_values();
        p->set_key(kv.key);
        ToProtoValue(kv.value, p->mutable_value());
      }
      break;
    case T::kEmpty: break;
  }
}

template <typename Repeated>
void ToProtoAttributes(const model::Attributes& attrs, Repeated* out) {
  for (const auto& kv : attrs) {
    auto* p = out->Add();
    p->set_key(kv.key);
    ToProtoValue(kv.value, p->mutable_value());
  }
}

std::string SpanIdBytes(model::SpanId id) {
  if (id.IsZero()) return {};
  uint8_t b[8];
  id.ToBytes(b);
  return std::string(reinterpret_cast<const char*>(b), 8);
}

}  // namespace

void AppendAnyValueJson(const model::AnyValue& v, std::string* out) {
  using T = model::AnyValue::Type;
  switch (v.type) {
    case T::kString: *out += "{\"stringValue\":"; AppendString(v.str, out); break;
    case T::kBool: *out += v.bool_value ? "{\"boolValue\":true" : "{\"boolValue\":false"; break;
    case T::kInt: *out += "{\"intValue\":\"" + std::to_string(v.int_value) + "\""; break;
    case T::kDouble:
      if (std::isfinite(v.double_value)) {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, v.double_value);
        *out += "{\"doubleValue\":";
        out->append(buf, r.ptr);
      } else {
        *out += std::isnan(v.double_value) ? "{\"doubleValue\":\"NaN\""
                : v.double_value > 0       ? "{\"doubleValue\":\"Infinity\""
                                           : "{\"doubleValue\":\"-Infinity\"";
      }
      break;
    case T::kBytes: *out += "{\"bytesValue\":"; AppendString(v.ToString(), out); break;  // base64
    case T::kArray:
      *out += "{\"arrayValue\":{\"values\":[";
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i) out->push_back(',');
        AppendAnyValueJson(v.array[i], out);
      }
      *out += "]}";
      break;
    case T::kMap:
      *out += "{\"kvlistValue\":{\"values\":[";
      for (size_t i = 0; i < v.map.size(); ++i) {
        if (i) out->push_back(',');
        *out += "{\"key\":";
        AppendString(v.map[i].key, out);
        *out += ",\"value\":";
        AppendAnyValueJson(v.map[i].value, out);
        out->push_back('}');
      }
      *out += "]}";
      break;
    case T::kEmpty: out->push_back('{'); break;
  }
  out->push_back('}');
}

void AppendOtlpResourceSpansJson(const model::SpanBatch& trace, std::string* out) {
  *out += "\"resourceSpans\":[";
  bool first_r = true;
  for (const auto& [res_idx, scopes] : Group(trace)) {
    if (!first_r) out->push_back(',');
    first_r = false;
    *out += "{\"resource\":{";
    if (res_idx < trace.resources.size()) AppendAttributes(trace.resources[res_idx].attributes, out);
    else *out += "\"attributes\":[]";
    *out += "},\"scopeSpans\":[";
    bool first_s = true;
    for (const auto& [scope_idx, spans] : scopes) {
      if (!first_s) out->push_back(',');
      first_s = false;
      *out += "{\"scope\":{";
      if (scope_idx < trace.scopes.size()) {
        *out += "\"name\":";
        AppendString(trace.scopes[scope_idx].name, out);
        *out += ",\"version\":";
        AppendString(trace.scopes[scope_idx].version, out);
      }
      *out += "},\"spans\":[";
      for (size_t k = 0; k < spans.size(); ++k) {
        const model::Span& s = trace.spans[spans[k]];
        if (k) out->push_back(',');
        *out += "{\"traceId\":\"" + s.trace_id.ToHex() + "\",\"spanId\":\"" + s.span_id.ToHex() + "\"";
        if (!s.parent_span_id.IsZero()) *out += ",\"parentSpanId\":\"" + s.parent_span_id.ToHex() + "\"";
        if (!s.trace_state.empty()) {
          *out += ",\"traceState\":";
          AppendString(s.trace_state, out);
        }
        *out += ",\"name\":";
        AppendString(s.name, out);
        *out += ",\"kind\":" + std::to_string(static_cast<int>(s.kind));
        *out += ",\"startTimeUnixNano\":";
        AppendUintString(s.start_time_unix_nano, out);
        *out += ",\"endTimeUnixNano\":";
        AppendUintString(s.end_time_unix_nano, out);
        out->push_back(',');
        AppendAttributes(s.attributes, out);
        if (!s.events.empty()) {
          *out += ",\"events\":[";
          for (size_t e = 0; e < s.events.size(); ++e) {
            if (e) out->push_back(',');
            *out += "{\"timeUnixNano\":";
            AppendUintString(s.events[e].time_unix_nano, out);
            *out += ",\"name\":";
            AppendString(s.events[e].name, out);
            out->push_back(',');
            AppendAttributes(s.events[e].attributes, out);
            out->push_back('}');
          }
          out->push_back(']');
        }
        if (!s.links.empty()) {
          *out += ",\"links\":[";
          for (size_t l = 0; l < s.links.size(); ++l) {
            if (l) out->push_back(',');
            *out += "{\"traceId\":\"" + s.links[l].trace_id.ToHex() + "\",\"spanId\":\"" +
                    s.links[l].span_id.ToHex() + "\",";
            AppendAttributes(s.links[l].attributes, out);
            out->push_back('}');
          }
          out->push_back(']');
        }
        *out += ",\"status\":{\"code\":" + std::to_string(static_cast<int>(s.status_code));
        if (!s.status_message.empty()) {
          *out += ",\"message\":";
          AppendString(s.status_message, out);
        }
        *out += "}}";
      }
      *out += "]}";
    }
    *out += "]}";
  }
  out->push_back(']');
}

void ToOtlpTracesData(const model::SpanBatch& trace, otlp::trace::v1::TracesData* out) {
  out->Clear();
  for (const auto& [res_idx, scopes] : Group(trace)) {
    auto* rs = out->add_resource_spans();
    if (res_idx < trace.resources.size()) {
      const model::Resource& r = trace.resources[res_idx];
      ToProtoAttributes(r.attributes, rs->mutable_resource()->mutable_attributes());
      rs->mutable_resource()->set_dropped_attributes_count(r.dropped_attributes_count);
      rs->set_schema_url(r.schema_url);
    }
    for (const auto& [scope_idx, spans] : scopes) {
      auto* ss = rs->add_scope_spans();
      if (scope_idx < trace.scopes.size()) {
        const model::Scope& sc = trace.scopes[scope_idx];
        ss->mutable_scope()->set_name(sc.name);
        ss->mutable_scope()->set_version(sc.version);
        ToProtoAttributes(sc.attributes, ss->mutable_scope()->mutable_attributes());
        ss->set_schema_url(sc.schema_url);
      }
      for (uint32_t i : spans) {
        const model::Span& s = trace.spans[i];
        auto* p = ss->add_spans();
        p->set_trace_id(std::string(reinterpret_cast<const char*>(s.trace_id.bytes.data()), 16));
        p->set_span_id(SpanIdBytes(s.span_id));
        p->set_parent_span_id(SpanIdBytes(s.parent_span_id));
        p->set_trace_state(s.trace_state);
        p->set_flags(s.flags);
        p->set_name(s.name);
        p->set_kind(static_cast<otlp::trace::v1::Span_SpanKind>(s.kind));
        p->set_start_time_unix_nano(s.start_time_unix_nano);
        p->set_end_time_unix_nano(s.end_time_unix_nano);
        ToProtoAttributes(s.attributes, p->mutable_attributes());
        p->set_dropped_attributes_count(s.dropped_attributes_count);
        for (const model::Event& e : s.events) {
          auto* pe = p->add_events();
          pe->set_time_unix_nano(e.time_unix_nano);
          pe->set_name(e.name);
          ToProtoAttributes(e.attributes, pe->mutable_attributes());
          pe->set_dropped_attributes_count(e.dropped_attributes_count);
        }
        p->set_dropped_events_count(s.dropped_events_count);
        for (const model::Link& l : s.links) {
          auto* pl = p->add_links();
          pl->set_trace_id(std::string(reinterpret_cast<const char*>(l.trace_id.bytes.data()), 16));
          pl->set_span_id(SpanIdBytes(l.span_id));
          pl->set_trace_state(l.trace_state);
          ToProtoAttributes(l.attributes, pl->mutable_attributes());
          pl->set_dropped_attributes_count(l.dropped_attributes_count);
          pl->set_flags(l.flags);
        }
        p->set_dropped_links_count(s.dropped_links_count);
        p->mutable_status()->set_code(static_cast<otlp::trace::v1::Status_StatusCode>(s.status_code));
        p->mutable_status()->set_message(s.status_message);
      }
    }
  }
}

}  // namespace tracery::traceql
