#include "ingest/otlp_json.h"

#include "ingest/base64.h"
#include "ingest/json_reader.h"
#include "ingest/span_limits.h"

namespace tracery::ingest {
namespace {

namespace dom = simdjson::dom;
using json::Element;
using json::Indexed;
using json::KeyIs;
using json::Within;
using model::AnyValue;

class OtlpJsonDecoder {
 public:
  explicit OtlpJsonDecoder(const IngestLimits& limits) : limits_(limits) {}

  Result<DecodeResult> Decode(const Element& root) {
    dom::object top;
    if (root.get_object().get(top) != simdjson::SUCCESS) {
      return json::WrongType("body", "a JSON object (ExportTraceServiceRequest)", root);
    }
    DecodeResult result;
    for (auto field : top) {
      if (!KeyIs(field.key, "resourceSpans", "resource_spans") || field.value.is_null()) continue;
      dom::array resource_spans;
      TRACERY_RETURN_IF_ERROR(json::ReadArray(field.value, "resourceSpans", &resource_spans));
      size_t r = 0;
      for (Element rs : resource_spans) {
        TRACERY_RETURN_IF_ERROR(Within(Indexed("resourceSpans", r), ResourceSpans(rs, r, &result)));
        ++r;
      }
    }
    return result;
  }

 private:
  Status ResourceSpans(const Element& e, size_t r, DecodeResult* result) {
    dom::object obj;
    TRACERY_RETURN_IF_ERROR(json::ReadObject(e, "", &obj));
    model::SpanBatch& batch = result->batch;
    batch.resources.emplace_back();
    const uint32_t resource_index = static_cast<uint32_t>(batch.resources.size() - 1);
    // Scope spans may come before "resource" in the object; collect them and
    // convert once the resource is known to exist (its index is fixed above).
    for (auto f : obj) {
      if (f.value.is_null()) continue;
      model::Resource& resource = batch.resources[resource_index];
      if (f.key == "resource") {
        TRACERY_RETURN_IF_ERROR(Within("resource", Resource(f.value, &resource)));
      } else if (KeyIs(f.key, "schemaUrl", "schema_url")) {
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "schemaUrl", &resource.schema_url));
      } else if (KeyIs(f.key, "scopeSpans", "scope_spans")) {
        dom::array arr;
        TRACERY_RETURN_IF_ERROR(json::ReadArray(f.value, "scopeSpans", &arr));
        size_t s = 0;
        for (Element ss : arr) {
          TRACERY_RETURN_IF_ERROR(Within(Indexed("scopeSpans", s), ScopeSpans(ss, r, s, resource_index, result)));
          ++s;
        }
      }
    }
    ApplyResourceLimits(limits_, &batch.resources[resource_index]);
    return Status::Ok();
  }

  Status Resource(const Element& e, model::Resource* out) {
    dom::object obj;
    TRACERY_RETURN_IF_ERROR(json::ReadObject(e, "", &obj));
    for (auto f : obj) {
      if (f.value.is_null()) continue;
      if (f.key == "attributes") {
        TRACERY_RETURN_IF_ERROR(Attributes(f.value, &out->attributes));
      } else if (KeyIs(f.key, "droppedAttributesCount", "dropped_attributes_count")) {
        TRACERY_RETURN_IF_ERROR(json::ReadUint32(f.value, "droppedAttributesCount", &out->dropped_attributes_count));
      }
    }
    return Status::Ok();
  }

  Status ScopeSpans(const Element& e, size_t r, size_t s, uint32_t resource_index, DecodeResult* result) {
    dom::object obj;
    TRACERY_RETURN_IF_ERROR(json::ReadObject(e, "", &obj));
    model::SpanBatch& batch = result->batch;
    batch.scopes.emplace_back();
    const uint32_t scope_index = static_cast<uint32_t>(batch.scopes.size() - 1);
    for (auto f : obj) {
      if (f.value.is_null()) continue;
      model::Scope& scope = batch.scopes[scope_index];
      if (f.key == "scope") {
        TRACERY_RETURN_IF_ERROR(Within("scope", Scope(f.value, &scope)));
      } else if (KeyIs(f.key, "schemaUrl", "schema_url")) {
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "schemaUrl", &scope.schema_url));
      } else if (f.key == "spans") {
        dom::array arr;
        TRACERY_RETURN_IF_ERROR(json::ReadArray(f.value, "spans", &arr));
        batch.spans.reserve(batch.spans.size() + arr.size());
        size_t i = 0;
        for (Element span : arr) {
          std::string why;
          model::Span& out = batch.spans.emplace_back();
          Status st = Span(span, &out, &why);
          if (!st.ok()) return Within(Indexed("spans", i), std::move(st));
          if (!why.empty()) {
            batch.spans.pop_back();
            result->Reject(Indexed("resourceSpans", r) + "." + Indexed("scopeSpans", s) + "." +
                           Indexed("spans", i) + ": " + why);
          } else {
            out.resource_index = resource_index;
            out.scope_index = scope_index;
            ApplySpanLimits(limits_, &out);
          }
          ++i;
        }
      }
    }
    ApplyScopeLimits(limits_, &batch.scopes[scope_index]);
    return Status::Ok();
  }

  Status Scope(const Element& e, model::Scope* out) {
    dom::object obj;
    TRACERY_RETURN_IF_ERROR(json::ReadObject(e, "", &obj));
    for (auto f : obj) {
      if (f.value.is_null()) continue;
      if (f.key == "name") {
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "name", &out->name));
      } else if (f.key == "version") {
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "version", &out->version));
      } else if (f.key == "attributes") {
        TRACERY_RETURN_IF_ERROR(Attributes(f.value, &out->attributes));
      } else if (KeyIs(f.key, "droppedAttributesCount", "dropped_attributes_count")) {
        TRACERY_RETURN_IF_ERROR(json::ReadUint32(f.value, "droppedAttributesCount", &out->dropped_attributes_count));
      }
    }
    return Status::Ok();
  }

  // Parses one span into `out`. A hard error (wrong type...) is returned; a
  // reason to reject only this span (bad ids) is put in `why`.
  Status Span(const Element& e, model::Span* out, std::string* why) {
    dom::object obj;
    TRACERY_RETURN_IF_ERROR(json::ReadObject(e, "", &obj));
    std::string_view trace_id, span_id, parent_span_id;
    for (auto f : obj) {
      if (f.value.is_null()) continue;
      std::string_view k = f.key;
      if (KeyIs(k, "traceId", "trace_id")) {
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "traceId", &trace_id));
      } else if (KeyIs(k, "spanId", "span_id")) {
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "spanId", &span_id));
      } else if (KeyIs(k, "parentSpanId", "parent_span_id")) {
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "parentSpanId", &parent_span_id));
      } else if (k == "name") {
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "name", &out->name));
      } else if (k == "kind") {
        TRACERY_RETURN_IF_ERROR(Kind(f.value, &out->kind));
      } else if (KeyIs(k, "startTimeUnixNano", "start_time_unix_nano")) {
        TRACERY_RETURN_IF_ERROR(json::ReadUint64(f.value, "startTimeUnixNano", &out->start_time_unix_nano));
      } else if (KeyIs(k, "endTimeUnixNano", "end_time_unix_nano")) {
        TRACERY_RETURN_IF_ERROR(json::ReadUint64(f.value, "endTimeUnixNano", &out->end_time_unix_nano));
      } else if (k == "attributes") {
        TRACERY_RETURN_IF_ERROR(Attributes(f.value, &out->attributes));
      } else if (KeyIs(k, "droppedAttributesCount", "dropped_attributes_count")) {
        TRACERY_RETURN_IF_ERROR(json::ReadUint32(f.value, "droppedAttributesCount", &out->dropped_attributes_count));
      } else if (KeyIs(k, "traceState", "trace_state")) {
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "traceState", &out->trace_state));
      } else if (k == "flags") {
        TRACERY_RETURN_IF_ERROR(json::ReadUint32(f.value, "flags", &out->flags));
      } else if (k == "events") {
        TRACERY_RETURN_IF_ERROR(Events(f.value, out));
      } else if (KeyIs(k, "droppedEventsCount", "dropped_events_count")) {
        TRACERY_RETURN_IF_ERROR(json::ReadUint32(f.value, "droppedEventsCount", &out->dropped_events_count));
      } else if (k == "links") {
        TRACERY_RETURN_IF_ERROR(Links(f.value, out));
      } else if (KeyIs(k, "droppedLinksCount", "dropped_links_count")) {
        TRACERY_RETURN_IF_ERROR(json::ReadUint32(f.value, "droppedLinksCount", &out->dropped_links_count));
      } else if (k == "status") {
        TRACERY_RETURN_IF_ERROR(Within("status", SpanStatus(f.value, out)));
      }
    }
    if (!ParseTraceId(trace_id, "traceId", &out->trace_id, why)) return Status::Ok();
    if (!ParseSpanId(span_id, "spanId", &out->span_id, why)) return Status::Ok();
    if (!parent_span_id.empty()) ParseSpanId(parent_span_id, "parentSpanId", &out->parent_span_id, why, true);
    return Status::Ok();
  }

  static bool ParseTraceId(std::string_view hex, std::string_view field, model::TraceId* out, std::string* why) {
    if (hex.size() != 32) {
      *why = std::string(field) + " must be 32 hex digits, got " + std::to_string(hex.size());
      return false;
    }
    auto id = model::TraceId::FromHex(hex);
    if (!id) {
      *why = std::string(field) + " is not hex: " + json::Quote(hex);
      return false;
    }
    if (id->IsZero()) {
      *why = std::string(field) + " is all zeros";
      return false;
    }
    *out = *id;
    return true;
  }

  static bool ParseSpanId(std::string_view hex, std::string_view field, model::SpanId* out, std::string* why,
                          bool zero_ok = false) {
    if (hex.size() != 16) {
      *why = std::string(field) + " must be 16 hex digits, got " + std::to_string(hex.size());
      return false;
    }
    auto id = model::SpanId::FromHex(hex);
    if (!id) {
      *why = std::string(field) + " is not hex: " + json::Quote(hex);
      return false;
    }
    if (id->IsZero() && !zero_ok) {
      *why = std::string(field) + " is all zeros";
      return false;
    }
    *out = *id;
    return true;
  }

  static Status Kind(const Element& e, model::SpanKind* out) {
    std::string_view name;
    if (e.get_string().get(name) == simdjson::SUCCESS) {
      static constexpr std::string_view kNames[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                                    "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                                    "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
      for (size_t i = 0; i < std::size(kNames); ++i) {
        if (name == kNames[i]) {
          *out = static_cast<model::SpanKind>(i);
          return Status::Ok();
        }
      }
      return Status::InvalidArgument("kind: unknown span kind " + json::Quote(name) +
                                     " (expected SPAN_KIND_INTERNAL, _SERVER, _CLIENT, _PRODUCER, _CONSUMER or 0-5)");
    }
    int64_t v = 0;
    TRACERY_RETURN_IF_ERROR(json::ReadInt64(e, "kind", &v));
    *out = v >= 0 && v <= 5 ? static_cast<model::SpanKind>(v) : model::SpanKind::kUnspecified;
    return Status::Ok();
  }

  static Status SpanStatus(const Element& e, model::Span* out) {
    dom::object obj;
    TRACERY_RETURN_IF_ERROR(json::ReadObject(e, "", &obj));
    for (auto f : obj) {
      if (f.value.is_null()) continue;
      if (f.key == "message") {
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "message", &out->status_message));
      } else if (f.key == "code") {
        std::string_view name;
        if (f.value.get_string().get(name) == simdjson::SUCCESS) {
          if (name == "STATUS_CODE_UNSET") {
            out->status_code = model::StatusCode::kUnset;
          } else if (name == "STATUS_CODE_OK") {
            out->status_code = model::StatusCode::kOk;
          } else if (name == "STATUS_CODE_ERROR") {
            out->status_code = model::StatusCode::kError;
          } else {
            return Status::InvalidArgument("code: unknown status code " + json::Quote(name) +
                                           " (expected STATUS_CODE_UNSET, _OK, _ERROR or 0-2)");
          }
        } else {
          int64_t v = 0;
          TRACERY_RETURN_IF_ERROR(json::ReadInt64(f.value, "code", &v));
          out->status_code = v >= 0 && v <= 2 ? static_cast<model::StatusCode>(v) : model::StatusCode::kUnset;
        }
      }
    }
    return Status::Ok();
  }

  Status Events(const Element& e, model::Span* out) {
    dom::array arr;
    TRACERY_RETURN_IF_ERROR(json::ReadArray(e, "events", &arr));
    out->events.reserve(arr.size());
    size_t i = 0;
    for (Element ev : arr) {
      dom::object obj;
      TRACERY_RETURN_IF_ERROR(Within(Indexed("events", i), json::ReadObject(ev, "", &obj)));
      model::Event& oe = out->events.emplace_back();
      for (auto f : obj) {
        if (f.value.is_null()) continue;
        Status st;
        if (KeyIs(f.key, "timeUnixNano", "time_unix_nano")) {
          st = json::ReadUint64(f.value, "timeUnixNano", &oe.time_unix_nano);
        } else if (f.key == "name") {
          st = json::ReadString(f.value, "name", &oe.name);
        } else if (f.key == "attributes") {
          st = Attributes(f.value, &oe.attributes);
        } else if (KeyIs(f.key, "droppedAttributesCount", "dropped_attributes_count")) {
          st = json::ReadUint32(f.value, "droppedAttributesCount", &oe.dropped_attributes_count);
        }
        TRACERY_RETURN_IF_ERROR(Within(Indexed("events", i), std::move(st)));
      }
      ++i;
    }
    return Status::Ok();
  }

  Status Links(const Element& e, model::Span* out) {
    dom::array arr;
    TRACERY_RETURN_IF_ERROR(json::ReadArray(e, "links", &arr));
    out->links.reserve(arr.size());
    size_t i = 0;
    for (Element el : arr) {
      dom::object obj;
      TRACERY_RETURN_IF_ERROR(Within(Indexed("links", i), json::ReadObject(el, "", &obj)));
      model::Link& ol = out->links.emplace_back();
      std::string_view trace_id, span_id;
      for (auto f : obj) {
        if (f.value.is_null()) continue;
        Status st;
        if (KeyIs(f.key, "traceId", "trace_id")) {
          st = json::ReadString(f.value, "traceId", &trace_id);
        } else if (KeyIs(f.key, "spanId", "span_id")) {
          st = json::ReadString(f.value, "spanId", &span_id);
        } else if (KeyIs(f.key, "traceState", "trace_state")) {
          st = json::ReadString(f.value, "traceState", &ol.trace_state);
        } else if (f.key == "attributes") {
          st = Attributes(f.value, &ol.attributes);
        } else if (KeyIs(f.key, "droppedAttributesCount", "dropped_attributes_count")) {
          st = json::ReadUint32(f.value, "droppedAttributesCount", &ol.dropped_attributes_count);
        } else if (f.key == "flags") {
          st = json::ReadUint32(f.value, "flags", &ol.flags);
        }
        TRACERY_RETURN_IF_ERROR(Within(Indexed("links", i), std::move(st)));
      }
      std::string why;
      // A link that points nowhere is worthless; drop it rather than the span.
      if (!ParseTraceId(trace_id, "traceId", &ol.trace_id, &why) ||
          !ParseSpanId(span_id, "spanId", &ol.span_id, &why)) {
        out->links.pop_back();
        ++out->dropped_links_count;
      }
      ++i;
    }
    return Status::Ok();
  }

  Status Attributes(const Element& e, model::Attributes* out) {
    dom::array arr;
    TRACERY_RETURN_IF_ERROR(json::ReadArray(e, "attributes", &arr));
    out->reserve(out->size() + arr.size());
    size_t i = 0;
    for (Element kv : arr) {
      Status st = KeyValue(kv, 1, &out->emplace_back());
      if (!st.ok()) return Within(Indexed("attributes", i), std::move(st));
      ++i;
    }
    return Status::Ok();
  }

  Status KeyValue(const Element& e, size_t depth, model::KeyValue* out) {
    dom::object obj;
    TRACERY_RETURN_IF_ERROR(json::ReadObject(e, "", &obj));
    for (auto f : obj) {
      if (f.value.is_null()) continue;
      if (f.key == "key") {
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "key", &out->key));
      } else if (f.key == "value") {
        TRACERY_RETURN_IF_ERROR(Value(f.value, depth, &out->value));
      }
    }
    return Status::Ok();
  }

  Status Value(const Element& e, size_t depth, AnyValue* out) {
    if (depth > limits_.max_value_depth) {
      return Status::InvalidArgument("value: nests deeper than the limit of " +
                                     std::to_string(limits_.max_value_depth) + " levels");
    }
    dom::object obj;
    TRACERY_RETURN_IF_ERROR(json::ReadObject(e, "", &obj));
    for (auto f : obj) {
      if (f.value.is_null()) continue;
      std::string_view k = f.key;
      if (KeyIs(k, "stringValue", "string_value")) {
        out->type = AnyValue::Type::kString;
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "stringValue", &out->str));
      } else if (KeyIs(k, "intValue", "int_value")) {
        out->type = AnyValue::Type::kInt;
        TRACERY_RETURN_IF_ERROR(json::ReadInt64(f.value, "intValue", &out->int_value));
      } else if (KeyIs(k, "boolValue", "bool_value")) {
        out->type = AnyValue::Type::kBool;
        TRACERY_RETURN_IF_ERROR(json::ReadBool(f.value, "boolValue", &out->bool_value));
      } else if (KeyIs(k, "doubleValue", "double_value")) {
        out->type = AnyValue::Type::kDouble;
        TRACERY_RETURN_IF_ERROR(json::ReadDouble(f.value, "doubleValue", &out->double_value));
      } else if (KeyIs(k, "bytesValue", "bytes_value")) {
        std::string_view text;
        TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "bytesValue", &text));
        auto raw = Base64Decode(text);
        if (!raw) return Status::InvalidArgument("bytesValue: " + json::Quote(text) + " is not base64");
        out->type = AnyValue::Type::kBytes;
        out->str = std::move(*raw);
      } else if (KeyIs(k, "arrayValue", "array_value")) {
        out->type = AnyValue::Type::kArray;
        TRACERY_RETURN_IF_ERROR(Within("arrayValue", ArrayValue(f.value, depth, out)));
      } else if (KeyIs(k, "kvlistValue", "kvlist_value")) {
        out->type = AnyValue::Type::kMap;
        TRACERY_RETURN_IF_ERROR(Within("kvlistValue", KvlistValue(f.value, depth, out)));
      }
    }
    return Status::Ok();
  }

  // ArrayValue and KeyValueList share one shape, {"values": [...]}: each
  // element is decoded by `decode_one` (Value or KeyValue) into `items`.
  template <typename Item, typename DecodeOne>
  Status ValuesWrapper(const Element& e, std::vector<Item>* items, DecodeOne decode_one) {
    dom::object obj;
    TRACERY_RETURN_IF_ERROR(json::ReadObject(e, "", &obj));
    for (auto f : obj) {
      if (f.key != "values" || f.value.is_null()) continue;
      dom::array arr;
      TRACERY_RETURN_IF_ERROR(json::ReadArray(f.value, "values", &arr));
      items->reserve(arr.size());
      size_t i = 0;
      for (Element v : arr) {
        Status st = decode_one(v, &items->emplace_back());
        if (!st.ok()) return Within(Indexed("values", i), std::move(st));
        ++i;
      }
    }
    return Status::Ok();
  }

  Status ArrayValue(const Element& e, size_t depth, AnyValue* out) {
    return ValuesWrapper(e, &out->array, [&](const Element& v, AnyValue* item) { return Value(v, depth + 1, item); });
  }

  Status KvlistValue(const Element& e, size_t depth, AnyValue* out) {
    return ValuesWrapper(e, &out->map, [&](const Element& v, auto* item) { return KeyValue(v, depth + 1, item); });
  }

  const IngestLimits& limits_;
};

}  // namespace

Result<DecodeResult> DecodeOtlpJson(std::string_view body, const IngestLimits& limits) {
  thread_local dom::parser parser;
  Element root;
  auto error = parser.parse(body.data(), body.size(), /*realloc_if_needed=*/true).get(root);
  if (error != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("body is not valid JSON: ") + simdjson::error_message(error));
  }
  return OtlpJsonDecoder(limits).Decode(root);
}

}  // namespace tracery::ingest
