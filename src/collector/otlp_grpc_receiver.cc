#include "collector/otlp_grpc_receiver.h"

#include <grpcpp/grpcpp.h>

#include <optional>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace tracery::collector {

namespace otlp = opentelemetry::proto::collector::trace::v1;

namespace {

class TraceServiceImpl final : public otlp::TraceService::Service {
 public:
  TraceServiceImpl(SpanPipeline* pipeline, ingest::IngestLimits limits, PipelineResolver resolver)
      : pipeline_(pipeline), limits_(limits), resolver_(std::move(resolver)) {}

  grpc::Status Export(grpc::ServerContext* ctx, const otlp::ExportTraceServiceRequest* req,
                      otlp::ExportTraceServiceResponse* resp) override {
    SpanPipeline* pipeline = pipeline_;
    std::shared_ptr<SpanPipeline> lease;
    if (resolver_) {
      auto resolved = Resolve(*ctx);
      if (!resolved.ok()) return ToGrpc(resolved.status());
      lease = std::move(resolved).value();
      pipeline = lease.get();
    }
    auto converted = ingest::ConvertOtlp(*req, limits_);
    if (!converted.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, converted.status().message());
    ingest::DecodeResult& d = converted.value();
    if (d.batch.spans.empty() && d.rejected_spans > 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "every span was rejected: " + d.rejection_message);
    }
    AcceptOutcome out =
        pipeline->Accept(std::move(d.batch), d.rejected_spans, std::move(d.rejection_message), "otlp_grpc");
    if (!out.status.ok()) {
      ctx->AddTrailingMetadata("grpc-retry-pushback-ms",
                               std::to_string(1000 * (out.retry_after_s > 0 ? out.retry_after_s : 1)));
      auto code = out.status.code() == Status::Code::kResourceExhausted ? grpc::StatusCode::RESOURCE_EXHAUSTED
                                                                          : grpc::StatusCode::UNAVAILABLE;
      return grpc::Status(code, out.status.message());
    }
    if (out.rejected_spans > 0) {
      resp->mutable_partial_success()->set_rejected_spans(out.rejected_spans);
      resp->mutable_partial_success()->set_error_message(out.rejection_message);
    }
    return grpc::Status::OK;
  }

 private:
  Result<std::shared_ptr<SpanPipeline>> Resolve(const grpc::ServerContext& ctx) {
    const auto& md = ctx.client_metadata();
    std::optional<std::string> org_id, authorization;
    if (auto it = md.find("x-scope-orgid"); it != md.end()) org_id.emplace(it->second.data(), it->second.size());
    if (auto it = md.find("authorization"); it != md.end()) authorization.emplace(it->second.data(), it->second.size());
    return resolver_(org_id ? &*org_id : nullptr, authorization ? &*authorization : nullptr);
  }

  static grpc::Status ToGrpc(const Status& st) {
    switch (st.code()) {
      case Status::Code::kUnauthenticated: return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, st.message());
      case Status::Code::kPermissionDenied: return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, st.message());
      case Status::Code::kInvalidArgument: return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, st.message());
      default: return grpc::Status(grpc::StatusCode::UNAVAILABLE, st.message());
    }
  }

  SpanPipeline* pipeline_;
  ingest::IngestLimits limits_;
  PipelineResolver resolver_;
};

}  // namespace

struct OtlpGrpcReceiver::Impl {
  OtlpGrpcOptions options;
  TraceServiceImpl service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  Impl(SpanPipeline* p, ingest::IngestLimits l, OtlpGrpcOptions o) : options(std::move(o)), service(p, l, options.resolve_pipeline) {}
};

OtlpGrpcReceiver::OtlpGrpcReceiver(SpanPipeline* pipeline, ingest::IngestLimits limits, OtlpGrpcOptions options)
    : impl_(std::make_unique<Impl>(pipeline, limits, std::move(options))) {}

OtlpGrpcReceiver::~OtlpGrpcReceiver() { Stop(); }

Status OtlpGrpcReceiver::Start() {
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  const OtlpGrpcOptions& o = impl_->options;
  if (!o.tls_cert_pem.empty()) {
    grpc::SslServerCredentialsOptions ssl(o.tls_client_ca_pem.empty()
                                              ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                              : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = o.tls_client_ca_pem;
    ssl.pem_key_cert_pairs.push_back({o.tls_key_pem, o.tls_cert_pem});
    creds = grpc::SslServerCredentials(ssl);
  }
  builder.AddListeningPort(impl_->options.address, creds, &impl_->port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(impl_->options.max_receive_message_bytes));
  builder.RegisterService(&impl_->service);
  impl_->server = builder.BuildAndStart();
  if (!impl_->server || impl_->port == 0) {
    impl_->server.reset();
    return Status::IOError("cannot listen for OTLP/gRPC on " + impl_->options.address);
  }
  return Status::Ok();
}

void OtlpGrpcReceiver::Stop() {
  if (impl_->server) {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    impl_->server->Wait();
    impl_->server.reset();
  }
}

int OtlpGrpcReceiver::port() const { return impl_->port; }

}  // namespace tracery::collector
