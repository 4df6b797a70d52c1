// OtlpGrpcReceiver: the OTLP/gRPC TraceService (port 4317).
//
// Export answers OK with partial_success when spans were rejected by
// validation, INVALID_ARGUMENT when nothing in the request was valid,
// and RESOURCE_EXHAUSTED / UNAVAILABLE (retryable, with a
// `grpc-retry-pushback-ms` trailer) when the store refuses the write.
#pragma once

#include <memory>
#include <string>

#include "collector/span_pipeline.h"
#include "common/status.h"
#include "ingest/decode_result.h"
#include "ingest/gzip.h"
#include "ingest/otlp_json.h"
#include "ingest/otlp_protobuf.h"
#include "ingest/zipkin_json.h"
#include "ingest/zipkin_proto.h"

namespace tracery::collector {

struct OtlpGrpcOptions {
  std::string address = "0.0.0.0:4317";  // port 0 picks a free port
  size_t max_receive_message_bytes = 16 << 20;
};

class OtlpGrpcReceiver {
 public:
  OtlpGrpcReceiver(SpanPipeline* pipeline, ingest::IngestLimits limits, OtlpGrpcOptions options);
  ~OtlpGrpcReceiver();
  Status Start();
  void Stop();  // waits for in-flight RPCs
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tracery::collector
