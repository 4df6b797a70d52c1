// ZipkinHttpReceiver: POST /api/v2/spans (port 9411), Zipkin v2 JSON or
// proto3 (Content-Type application/x-protobuf), optionally gzip. Answers
// 202 Accepted like Zipkin, 400 with the reason for a malformed body, 413
// for an oversized one, 429/503 with Retry-After when the store refuses.
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

class ZipkinHttpReceiver : public HttpHandler {
 public:
  ZipkinHttpReceiver(SpanPipeline* pipeline, ingest::IngestLimits limits, size_t max_body_bytes);
  std::optional<HttpResponse> Handle(const HttpRequest& req) override;

 private:
  SpanPipeline* pipeline_;
  ingest::IngestLimits limits_;
  size_t max_body_bytes_;
};

}  // namespace tracery::collector
