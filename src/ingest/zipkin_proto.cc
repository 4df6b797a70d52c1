#include "ingest/zipkin_proto.h"

#include <arpa/inet.h>
#include <google/protobuf/arena.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "ingest/zipkin_batch_builder.h"
#include "zipkin/zipkin.pb.h"

namespace tracery::ingest {
namespace {

// Text form of a raw ipv4 / ipv6 address; empty for any other length.
std::string_view AddressText(const std::string& raw, char* buf, size_t buf_size) {
  int family = raw.size() == 4 ? AF_INET : raw.size() == 16 ? AF_INET6 : 0;
  if (family == 0 || inet_ntop(family, raw.data(), buf, static_cast<socklen_t>(buf_size)) == nullptr) return {};
  return buf;
}

// Decodes addresses into caller-owned buffers so ZipkinEndpoint can point at them.
struct EndpointText {
  char ipv4[INET_ADDRSTRLEN];
  char ipv6[INET6_ADDRSTRLEN];
  ZipkinEndpoint Of(const zipkin::proto3::Endpoint& ep) {
    ZipkinEndpoint out;
    out.service_name = ep.service_name();
    out.ipv4 = AddressText(ep.ipv4(), ipv4, sizeof ipv4);
    out.ipv6 = AddressText(ep.ipv6(), ipv6, sizeof ipv6);
    out.port = ep.port();
    return out;
  }
};

bool ParseIds(const zipkin::proto3::Span& in, model::Span* span, std::string* why) {
  const std::string& t = in.trace_id();
  if (t.size() == 16) {
    span->trace_id = *model::TraceId::FromBytes(t);
  } else if (t.size() == 8) {
    std::memcpy(span->trace_id.bytes.data() + 8, t.data(), 8);
  } else {
    *why = "trace_id must be 8 or 16 bytes, got " + std::to_string(t.size());
    return false;
  }
  if (span->trace_id.IsZero()) {
    *why = "trace_id is all zeros";
    return false;
  }
  auto id = model::SpanId::FromBytes(in.id());
  if (!id) {
    *why = "id must be 8 bytes, got " + std::to_string(in.id().size());
    return false;
  }
  if (id->IsZero()) {
    *why = "id is all zeros";
    return false;
  }
  span->span_id = *id;
  if (!in.parent_id().empty()) {
    auto parent = model::SpanId::FromBytes(in.parent_id());
    if (!parent) {
      *why = "parent_id must be empty or 8 bytes, got " + std::to_string(in.parent_id().size());
      return false;
    }
    span->parent_span_id = *parent;
  }
  return true;
}

model::SpanKind KindOf(zipkin::proto3::Span::Kind kind) {
  switch (kind) {
    case zipkin::proto3::Span::CLIENT: return model::SpanKind::kClient;
    case zipkin::proto3::Span::SERVER: return model::SpanKind::kServer;
    case zipkin::proto3::Span::PRODUCER: return model::SpanKind::kProducer;
    case zipkin::proto3::Span::CONSUMER: return model::SpanKind::kConsumer;
    default: return model::SpanKind::kInternal;
  }
}

}  // namespace

Result<DecodeResult> DecodeZipkinProto(std::string_view body, const IngestLimits& limits) {
  // Sized from the body so the arena does not grow block by block.
  google::protobuf::ArenaOptions options;
  options.start_block_size = std::max<size_t>(4096, body.size() * 4);
  options.max_block_size = std::max<size_t>(options.start_block_size, 8 << 20);
  google::protobuf::Arena arena(options);
  auto* list = google::protobuf::Arena::CreateMessage<zipkin::proto3::ListOfSpans>(&arena);
  if (body.size() > static_cast<size_t>(INT_MAX) || !list->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Status::InvalidArgument("body is not a valid zipkin.proto3.ListOfSpans protobuf (" +
                                   std::to_string(body.size()) + " bytes; truncated or not protobuf?)");
  }
  ZipkinBatchBuilder builder(limits, list->spans_size());
  EndpointText local_text, remote_text;
  for (int i = 0; i < list->spans_size(); ++i) {
    const zipkin::proto3::Span& in = list->spans(i);
    model::Span* span = builder.StartSpan(local_text.Of(in.local_endpoint()));
    std::string why;
    if (ParseIds(in, span, &why) && ZipkinBatchBuilder::SetTimes(in.timestamp(), in.duration(), span, &why)) {
      span->name = in.name();
      span->kind = KindOf(in.kind());
      if (in.has_remote_endpoint()) ZipkinBatchBuilder::SetRemoteEndpoint(remote_text.Of(in.remote_endpoint()), span);
      span->attributes.reserve(in.tags_size() + 4);
      for (const auto& [key, value] : in.tags()) ZipkinBatchBuilder::AddTag(key, value, span);
      ZipkinBatchBuilder::SetFlags(in.debug(), in.shared(), span);
      span->events.reserve(in.annotations_size());
      for (const auto& a : in.annotations()) {
        if (!ZipkinBatchBuilder::AddAnnotation(a.timestamp(), a.value(), span, &why)) break;
      }
    }
    if (why.empty()) {
      builder.FinishSpan();
    } else {
      builder.RejectSpan("spans[" + std::to_string(i) + "]: " + why);
    }
  }
  return std::move(builder).Finish();
}

}  // namespace tracery::ingest
