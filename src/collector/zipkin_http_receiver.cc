#include "collector/zipkin_http_receiver.h"

#include "collector/otlp_http_receiver.h"

namespace tracery::collector {
namespace {

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

}  // namespace

ZipkinHttpReceiver::ZipkinHttpReceiver(SpanPipeline* pipeline, ingest::IngestLimits limits, size_t max_body_bytes)
    : pipeline_(pipeline), limits_(limits), max_body_bytes_(max_body_bytes) {}

std::optional<HttpResponse> ZipkinHttpReceiver::Handle(const HttpRequest& req) {
  if (req.path != "/api/v2/spans" || req.method != "POST") return std::nullopt;
  const std::string* ct = req.Header("content-type");
  bool proto = ct && (ct->rfind("application/x-protobuf", 0) == 0 || ct->rfind("application/protobuf", 0) == 0);
  std::string scratch;
  auto body = DecodeContentEncoding(req, limits_.max_decompressed_bytes, &scratch);
  if (!body.ok()) return Text(body.status().HttpStatus(), body.status().message() + "\n");
  auto decoded = proto ? ingest::DecodeZipkinProto(*body, limits_) : ingest::DecodeZipkinJson(*body, limits_);
  if (!decoded.ok()) return Text(400, "malformed Zipkin v2 spans: " + decoded.status().message() + "\n");
  ingest::DecodeResult& d = decoded.value();
  AcceptOutcome out =
      pipeline_->Accept(std::move(d.batch), d.rejected_spans, std::move(d.rejection_message), "zipkin");
  if (!out.status.ok()) {
    HttpResponse r = Text(out.status.code() == Status::Code::kResourceExhausted ? 429 : 503,
                          out.status.message() + "\n");
    r.headers.emplace_back("Retry-After", std::to_string(out.retry_after_s > 0 ? out.retry_after_s : 1));
    return r;
  }
  if (out.rejected_spans > 0 && out.accepted_spans == 0) {
    return Text(400, "every span was rejected: " + out.rejection_message + "\n");
  }
  HttpResponse r = Text(202, out.rejected_spans > 0 ? std::to_string(out.rejected_spans) +
                                                          " spans rejected: " + out.rejection_message + "\n"
                                                    : "");
  return r;
}

}  // namespace tracery::collector
