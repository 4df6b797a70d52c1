#include "collector/otlp_http_receiver.h"

#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "common/json_escape.h"

namespace tracery::collector {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Maps a store refusal to the OTLP/HTTP retryable answer.
HttpResponse Refused(const Status& st, uint64_t retry_after_s, bool json) {
  int http = st.code() == Status::Code::kResourceExhausted ? 429 : 503;
  HttpResponse r = OtlpHttpError(http, http == 429 ? 8 : 14, st.message(), json);
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s > 0 ? retry_after_s : 1));
  return r;
}

}  // namespace

HttpResponse OtlpHttpError(int http_status, int grpc_code, std::string_view message, bool json) {
  HttpResponse r;
  r.status = http_status;
  if (json) {
    r.content_type = "application/json";
    r.body = "{\"code\":" + std::to_string(grpc_code) + ",\"message\":\"" + JsonEscape(message) + "\"}";
  } else {
    google::rpc::Status status;
    status.set_code(grpc_code);
    status.set_message(std::string(message));
    r.content_type = "application/x-protobuf";
    r.body = status.SerializeAsString();
  }
  return r;
}

Result<std::string_view> DecodeContentEncoding(const HttpRequest& req, size_t max_body_bytes, std::string* scratch) {
  const std::string* enc = req.Header("content-encoding");
  if (!enc || enc->empty() || *enc == "identity") return std::string_view(req.body);
  if (*enc == "gzip" || *enc == "x-gzip") {
    auto inflated = ingest::Gunzip(req.body, max_body_bytes);
    if (!inflated.ok()) return inflated.status();
    *scratch = std::move(inflated).value();
    return std::string_view(*scratch);
  }
  return Status::InvalidArgument("unsupported Content-Encoding '" + *enc + "' (use gzip or identity)");
}

OtlpHttpReceiver::OtlpHttpReceiver(SpanPipeline* pipeline, ingest::IngestLimits limits, size_t max_body_bytes)
    : pipeline_(pipeline), limits_(limits), max_body_bytes_(max_body_bytes) {}

std::optional<HttpResponse> OtlpHttpReceiver::Handle(const HttpRequest& req) {
  if (req.path != "/v1/traces") return std::nullopt;
  const std::string* ct = req.Header("content-type");
  std::string_view type = ct ? std::string_view(*ct) : std::string_view();
  bool json = StartsWith(type, "application/json");
  if (req.method != "POST") {
    HttpResponse r = OtlpHttpError(405, 12, "use POST for /v1/traces", json);
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  if (!json && !StartsWith(type, "application/x-protobuf") && !StartsWith(type, "application/protobuf")) {
    return OtlpHttpError(415, 3,
                         "unsupported Content-Type '" + std::string(type) +
                             "': send application/x-protobuf or application/json",
                         false);
  }
  std::string scratch;
  auto body = DecodeContentEncoding(req, limits_.max_decompressed_bytes, &scratch);
  if (!body.ok()) return OtlpHttpError(body.status().HttpStatus(), 3, body.status().message(), json);

  auto decoded = json ? ingest::DecodeOtlpJson(*body, limits_) : ingest::DecodeOtlpProtobuf(*body, limits_);
  if (!decoded.ok()) return OtlpHttpError(400, 3, decoded.status().message(), json);
  ingest::DecodeResult& d = decoded.value();
  AcceptOutcome out =
      pipeline_->Accept(std::move(d.batch), d.rejected_spans, std::move(d.rejection_message), "otlp_http");
  if (!out.status.ok()) return Refused(out.status, out.retry_after_s, json);

  HttpResponse r;
  r.status = 200;
  if (json) {
    r.content_type = "application/json";
    if (out.rejected_spans > 0) {
      r.body = "{\"partialSuccess\":{\"rejectedSpans\":\"" + std::to_string(out.rejected_spans) +
               "\",\"errorMessage\":\"" + JsonEscape(out.rejection_message) + "\"}}";
    } else {
      r.body = "{}";
    }
  } else {
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse resp;
    if (out.rejected_spans > 0) {
      resp.mutable_partial_success()->set_rejected_spans(out.rejected_spans);
      resp.mutable_partial_success()->set_error_message(out.rejection_message);
    }
    r.content_type = "application/x-protobuf";
    r.body = resp.SerializeAsString();
  }
  return r;
}

}  // namespace tracery::collector
