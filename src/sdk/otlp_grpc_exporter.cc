#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "otlp_exporters.h"

namespace tracery::internal {
namespace {

constexpr char kExportMethod[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

bool IsRetryable(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::DATA_LOSS:
      return true;
    default:
      return false;
  }
}

// "http://host:port" or "host:port" -> "host:port" (gRPC target).
std::string GrpcTarget(std::string_view endpoint) {
  for (std::string_view scheme : {"http://", "https://", "grpc://"}) {
    if (endpoint.substr(0, scheme.size()) == scheme) endpoint.remove_prefix(scheme.size());
  }
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.remove_suffix(1);
  return std::string(endpoint);
}

class OtlpGrpcExporter final : public SpanExporter {
 public:
  OtlpGrpcExporter(const sdk::ExporterOptions& options, std::vector<std::string> targets) : options_(options) {
    for (const std::string& t : targets) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);  // we retry ourselves, honouring pushback
      auto channel = grpc::CreateCustomChannel(t, grpc::InsecureChannelCredentials(), args);
      stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
      targets_.push_back(t);
    }
  }

  Status Export(std::string_view otlp_request, std::chrono::steady_clock::time_point deadline) override {
    grpc::Slice slice(otlp_request.data(), otlp_request.size());
    grpc::ByteBuffer request(&slice, 1);
    Status last = Status::Unavailable("no attempt made before the deadline");
    for (uint32_t attempt = 0;; ++attempt) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      auto attempt_deadline = std::min(deadline, now + std::chrono::milliseconds(options_.per_attempt_timeout_ms));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + (attempt_deadline - now));
      for (const auto& [k, v] : options_.headers) ctx.AddMetadata(k, v);
      if (options_.gzip) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
      grpc::ByteBuffer response;
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      grpc::Status status;
      stubs_[current_]->UnaryCall(&ctx, kExportMethod, grpc::StubOptions(), &request, &response,
                                  [&](grpc::Status s) {
                                    std::lock_guard<std::mutex> lock(mu);
                                    status = std::move(s);
                                    done = true;
                                    cv.notify_one();
                                  });
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return done; });
      }
      if (status.ok()) return Status::Ok();
      last = Status::Unavailable("gRPC export to " + targets_[current_] + " failed: " +
                                 std::to_string(static_cast<int>(status.error_code())) + " " +
                                 status.error_message());
      if (!IsRetryable(status.error_code())) {
        return Status::InvalidArgument("collector rejected the export: " + status.error_message());
      }
      std::optional<std::chrono::milliseconds> pushback;
      const auto& trailers = ctx.GetServerTrailingMetadata();
      auto it = trailers.find("grpc-retry-pushback-ms");
      if (it != trailers.end()) {
        int64_t ms = 0;
        auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), ms);
        if (ec == std::errc() && ms >= 0) pushback = std::chrono::milliseconds(ms);
      }
      if (status.error_code() == grpc::StatusCode::UNAVAILABLE && stubs_.size() > 1) {
        current_ = (current_ + 1) % stubs_.size();
        if (current_ != 0 && !pushback) continue;
      }
      auto wait = pushback ? *pushback
                           : BackoffWithJitter(attempt, options_.initial_backoff_ms, options_.max_backoff_ms);
      if (std::chrono::steady_clock::now() + wait >= deadline) break;
      std::this_thread::sleep_for(wait);
    }
    return Status::Unavailable("export gave up at its deadline; last error: " + last.message());
  }

 private:
  sdk::ExporterOptions options_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  std::vector<std::string> targets_;
  size_t current_ = 0;  // exporter thread only
};

}  // namespace

Result<std::unique_ptr<SpanExporter>> MakeOtlpGrpcExporter(const sdk::ExporterOptions& options) {
  std::vector<std::string> targets;
  std::vector<std::string> endpoints = options.endpoints;
  if (endpoints.empty()) endpoints.push_back("http://localhost:4317");
  for (const std::string& e : endpoints) {
    if (e.substr(0, 8) == "https://") {
      return Status::InvalidArgument("https gRPC endpoints are not supported (no TLS in this exporter): " + e);
    }
    std::string t = GrpcTarget(e);
    if (t.empty()) return Status::InvalidArgument("empty gRPC endpoint in the endpoint list");
    targets.push_back(std::move(t));
  }
  return std::unique_ptr<SpanExporter>(std::make_unique<OtlpGrpcExporter>(options, std::move(targets)));
}

}  // namespace tracery::internal
