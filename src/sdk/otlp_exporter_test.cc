// The OTLP exporters against real local collectors: a Beast HTTP server that
// throttles, fails, disappears and comes back; a generated gRPC TraceService.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <thread>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "http_client.h"
#include "otlp_exporters.h"
#include "test_collector.h"
#include "tracery/sdk.h"

namespace tracery {
namespace {

using testing::Answer;
using testing::CountSpans;
using testing::TestHttpServer;
namespace otlp = opentelemetry::proto;

size_t SpansIn(const std::vector<std::string>& bodies) {
  size_t n = 0;
  for (const std::string& b : bodies) {
    otlp::collector::trace::v1::ExportTraceServiceRequest req;
    EXPECT_TRUE(req.ParseFromString(b));
    n += CountSpans(req);
  }
  return n;
}

sdk::SdkOptions FastOptions(std::vector<std::string> endpoints) {
  sdk::SdkOptions o;
  o.exporter.endpoints = std::move(endpoints);
  o.exporter.initial_backoff_ms = 20;
  o.exporter.max_backoff_ms = 100;
  o.exporter.per_attempt_timeout_ms = 1000;
  o.batch.schedule_delay_ms = 20;
  o.batch.export_timeout_ms = 10000;
  return o;
}

std::unique_ptr<TracerProvider> Provider(const sdk::SdkOptions& o) {
  return std::make_unique<TracerProvider>(o, sdk::MakeOtlpExporter(o.exporter), MakeAlwaysOnSampler());
}

TEST(OtlpHttpExporterTest, PostsGzippedProtobufToV1Traces) {
  std::string path, content_type, encoding;
  TestHttpServer server([&](const auto& req) {
    path = std::string(req.target());
    content_type = std::string(req[testing::http::field::content_type]);
    encoding = std::string(req[testing::http::field::content_encoding]);
    return Answer{200};
  });
  server.Start();
  auto o = FastOptions({server.url()});
  o.exporter.headers = {{"x-api-key", "secret"}};
  o.exporter.gzip = true;
  auto provider = Provider(o);
  for (int i = 0; i < 10; ++i) provider->GetTracer("t").StartSpan("s");
  ASSERT_TRUE(provider->ForceFlush());
  EXPECT_EQ(path, "/v1/traces");
  EXPECT_EQ(content_type, "application/x-protobuf");
  EXPECT_EQ(encoding, "gzip");
  EXPECT_EQ(SpansIn(server.accepted()), 10u);
}

TEST(OtlpHttpExporterTest, UncompressedByDefaultAsTheOtelSpecSays) {
  std::string encoding = "unset";
  TestHttpServer server([&](const auto& req) {
    encoding = std::string(req[testing::http::field::content_encoding]);
    return Answer{200};
  });
  server.Start();
  auto provider = Provider(FastOptions({server.url()}));
  for (int i = 0; i < 3; ++i) provider->GetTracer("t").StartSpan("s");
  ASSERT_TRUE(provider->ForceFlush());
  EXPECT_EQ(encoding, "");
  EXPECT_EQ(SpansIn(server.accepted()), 3u);
}

TEST(OtlpHttpExporterTest, KeepsOneConnectionAcrossBatches) {
  TestHttpServer server([&](const auto&) { return Answer{200}; });
  server.set_keep_alive(true);
  server.Start();
  auto provider = Provider(FastOptions({server.url()}));
  for (int batch = 0; batch < 3; ++batch) {
    provider->GetTracer("t").StartSpan("s");
    ASSERT_TRUE(provider->ForceFlush());
  }
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(provider->Stats().spans_exported, 3u);
  EXPECT_EQ(provider->Stats().export_failures, 0u);
}

// Regression: a kept-alive connection the collector closed while idle must
// not lose the next batch or count it as a failure.
TEST(OtlpHttpExporterTest, ConnectionClosedByCollectorBetweenBatchesIsReopened) {
  TestHttpServer server([&](const auto&) { return Answer{200}; });  // closes after each answer
  server.Start();
  auto provider = Provider(FastOptions({server.url()}));
  for (int batch = 0; batch < 3; ++batch) {
    provider->GetTracer("t").StartSpan("s");
    ASSERT_TRUE(provider->ForceFlush());
  }
  EXPECT_EQ(SpansIn(server.accepted()), 3u);
  EXPECT_EQ(provider->Stats().spans_exported, 3u);
  EXPECT_EQ(provider->Stats().export_failures, 0u);
  // Underneath, each request after the first found its kept connection
  // closed and succeeded at once on a fresh one (no exporter-level retry).
  auto url = internal::ParseHttpUrl(server.url() + "/v1/traces");
  ASSERT_TRUE(url.ok());
  internal::HttpConnection connection;
  const int connections_before = server.connections();
  for (int i = 0; i < 3; ++i) {
    auto answer = connection.RoundTrip(*url, "POST", {}, "x", std::chrono::steady_clock::now() + std::chrono::seconds(5));
    ASSERT_TRUE(answer.ok()) << answer.status().message();
    EXPECT_EQ(answer->status, 200);
  }
  EXPECT_EQ(server.connections() - connections_before, 3);
}

TEST(GzipCompressorTest, ReusedCompressorGivesValidGzipEveryTime) {
  internal::GzipCompressor gz;
  std::string out;
  for (int i = 0; i < 3; ++i) {
    std::string input(1000 + i * 5000, static_cast<char>('a' + i));
    ASSERT_TRUE(gz.Compress(input, &out).ok());
    ASSERT_GE(out.size(), 18u);
    EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x1f);  // gzip magic
    EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x8b);
    z_stream zs{};
    ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
    std::string back(input.size() + 16, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(out.data());
    zs.avail_in = static_cast<uInt>(out.size());
    zs.next_out = reinterpret_cast<Bytef*>(back.data());
    zs.avail_out = static_cast<uInt>(back.size());
    EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
    back.resize(zs.total_out);
    inflateEnd(&zs);
    EXPECT_EQ(back, input);
  }
}

TEST(OtlpHttpExporterTest, Honours503RetryAfterAnd429) {
  std::atomic<int> n{0};
  std::vector<std::chrono::steady_clock::time_point> times;  // written before each answer is sent
  TestHttpServer server([&](const auto&) {
    times.push_back(std::chrono::steady_clock::now());
    int i = n++;
    if (i == 0) return Answer{503, "1"};
    if (i == 1) return Answer{429, "0"};
    return Answer{200};
  });
  server.Start();
  auto provider = Provider(FastOptions({server.url()}));
  for (int i = 0; i < 5; ++i) provider->GetTracer("t").StartSpan("s");
  ASSERT_TRUE(provider->ForceFlush());
  EXPECT_EQ(SpansIn(server.accepted()), 5u);
  ASSERT_GE(times.size(), 3u);
  EXPECT_GE(times[1] - times[0], std::chrono::milliseconds(950));  // waited Retry-After: 1
  EXPECT_EQ(provider->Stats().dropped_export_failed, 0u);
}

TEST(OtlpHttpExporterTest, CollectorAwayThenBackLosesNothingTheQueueHeld) {
  TestHttpServer server([](const auto&) { return Answer{200}; });
  server.Start();
  unsigned short port = server.port();
  server.Stop();  // connection refused from now on
  auto provider = Provider(FastOptions({server.url()}));
  for (int i = 0; i < 50; ++i) provider->GetTracer("t").StartSpan("s");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  server.Start(port);
  ASSERT_TRUE(provider->ForceFlush());
  EXPECT_EQ(SpansIn(server.accepted()), 50u);
  ExportStats st = provider->Stats();
  EXPECT_EQ(st.spans_exported, 50u);
  EXPECT_EQ(st.dropped_export_failed + st.dropped_queue_full, 0u);
}

TEST(OtlpHttpExporterTest, CountsLossWhenCollectorNeverComesBack) {
  auto o = FastOptions({"http://127.0.0.1:1"});
  o.batch.export_timeout_ms = 300;
  auto provider = Provider(o);
  for (int i = 0; i < 7; ++i) provider->GetTracer("t").StartSpan("s");
  provider->ForceFlush();
  ExportStats st = provider->Stats();
  EXPECT_EQ(st.dropped_export_failed, 7u);
  EXPECT_EQ(st.spans_exported, 0u);
  EXPECT_GE(st.export_failures, 1u);
}

TEST(OtlpHttpExporterTest, FailsOverToTheNextEndpoint) {
  TestHttpServer broken([](const auto&) { return Answer{503}; });
  TestHttpServer good([](const auto&) { return Answer{200}; });
  broken.Start();
  good.Start();
  auto provider = Provider(FastOptions({"http://127.0.0.1:1", broken.url(), good.url()}));
  for (int i = 0; i < 3; ++i) provider->GetTracer("t").StartSpan("s");
  ASSERT_TRUE(provider->ForceFlush());
  EXPECT_EQ(SpansIn(good.accepted()), 3u);
  EXPECT_GE(broken.requests(), 1);
}

TEST(OtlpHttpExporterTest, BadRequestIsNotRetried) {
  TestHttpServer server([](const auto&) { return Answer{400, "", "bad"}; });
  server.Start();
  auto provider = Provider(FastOptions({server.url()}));
  provider->GetTracer("t").StartSpan("s");
  provider->ForceFlush();
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(provider->Stats().dropped_export_failed, 1u);
}

TEST(OtlpHttpExporterTest, RejectsUnusableEndpoints) {
  sdk::ExporterOptions o;
  o.endpoints = {"ftp://x"};
  EXPECT_FALSE(internal::MakeOtlpHttpExporter(o).ok());
  o.endpoints = {"http://host:99999"};
  EXPECT_FALSE(internal::MakeOtlpHttpExporter(o).ok());
  EXPECT_EQ(internal::ParseRetryAfter(" 7 "), std::chrono::milliseconds(7000));
  EXPECT_FALSE(internal::ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
}

class TraceServiceImpl final : public otlp::collector::trace::v1::TraceService::Service {
 public:
  grpc::Status Export(grpc::ServerContext* ctx, const otlp::collector::trace::v1::ExportTraceServiceRequest* req,
                      otlp::collector::trace::v1::ExportTraceServiceResponse*) override {
    if (calls++ == 0) {
      ctx->AddTrailingMetadata("grpc-retry-pushback-ms", "10");
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "warming up");
    }
    auto md = ctx->client_metadata().find("x-api-key");
    if (md != ctx->client_metadata().end()) api_key = std::string(md->second.data(), md->second.size());
    spans += CountSpans(*req);
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0};
  std::atomic<size_t> spans{0};
  std::string api_key;
};

TEST(OtlpGrpcExporterTest, ExportsThroughGenericStubAndRetriesUnavailable) {
  TraceServiceImpl service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  ASSERT_GT(port, 0);
  auto o = FastOptions({"http://127.0.0.1:" + std::to_string(port)});
  o.exporter.protocol = sdk::OtlpProtocol::kGrpc;
  o.exporter.headers = {{"x-api-key", "k1"}};
  auto provider = Provider(o);
  for (int i = 0; i < 12; ++i) provider->GetTracer("t").StartSpan("s");
  ASSERT_TRUE(provider->ForceFlush());
  EXPECT_EQ(service.spans.load(), 12u);
  EXPECT_EQ(service.calls.load(), 2);
  EXPECT_EQ(service.api_key, "k1");
  provider.reset();
  server->Shutdown();
}

TEST(RemoteSamplerTest, AppliesStrategyFromCollectorAndKeepsItOnGarbage) {
  std::atomic<int> n{0};
  std::string service;
  TestHttpServer server([&](const auto& req) {
    service = std::string(req.target());
    return n++ == 0 ? Answer{200, "", R"({"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":1}})"}
                    : Answer{200, "", "garbage"};
  });
  server.Start();
  RemoteSamplerOptions o;
  o.endpoint = server.url() + "/api/sampling";
  o.service_name = "cart";
  o.initial_sampling_rate = 0;
  o.poll_interval = std::chrono::milliseconds(30);
  auto sampler = MakeRemoteSampler(o);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_GE(n.load(), 2);
  EXPECT_EQ(service, "/api/sampling?service=cart");
  SamplingParams p;
  p.trace_id = {5, 0x7ffffffffffffff0ULL};
  EXPECT_EQ(sampler->ShouldSample(p), SamplingDecision::kRecordAndSample);
}

}  // namespace
}  // namespace tracery
