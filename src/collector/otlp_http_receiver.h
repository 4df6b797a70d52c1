// OtlpHttpReceiver: POST /v1/traces (OTLP/HTTP, port 4318) with
// application/x-protobuf or application/json bodies, optionally gzip.
//
// Answers as the OTLP/HTTP specification says: 200 with an
// ExportTraceServiceResponse (partial_success when spans were rejected) in
// the request's encoding; 400 with a google.rpc.Status for a malformed
// body; 413 for an oversized one; 415 for another content type; 429/503
// with Retry-After when the store refuses the write (retryable).
#pragma once

#include "collector/span_pipeline.h"
#include "common/http_types.h"
#include "ingest/decode_result.h"
#include "ingest/gzip.h"
#include "ingest/otlp_json.h"
#include "ingest/otlp_protobuf.h"
#include "ingest/zipkin_json.h"
#include "ingest/zipkin_proto.h"

namespace tracery::collector {

class OtlpHttpReceiver : public HttpHandler {
 public:
  OtlpHttpReceiver(SpanPipeline* pipeline, ingest::IngestLimits limits, size_t max_body_bytes);
  std::optional<HttpResponse> Handle(const HttpRequest& req) override;

 private:
  SpanPipeline* pipeline_;
  ingest::IngestLimits limits_;
  size_t max_body_bytes_;
};

// The body of an OTLP/HTTP error response (google.rpc.Status) in protobuf
// or JSON; `grpc_code` is the gRPC status code number (3 InvalidArgument...).
HttpResponse OtlpHttpError(int http_status, int grpc_code, std::string_view message, bool json);

// Unwraps Content-Encoding (gzip or identity) with `max_body_bytes` bounding
// the inflated size. The returned view points into `req.body` or `*scratch`.
Result<std::string_view> DecodeContentEncoding(const HttpRequest& req, size_t max_body_bytes, std::string* scratch);

}  // namespace tracery::collector
