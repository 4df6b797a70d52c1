#include "ingest/zipkin_json.h"

#include "ingest/json_reader.h"
#include "ingest/zipkin_batch_builder.h"

namespace tracery::ingest {
namespace {

namespace dom = simdjson::dom;
using json::Element;
using json::Indexed;
using json::Within;

Status ReadEndpoint(const Element& e, ZipkinEndpoint* out) {
  dom::object obj;
  TRACERY_RETURN_IF_ERROR(json::ReadObject(e, "", &obj));
  for (auto f : obj) {
    if (f.value.is_null()) continue;
    if (f.key == "serviceName") {
      TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "serviceName", &out->service_name));
    } else if (f.key == "ipv4") {
      TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "ipv4", &out->ipv4));
    } else if (f.key == "ipv6") {
      TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "ipv6", &out->ipv6));
    } else if (f.key == "port") {
      int64_t port = 0;
      TRACERY_RETURN_IF_ERROR(json::ReadInt64(f.value, "port", &port));
      if (port < 0 || port > 65535) {
        return Status::InvalidArgument("port: " + std::to_string(port) + " is not a port number (0-65535)");
      }
      out->port = static_cast<int32_t>(port);
    }
  }
  return Status::Ok();
}

Status ReadKind(const Element& e, model::SpanKind* out) {
  std::string_view kind;
  TRACERY_RETURN_IF_ERROR(json::ReadString(e, "kind", &kind));
  if (kind == "CLIENT") {
    *out = model::SpanKind::kClient;
  } else if (kind == "SERVER") {
    *out = model::SpanKind::kServer;
  } else if (kind == "PRODUCER") {
    *out = model::SpanKind::kProducer;
  } else if (kind == "CONSUMER") {
    *out = model::SpanKind::kConsumer;
  } else {
    return Status::InvalidArgument("kind: unknown span kind " + json::Quote(kind) +
                                   " (expected CLIENT, SERVER, PRODUCER or CONSUMER)");
  }
  return Status::Ok();
}

// Where the fields of one Zipkin span are, before ids are validated (fields
// come in any order, and the resource depends on localEndpoint).
struct RawSpan {
  std::string_view trace_id, id, parent_id;
  Element local_endpoint, remote_endpoint, annotations, tags, kind;
  bool has_local = false, has_remote = false, has_annotations = false, has_tags = false, has_kind = false;
  std::string_view name;
  uint64_t timestamp_us = 0, duration_us = 0;
  bool debug = false, shared = false;
};

Status ScanSpan(const Element& e, RawSpan* raw) {
  dom::object obj;
  TRACERY_RETURN_IF_ERROR(json::ReadObject(e, "", &obj));
  for (auto f : obj) {
    if (f.value.is_null()) continue;
    std::string_view k = f.key;
    if (k == "traceId") {
      TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "traceId", &raw->trace_id));
    } else if (k == "id") {
      TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "id", &raw->id));
    } else if (k == "parentId") {
      TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "parentId", &raw->parent_id));
    } else if (k == "name") {
      TRACERY_RETURN_IF_ERROR(json::ReadString(f.value, "name", &raw->name));
    } else if (k == "kind") {
      raw->kind = f.value;
      raw->has_kind = true;
    } else if (k == "timestamp") {
      TRACERY_RETURN_IF_ERROR(json::ReadUint64(f.value, "timestamp", &raw->timestamp_us));
    } else if (k == "duration") {
      TRACERY_RETURN_IF_ERROR(json::ReadUint64(f.value, "duration", &raw->duration_us));
    } else if (k == "localEndpoint") {
      raw->local_endpoint = f.value;
      raw->has_local = true;
    } else if (k == "remoteEndpoint") {
      raw->remote_endpoint = f.value;
      raw->has_remote = true;
    } else if (k == "annotations") {
      raw->annotations = f.value;
      raw->has_annotations = true;
    } else if (k == "tags") {
      raw->tags = f.value;
      raw->has_tags = true;
    } else if (k == "debug") {
      TRACERY_RETURN_IF_ERROR(json::ReadBool(f.value, "debug", &raw->debug));
    } else if (k == "shared") {
      TRACERY_RETURN_IF_ERROR(json::ReadBool(f.value, "shared", &raw->shared));
    }
  }
  return Status::Ok();
}

// Checks the ids; false with `why` for a span to reject.
bool ParseIds(const RawSpan& raw, model::Span* span, std::string* why) {
  if (raw.trace_id.empty() || raw.trace_id.size() > 32) {
    *why = "traceId must be 16 or 32 hex digits, got " + std::to_string(raw.trace_id.size());
    return false;
  }
  auto trace_id = model::TraceId::FromHex(raw.trace_id);
  if (!trace_id) {
    *why = "traceId is not hex: " + json::Quote(raw.trace_id);
    return false;
  }
  if (trace_id->IsZero()) {
    *why = "traceId is all zeros";
    return false;
  }
  if (raw.id.empty() || raw.id.size() > 16) {
    *why = "id must be 16 hex digits, got " + std::to_string(raw.id.size());
    return false;
  }
  auto id = model::SpanId::FromHex(raw.id);
  if (!id || id->IsZero()) {
    *why = id ? "id is all zeros" : "id is not hex: " + json::Quote(raw.id);
    return false;
  }
  if (!raw.parent_id.empty()) {
    auto parent = raw.parent_id.size() <= 16 ? model::SpanId::FromHex(raw.parent_id) : std::nullopt;
    if (!parent) {
      *why = "parentId must be 16 hex digits, got " + json::Quote(raw.parent_id);
      return false;
    }
    span->parent_span_id = *parent;  // all zeros means root, as in Zipkin
  }
  span->trace_id = *trace_id;
  span->span_id = *id;
  return true;
}

Status ReadTags(const Element& e, model::Span* span) {
  dom::object obj;
  TRACERY_RETURN_IF_ERROR(json::ReadObject(e, "", &obj));
  span->attributes.reserve(span->attributes.size() + obj.size());
  for (auto f : obj) {
    std::string value;
    std::string_view s;
    switch (f.value.type()) {
      case dom::element_type::STRING:
        s = f.value.get_string().value_unsafe();
        value.assign(s.data(), s.size());
        break;
      case dom::element_type::INT64:
      case dom::element_type::UINT64:
      case dom::element_type::DOUBLE:
      case dom::element_type::BOOL:
        value = simdjson::minify(f.value);
        break;
      case dom::element_type::NULL_VALUE:
        continue;
      default:
        return json::WrongType(f.key, "a string", f.value);
    }
    ZipkinBatchBuilder::AddTag(std::string(f.key), std::move(value), span);
  }
  return Status::Ok();
}

// Fills the started span from everything but the ids. A hard error is
// returned; a reason to reject only this span goes to `why`.
Status FillSpan(const RawSpan& raw, model::Span* span, std::string* why) {
  span->name.assign(raw.name.data(), raw.name.size());
  if (raw.has_kind) TRACERY_RETURN_IF_ERROR(ReadKind(raw.kind, &span->kind));
  if (!ZipkinBatchBuilder::SetTimes(raw.timestamp_us, raw.duration_us, span, why)) return Status::Ok();
  if (raw.has_remote) {
    ZipkinEndpoint remote;
    TRACERY_RETURN_IF_ERROR(Within("remoteEndpoint", ReadEndpoint(raw.remote_endpoint, &remote)));
    ZipkinBatchBuilder::SetRemoteEndpoint(remote, span);
  }
  if (raw.has_tags) TRACERY_RETURN_IF_ERROR(Within("tags", ReadTags(raw.tags, span)));
  ZipkinBatchBuilder::SetFlags(raw.debug, raw.shared, span);
  if (raw.has_annotations) {
    dom::array arr;
    TRACERY_RETURN_IF_ERROR(json::ReadArray(raw.annotations, "annotations", &arr));
    span->events.reserve(arr.size());
    size_t i = 0;
    for (Element a : arr) {
      dom::object obj;
      TRACERY_RETURN_IF_ERROR(Within(Indexed("annotations", i), json::ReadObject(a, "", &obj)));
      uint64_t ts = 0;
      std::string value;
      for (auto f : obj) {
        Status st;
        if (f.key == "timestamp") {
          st = json::ReadUint64(f.value, "timestamp", &ts);
        } else if (f.key == "value") {
          st = json::ReadString(f.value, "value", &value);
        }
        TRACERY_RETURN_IF_ERROR(Within(Indexed("annotations", i), std::move(st)));
      }
      if (!ZipkinBatchBuilder::AddAnnotation(ts, std::move(value), span, why)) return Status::Ok();
      ++i;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<DecodeResult> DecodeZipkinJson(std::string_view body, const IngestLimits& limits) {
  thread_local dom::parser parser;
  Element root;
  auto error = parser.parse(body.data(), body.size(), /*realloc_if_needed=*/true).get(root);
  if (error != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("body is not valid JSON: ") + simdjson::error_message(error));
  }
  dom::array spans;
  if (root.get_array().get(spans) != simdjson::SUCCESS) {
    return json::WrongType("body", "a JSON array of Zipkin v2 spans", root);
  }
  ZipkinBatchBuilder builder(limits, spans.size());
  size_t i = 0;
  for (Element e : spans) {
    RawSpan raw;
    TRACERY_RETURN_IF_ERROR(Within(Indexed("spans", i), ScanSpan(e, &raw)));
    ZipkinEndpoint local;
    if (raw.has_local) {
      TRACERY_RETURN_IF_ERROR(
          Within(Indexed("spans", i) + ".localEndpoint", ReadEndpoint(raw.local_endpoint, &local)));
    }
    model::Span* span = builder.StartSpan(local);
    std::string why;
    if (ParseIds(raw, span, &why)) {
      TRACERY_RETURN_IF_ERROR(Within(Indexed("spans", i), FillSpan(raw, span, &why)));
    }
    if (why.empty()) {
      builder.FinishSpan();
    } else {
      builder.RejectSpan(Indexed("spans", i) + ": " + why);
    }
    ++i;
  }
  return std::move(builder).Finish();
}

}  // namespace tracery::ingest
