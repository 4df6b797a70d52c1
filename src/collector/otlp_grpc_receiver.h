// OtlpGrpcReceiver: the OTLP/gRPC TraceService (port 4317).
//
// Export answers OK with partial_success when spans were rejected by
// validation, INVALID_ARGUMENT when nothing in the request was valid,
// and RESOURCE_EXHAUSTED / UNAVAILABLE (retryable, with a
// `grpc-retry-pushback-ms` trailer) when the store refuses the write.
#pragma once

#include <functional>
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

// Picks the pipeline of one call from its `x-scope-orgid` and
// `authorization` metadata (null when absent). The returned pointer keeps
// the pipeline alive for the call. Error codes map to gRPC codes:
// Unauthenticated -> UNAUTHENTICATED, PermissionDenied -> PERMISSION_DENIED,
// InvalidArgument -> INVALID_ARGUMENT, others -> UNAVAILABLE.
using PipelineResolver = std::function<Result<std::shared_ptr<SpanPipeline>>(const std::string* org_id,
                                                                             const std::string* authorization)>;

struct OtlpGrpcOptions {
  std::string address = "0.0.0.0:4317";  // port 0 picks a free port
  size_t max_receive_message_bytes = 16 << 20;
  // When set, every call goes through it instead of the constructor's pipeline.
  PipelineResolver resolve_pipeline;
  // TLS: PEM text of the server certificate chain and key (both empty:
  // plaintext). A non-empty client CA requires and verifies client
  // certificates (mutual TLS).
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string tls_client_ca_pem;
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
