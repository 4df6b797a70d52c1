#include "ingest/otlp_protobuf.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "ingest/span_limits.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace tracery::ingest {
namespace {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_trace = opentelemetry::proto::trace::v1;
namespace pb_resource = opentelemetry::proto::resource::v1;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using model::AnyValue;

// Strings are moved out of a request Tracery owns (DecodeOtlpProtobuf) and
// copied from one the caller owns (ConvertOtlp). Moving out of the parsed
// message is safe because nothing reads it afterwards and its strings are not
// const objects (the generated accessors only hand out const references).
template <bool kMove>
std::string Take(const std::string& s) {
  if constexpr (kMove) {
    return std::move(const_cast<std::string&>(s));
  } else {
    return s;
  }
}

template <bool kMove>
class Converter {
 public:
  explicit Converter(const IngestLimits& limits) : limits_(limits) {}

  Result<DecodeResult> Convert(const ExportTraceServiceRequest& req) {
    DecodeResult result;
    model::SpanBatch& batch = result.batch;
    size_t span_count = 0, scope_count = 0;
    for (const auto& rs : req.resource_spans()) {
      scope_count += rs.scope_spans_size();
      for (const auto& ss : rs.scope_spans()) span_count += ss.spans_size();
    }
    batch.resources.reserve(req.resource_spans_size());
    batch.scopes.reserve(scope_count);
    batch.spans.reserve(span_count);

    for (int r = 0; r < req.resource_spans_size(); ++r) {
      const pb_trace::ResourceSpans& rs = req.resource_spans(r);
      model::Resource& resource = batch.resources.emplace_back();
      const uint32_t resource_index = static_cast<uint32_t>(batch.resources.size() - 1);
      TRACERY_RETURN_IF_ERROR(Where(ConvertAttributes(rs.resource().attributes(), &resource.attributes),
                                    r, -1, -1, "resource."));
      resource.dropped_attributes_count = rs.resource().dropped_attributes_count();
      resource.schema_url = Take<kMove>(rs.schema_url());
      ApplyResourceLimits(limits_, &resource);

      for (int s = 0; s < rs.scope_spans_size(); ++s) {
        const pb_trace::ScopeSpans& ss = rs.scope_spans(s);
        model::Scope& scope = batch.scopes.emplace_back();
        const uint32_t scope_index = static_cast<uint32_t>(batch.scopes.size() - 1);
        scope.name = Take<kMove>(ss.scope().name());
        scope.version = Take<kMove>(ss.scope().version());
        TRACERY_RETURN_IF_ERROR(
            Where(ConvertAttributes(ss.scope().attributes(), &scope.attributes), r, s, -1, "scope."));
        scope.dropped_attributes_count = ss.scope().dropped_attributes_count();
        scope.schema_url = Take<kMove>(ss.schema_url());
        ApplyScopeLimits(limits_, &scope);

        for (int i = 0; i < ss.spans_size(); ++i) {
          const pb_trace::Span& in = ss.spans(i);
          std::string why;
          if (!CheckIds(in, &why)) {
            result.Reject(Path(r, s, i) + ": " + why);
            continue;
          }
          model::Span& out = batch.spans.emplace_back();
          TRACERY_RETURN_IF_ERROR(Where(ConvertSpan(in, &out), r, s, i, ""));
          out.resource_index = resource_index;
          out.scope_index = scope_index;
          ApplySpanLimits(limits_, &out);
        }
      }
    }
    return result;
  }

 private:
  static std::string Path(int r, int s, int i) {
    std::string p = "resource_spans[" + std::to_string(r) + "]";
    if (s >= 0) p += ".scope_spans[" + std::to_string(s) + "]";
    if (i >= 0) p += ".spans[" + std::to_string(i) + "]";
    return p;
  }
  static Status Where(Status st, int r, int s, int i, std::string_view field) {
    if (st.ok()) return st;
    return Status(st.code(), Path(r, s, i) + "." + std::string(field) + st.message());
  }

  static bool CheckIds(const pb_trace::Span& in, std::string* why) {
    const std::string& t = in.trace_id();
    if (t.size() != 16) {
      *why = "trace_id must be 16 bytes, got " + std::to_string(t.size());
      return false;
    }
    if (t.find_first_not_of('\0') == std::string::npos) {
      *why = "trace_id is all zeros";
      return false;
    }
    const std::string& sp = in.span_id();
    if (sp.size() != 8) {
      *why = "span_id must be 8 bytes, got " + std::to_string(sp.size());
      return false;
    }
    if (sp.find_first_not_of('\0') == std::string::npos) {
      *why = "span_id is all zeros";
      return false;
    }
    const std::string& p = in.parent_span_id();
    if (!p.empty() && p.size() != 8) {
      *why = "parent_span_id must be empty or 8 bytes, got " + std::to_string(p.size());
      return false;
    }
    return true;
  }

  Status ConvertSpan(const pb_trace::Span& in, model::Span* out) {
    out->trace_id = *model::TraceId::FromBytes(in.trace_id());
    out->span_id = *model::SpanId::FromBytes(in.span_id());
    if (!in.parent_span_id().empty()) out->parent_span_id = *model::SpanId::FromBytes(in.parent_span_id());
    out->trace_state = Take<kMove>(in.trace_state());
    out->flags = in.flags();
    out->name = Take<kMove>(in.name());
    int kind = in.kind();
    out->kind = kind >= 0 && kind <= 5 ? static_cast<model::SpanKind>(kind) : model::SpanKind::kUnspecified;
    out->start_time_unix_nano = in.start_time_unix_nano();
    out->end_time_unix_nano = in.end_time_unix_nano();
    TRACERY_RETURN_IF_ERROR(ConvertAttributes(in.attributes(), &out->attributes));
    out->dropped_attributes_count = in.dropped_attributes_count();

    out->events.reserve(in.events_size());
    for (int e = 0; e < in.events_size(); ++e) {
      const pb_trace::Span::Event& ie = in.events(e);
      model::Event& oe = out->events.emplace_back();
      oe.time_unix_nano = ie.time_unix_nano();
      oe.name = Take<kMove>(ie.name());
      Status st = ConvertAttributes(ie.attributes(), &oe.attributes);
      if (!st.ok()) return Status(st.code(), "events[" + std::to_string(e) + "]." + st.message());
      oe.dropped_attributes_count = ie.dropped_attributes_count();
    }
    out->dropped_events_count = in.dropped_events_count();

    out->links.reserve(in.links_size());
    out->dropped_links_count = in.dropped_links_count();
    for (int l = 0; l < in.links_size(); ++l) {
      const pb_trace::Span::Link& il = in.links(l);
      auto trace_id = model::TraceId::FromBytes(il.trace_id());
      auto span_id = model::SpanId::FromBytes(il.span_id());
      // A link that points nowhere is worthless; drop it rather than the span.
      if (!trace_id || trace_id->IsZero() || !span_id || span_id->IsZero()) {
        ++out->dropped_links_count;
        continue;
      }
      model::Link& ol = out->links.emplace_back();
      ol.trace_id = *trace_id;
      ol.span_id = *span_id;
      ol.trace_state = Take<kMove>(il.trace_state());
      Status st = ConvertAttributes(il.attributes(), &ol.attributes);
      if (!st.ok()) return Status(st.code(), "links[" + std::to_string(l) + "]." + st.message());
      ol.dropped_attributes_count = il.dropped_attributes_count();
      ol.flags = il.flags();
    }

    int code = in.status().code();
    out->status_code = code >= 0 && code <= 2 ? static_cast<model::StatusCode>(code) : model::StatusCode::kUnset;
    out->status_message = Take<kMove>(in.status().message());
    return Status::Ok();
  }

  Status ConvertAttributes(const google::protobuf::RepeatedPtrField<pb_common::KeyValue>& in,
                           model::Attributes* out) {
    out->resize(in.size());
    for (int i = 0; i < in.size(); ++i) {
      model::KeyValue& kv = (*out)[i];
      kv.key = Take<kMove>(in[i].key());
      Status st = ConvertValue(in[i].value(), 1, &kv.value);
      if (!st.ok()) {
        return Status(st.code(), "attributes[" + std::to_string(i) + "] (\"" + kv.key + "\"): " + st.message());
      }
    }
    return Status::Ok();
  }

  Status ConvertValue(const pb_common::AnyValue& in, size_t depth, AnyValue* out) {
    if (depth > limits_.max_value_depth) {
      return Status::InvalidArgument("value nests deeper than the limit of " +
                                     std::to_string(limits_.max_value_depth) + " levels");
    }
    switch (in.value_case()) {
      case pb_common::AnyValue::kStringValue:
        out->type = AnyValue::Type::kString;
        out->str = Take<kMove>(in.string_value());
        break;
      case pb_common::AnyValue::kBoolValue:
        out->type = AnyValue::Type::kBool;
        out->bool_value = in.bool_value();
        break;
      case pb_common::AnyValue::kIntValue:
        out->type = AnyValue::Type::kInt;
        out->int_value = in.int_value();
        break;
      case pb_common::AnyValue::kDoubleValue:
        out->type = AnyValue::Type::kDouble;
        out->double_value = in.double_value();
        break;
      case pb_common::AnyValue::kBytesValue:
        out->type = AnyValue::Type::kBytes;
        out->str = Take<kMove>(in.bytes_value());
        break;
      case pb_common::AnyValue::kArrayValue: {
        out->type = AnyValue::Type::kArray;
        const auto& values = in.array_value().values();
        out->array.resize(values.size());
        for (int i = 0; i < values.size(); ++i)
          TRACERY_RETURN_IF_ERROR(ConvertValue(values[i], depth + 1, &out->array[i]));
        break;
      }
      case pb_common::AnyValue::kKvlistValue: {
        out->type = AnyValue::Type::kMap;
        const auto& values = in.kvlist_value().values();
        out->map.resize(values.size());
        for (int i = 0; i < values.size(); ++i) {
          out->map[i].key = Take<kMove>(values[i].key());
          TRACERY_RETURN_IF_ERROR(ConvertValue(values[i].value(), depth + 1, &out->map[i].value));
        }
        break;
      }
      case pb_common::AnyValue::VALUE_NOT_SET:
        out->type = AnyValue::Type::kEmpty;
        break;
    }
    return Status::Ok();
  }

  const IngestLimits& limits_;
};

// --- Encoding ---------------------------------------------------------------

void EncodeValue(const AnyValue& in, pb_common::AnyValue* out) {
  switch (in.type) {
    case AnyValue::Type::kEmpty: break;
    case AnyValue::Type::kString: out->set_string_value(in.str); break;
    case AnyValue::Type::kBool: out->set_bool_value(in.bool_value); break;
    case AnyValue::Type::kInt: out->set_int_value(in.int_value); break;
    case AnyValue::Type::kDouble: out->set_double_value(in.double_value); break;
    case AnyValue::Type::kBytes: out->set_bytes_value(in.str); break;
    case AnyValue::Type::kArray: {
      auto* arr = out->mutable_array_value();
      arr->mutable_values()->Reserve(static_cast<int>(in.array.size()));
      for (const AnyValue& e : in.array) EncodeValue(e, arr->add_values());
      break;
    }
    case AnyValue::Type::kMap: {
      auto* list = out->mutable_kvlist_value();
      list->mutable_values()->Reserve(static_cast<int>(in.map.size()));
      for (const model::KeyValue& kv : in.map) {
        auto* o = list->add_values();
        o->set_key(kv.key);
        EncodeValue(kv.value, o->mutable_value());
      }
      break;
    }
  }
}

void EncodeAttributes(const model::Attributes& in,
                      google::protobuf::RepeatedPtrField<pb_common::KeyValue>* out) {
  out->Reserve(static_cast<int>(in.size()));
  for (const model::KeyValue& kv : in) {
    auto* o = out->Add();
    o->set_key(kv.key);
    EncodeValue(kv.value, o->mutable_value());
  }
}

std::string SpanIdBytes(model::SpanId id) {
  std::string s(8, '\0');
  id.ToBytes(reinterpret_cast<uint8_t*>(s.data()));
  return s;
}

void EncodeSpan(const model::Span& in, pb_trace::Span* out) {
  out->set_trace_id(in.trace_id.bytes.data(), in.trace_id.bytes.size());
  out->set_span_id(SpanIdBytes(in.span_id));
  if (!in.parent_span_id.IsZero()) out->set_parent_span_id(SpanIdBytes(in.parent_span_id));
  out->set_trace_state(in.trace_state);
  out->set_flags(in.flags);
  out->set_name(in.name);
  out->set_kind(static_cast<pb_trace::Span::SpanKind>(in.kind));
  out->set_start_time_unix_nano(in.start_time_unix_nano);
  out->set_end_time_unix_nano(in.end_time_unix_nano);
  EncodeAttributes(in.attributes, out->mutable_attributes());
  out->set_dropped_attributes_count(in.dropped_attributes_count);
  for (const model::Event& e : in.events) {
    auto* oe = out->add_events();
    oe->set_time_unix_nano(e.time_unix_nano);
    oe->set_name(e.name);
    EncodeAttributes(e.attributes, oe->mutable_attributes());
    oe->set_dropped_attributes_count(e.dropped_attributes_count);
  }
  out->set_dropped_events_count(in.dropped_events_count);
  for (const model::Link& l : in.links) {
    auto* ol = out->add_links();
    ol->set_trace_id(l.trace_id.bytes.data(), l.trace_id.bytes.size());
    ol->set_span_id(SpanIdBytes(l.span_id));
    ol->set_trace_state(l.trace_state);
    EncodeAttributes(l.attributes, ol->mutable_attributes());
    ol->set_dropped_attributes_count(l.dropped_attributes_count);
    ol->set_flags(l.flags);
  }
  out->set_dropped_links_count(in.dropped_links_count);
  if (in.status_code != model::StatusCode::kUnset || !in.status_message.empty()) {
    out->mutable_status()->set_code(static_cast<pb_trace::Status::StatusCode>(in.status_code));
    out->mutable_status()->set_message(in.status_message);
  }
}

}  // namespace

Result<DecodeResult> DecodeOtlpProtobuf(std::string_view body, const IngestLimits& limits) {
  // The parsed message takes a few times the wire size; sizing the first
  // block from the body avoids growing the arena block by block.
  google::protobuf::ArenaOptions options;
  options.start_block_size = std::max<size_t>(4096, body.size() * 4);
  options.max_block_size = std::max<size_t>(options.start_block_size, 8 << 20);
  google::protobuf::Arena arena(options);
  auto* req = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  if (body.size() > static_cast<size_t>(INT32_MAX) ||
      !req->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Status::InvalidArgument("body is not a valid OTLP ExportTraceServiceRequest protobuf (" +
                                   std::to_string(body.size()) + " bytes; truncated or not protobuf?)");
  }
  return Converter<true>(limits).Convert(*req);
}

Result<DecodeResult> ConvertOtlp(const ExportTraceServiceRequest& request, const IngestLimits& limits) {
  return Converter<false>(limits).Convert(request);
}

std::string EncodeOtlpProtobuf(const model::SpanBatch& batch) {
  google::protobuf::Arena arena;
  auto* req = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
  // resource index -> its ResourceSpans; (resource, scope) -> its ScopeSpans.
  std::vector<pb_trace::ResourceSpans*> by_resource(batch.resources.size(), nullptr);
  std::unordered_map<uint64_t, pb_trace::ScopeSpans*> by_scope;
  for (const model::Span& span : batch.spans) {
    if (span.resource_index >= batch.resources.size() || span.scope_index >= batch.scopes.size()) continue;
    pb_trace::ResourceSpans*& rs = by_resource[span.resource_index];
    if (rs == nullptr) {
      rs = req->add_resource_spans();
      const model::Resource& r = batch.resources[span.resource_index];
      EncodeAttributes(r.attributes, rs->mutable_resource()->mutable_attributes());
      rs->mutable_resource()->set_dropped_attributes_count(r.dropped_attributes_count);
      rs->set_schema_url(r.schema_url);
    }
    uint64_t key = (static_cast<uint64_t>(span.resource_index) << 32) | span.scope_index;
    pb_trace::ScopeSpans*& ss = by_scope[key];
    if (ss == nullptr) {
      ss = rs->add_scope_spans();
      const model::Scope& s = batch.scopes[span.scope_index];
      auto* scope = ss->mutable_scope();
      scope->set_name(s.name);
      scope->set_version(s.version);
      EncodeAttributes(s.attributes, scope->mutable_attributes());
      scope->set_dropped_attributes_count(s.dropped_attributes_count);
      ss->set_schema_url(s.schema_url);
    }
    EncodeSpan(span, ss->add_spans());
  }
  return req->SerializeAsString();
}

}  // namespace tracery::ingest
