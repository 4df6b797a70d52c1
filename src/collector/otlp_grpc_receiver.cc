#include "collector/otlp_grpc_receiver.h"

#include <grpcpp/grpcpp.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace tracery::collector {

namespace otlp = opentelemetry::proto::collector::trace::v1;

namespace {

class TraceServiceImpl final : public otlp::TraceService::Service {
 public:
  TraceServiceImpl(SpanPipeline* pipeline, ingest::IngestLimits limits) : pipeline_(pipeline), limits_(limits) {}

  grpc::Status Export(grpc::ServerContext* ctx, const otlp::ExportTraceServiceRequest* req,
                      otlp::ExportTraceServiceResponse* resp) override {
    auto converted = ingest::ConvertOtlp(*req, limits_);
    if (!converted.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, converted.status().message());
    ingest::DecodeResult& d = converted.value();
    if (d.batch.spans.empty() && d.rejected_spans > 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "every span was rejected: " + d.rejection_message);
    }
    AcceptOutcome out =
        pipeline_->Accept(std::move(d.batch), d.rejected_spans, std::move(d.rejection_message), "otlp_grpc");
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
  SpanPipeline* pipeline_;
  ingest::IngestLimits limits_;
};

}  // namespace

struct OtlpGrpcReceiver::Impl {
  OtlpGrpcOptions options;
  TraceServiceImpl service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  Impl(SpanPipeline* p, ingest::IngestLimits l, OtlpGrpcOptions o) : options(std::move(o)), service(p, l) {}
};

OtlpGrpcReceiver::OtlpGrpcReceiver(SpanPipeline* pipeline, ingest::IngestLimits limits, OtlpGrpcOptions options)
    : impl_(std::make_unique<Impl>(pipeline, limits, std::move(options))) {}

OtlpGrpcReceiver::~OtlpGrpcReceiver() { Stop(); }

Status OtlpGrpcReceiver::Start() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(impl_->options.address, grpc::InsecureServerCredentials(), &impl_->port);
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
