// Starts the real `tracery` binary, sends traces over every ingest protocol
// (OTLP/HTTP protobuf, OTLP/HTTP JSON, OTLP/gRPC, Zipkin v2 JSON), restarts
// it (cleanly and with SIGKILL), and reads everything back through the
// Jaeger and Zipkin query APIs.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "tracery_process.h"

namespace tracery::testing {
namespace {

namespace otlp = opentelemetry::proto;
using Headers = std::vector<std::pair<std::string, std::string>>;

// A two-span OTLP request: root SERVER span and a CLIENT child with an error.
otlp::collector::trace::v1::ExportTraceServiceRequest MakeOtlp(const std::string& service, const std::string& trace_hex,
                                                               uint64_t start_ns) {
  otlp::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value(service);
  auto* host = rs->mutable_resource()->add_attributes();
  host->set_key("host.name");
  host->mutable_value()->set_string_value("node-7");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("integration");
  auto* root = ss->add_spans();
  root->set_trace_id(Unhex(trace_hex));
  root->set_span_id(Unhex("1111111111111111"));
  root->set_name("GET /checkout");
  root->set_kind(otlp::trace::v1::Span::SPAN_KIND_SERVER);
  root->set_start_time_unix_nano(start_ns);
  root->set_end_time_unix_nano(start_ns + 50'000'000);
  auto* a = root->add_attributes();
  a->set_key("http.response.status_code");
  a->mutable_value()->set_int_value(200);
  auto* child = ss->add_spans();
  child->set_trace_id(Unhex(trace_hex));
  child->set_span_id(Unhex("2222222222222222"));
  child->set_parent_span_id(Unhex("1111111111111111"));
  child->set_name("charge card");
  child->set_kind(otlp::trace::v1::Span::SPAN_KIND_CLIENT);
  child->set_start_time_unix_nano(start_ns + 10'000'000);
  child->set_end_time_unix_nano(start_ns + 40'000'000);
  child->mutable_status()->set_code(otlp::trace::v1::Status::STATUS_CODE_ERROR);
  child->mutable_status()->set_message("card declined");
  auto* ev = child->add_events();
  ev->set_name("retry");
  ev->set_time_unix_nano(start_ns + 20'000'000);
  return req;
}

class ServerIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tracery-it-" + std::to_string(getpid()) + "-" + std::to_string(NowUnixNanos() % 1000000));
    std::filesystem::create_directories(dir_);
    proc_ = std::make_unique<TraceryProcess>(TRACERY_BINARY, (dir_ / "data").string());
    ASSERT_TRUE(proc_->Start()) << "tracery did not start; see " << proc_->log_path;
  }
  void TearDown() override {
    proc_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Fetches /api/traces/{id} and returns the span count (0 when absent).
  size_t JaegerSpanCount(const std::string& trace_hex, std::string* body_out = nullptr) {
    HttpResult r = HttpCall(proc_->query_port, "GET", "/api/traces/" + trace_hex);
    if (body_out) *body_out = r.body;
    if (r.status != 200) return 0;
    simdjson::dom::parser p;
    auto doc = p.parse(r.body);
    simdjson::dom::array spans;
    if (doc["data"].at(0)["spans"].get(spans)) return 0;
    return spans.size();
  }

  std::filesystem::path dir_;
  std::unique_ptr<TraceryProcess> proc_;
};

TEST_F(ServerIntegrationTest, EveryProtocolIsStoredAndSurvivesRestarts) {
  const uint64_t now = NowUnixNanos() - 5'000'000'000ull;
  const std::string t_proto = "0af7651916cd43dd8448eb211c80319c";
  const std::string t_json = "1af7651916cd43dd8448eb211c80319c";
  const std::string t_grpc = "2af7651916cd43dd8448eb211c80319c";
  const std::string t_zipkin = "3af7651916cd43dd8448eb211c80319c";

  // OTLP/HTTP protobuf.
  auto r = HttpCall(proc_->otlp_http_port, "POST", "/v1/traces",
                    MakeOtlp("checkout", t_proto, now).SerializeAsString(),
                    Headers{{"Content-Type", "application/x-protobuf"}});
  ASSERT_EQ(r.status, 200) << r.body;

  // OTLP/HTTP JSON.
  std::string json = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},
    "scopeSpans":[{"scope":{"name":"js"},"spans":[{"traceId":")" + t_json + R"(","spanId":"3333333333333333",
    "name":"GET /cart","kind":2,"startTimeUnixNano":")" + std::to_string(now) + R"(","endTimeUnixNano":")" +
                     std::to_string(now + 7'000'000) + R"(","attributes":[{"key":"items","value":{"intValue":"3"}}],
    "status":{"code":1}}]}]}]})";
  r = HttpCall(proc_->otlp_http_port, "POST", "/v1/traces", json, Headers{{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.body;

  // OTLP/gRPC.
  {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(proc_->otlp_grpc_port),
                                       grpc::InsecureChannelCredentials());
    auto stub = otlp::collector::trace::v1::TraceService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    otlp::collector::trace::v1::ExportTraceServiceResponse resp;
    grpc::Status st = stub->Export(&ctx, MakeOtlp("payment", t_grpc, now), &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.partial_success().rejected_spans(), 0);
  }

  // Zipkin v2 JSON.
  std::string zipkin = R"([{"traceId":")" + t_zipkin + R"(","id":"4444444444444444","name":"get /stock","kind":"SERVER",
    "timestamp":)" + std::to_string(now / 1000) + R"(,"duration":12000,"localEndpoint":{"serviceName":"inventory"},
    "tags":{"http.method":"GET"}},{"traceId":")" + t_zipkin + R"(","id":"5555555555555555","parentId":"4444444444444444",
    "name":"select","kind":"CLIENT","timestamp":)" + std::to_string(now / 1000 + 1000) + R"(,"duration":5000,
    "localEndpoint":{"serviceName":"inventory"},"remoteEndpoint":{"serviceName":"postgres"},"tags":{"error":"timeout"}}])";
  r = HttpCall(proc_->zipkin_port, "POST", "/api/v2/spans", zipkin, Headers{{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 202) << r.body;

  auto check_all = [&](const char* when) {
    SCOPED_TRACE(when);
    std::string body;
    EXPECT_EQ(JaegerSpanCount(t_proto, &body), 2u) << body;
    EXPECT_EQ(JaegerSpanCount(t_json), 1u);
    EXPECT_EQ(JaegerSpanCount(t_grpc), 2u);
    EXPECT_EQ(JaegerSpanCount(t_zipkin), 2u);
    // The error status is the `error` tag, and the event a log.
    EXPECT_NE(body.find("\"card declined\""), std::string::npos);
    EXPECT_NE(body.find("\"retry\""), std::string::npos);
    // Zipkin read API.
    HttpResult z = HttpCall(proc_->zipkin_port, "GET", "/api/v2/trace/" + t_zipkin);
    ASSERT_EQ(z.status, 200);
    simdjson::dom::parser p;
    simdjson::dom::array spans;
    ASSERT_FALSE(p.parse(z.body).get(spans));
    EXPECT_EQ(spans.size(), 2u);
    // Services.
    HttpResult s = HttpCall(proc_->query_port, "GET", "/api/services");
    ASSERT_EQ(s.status, 200);
    for (const char* svc : {"checkout", "cart", "payment", "inventory"})
      EXPECT_NE(s.body.find(std::string("\"") + svc + "\""), std::string::npos) << svc << " in " << s.body;
    // Search by service and tag.
    HttpResult found = HttpCall(proc_->query_port, "GET",
                                "/api/traces?service=checkout&tags=%7B%22error%22%3A%22true%22%7D&lookback=1h");
    ASSERT_EQ(found.status, 200) << found.body;
    EXPECT_NE(found.body.find(t_proto), std::string::npos);
    EXPECT_EQ(found.body.find(t_json), std::string::npos);
  };
  check_all("before restart");

  proc_->Stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(proc_->last_exit_status()) && WEXITSTATUS(proc_->last_exit_status()) == 0)
      << "SIGTERM must shut down cleanly";
  ASSERT_TRUE(proc_->Start());
  check_all("after a clean restart");

  // Acknowledged then killed: the write-ahead log must bring it back.
  const std::string t_crash = "4af7651916cd43dd8448eb211c80319c";
  r = HttpCall(proc_->otlp_http_port, "POST", "/v1/traces", MakeOtlp("checkout", t_crash, now).SerializeAsString(),
               Headers{{"Content-Type", "application/x-protobuf"}});
  ASSERT_EQ(r.status, 200);
  proc_->Stop(SIGKILL);
  ASSERT_TRUE(proc_->Start());
  EXPECT_EQ(JaegerSpanCount(t_crash), 2u) << "an acknowledged trace was lost in a crash";
  check_all("after kill -9");
}

TEST_F(ServerIntegrationTest, MalformedAndOversizedInputIsRefusedWithReasons) {
  auto r = HttpCall(proc_->otlp_http_port, "POST", "/v1/traces", "{not json",
                    Headers{{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.body.empty());
  r = HttpCall(proc_->otlp_http_port, "POST", "/v1/traces", "\xff\xff\xff garbage",
               Headers{{"Content-Type", "application/x-protobuf"}});
  EXPECT_EQ(r.status, 400);
  r = HttpCall(proc_->otlp_http_port, "POST", "/v1/traces", "x", Headers{{"Content-Type", "text/plain"}});
  EXPECT_EQ(r.status, 415);
  r = HttpCall(proc_->otlp_http_port, "POST", "/v1/traces", std::string(17 << 20, 'a'),
               Headers{{"Content-Type", "application/x-protobuf"}});
  EXPECT_EQ(r.status, 413);
  r = HttpCall(proc_->zipkin_port, "POST", "/api/v2/spans", "[{\"traceId\":\"zz\"}]",
               Headers{{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 400);
  r = HttpCall(proc_->query_port, "GET", "/api/traces?service=x&minDuration=fast");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("minDuration"), std::string::npos) << r.body;
  r = HttpCall(proc_->query_port, "GET", "/api/traces/00000000000000000000000000000abc");
  EXPECT_EQ(r.status, 404);

  // A batch with one bad span: the rest is stored, the rejection reported.
  const uint64_t now = NowUnixNanos();
  auto req = MakeOtlp("partial", "5af7651916cd43dd8448eb211c80319c", now);
  req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(1)->set_span_id("bad");
  r = HttpCall(proc_->otlp_http_port, "POST", "/v1/traces", req.SerializeAsString(),
               Headers{{"Content-Type", "application/x-protobuf"}});
  ASSERT_EQ(r.status, 200);
  otlp::collector::trace::v1::ExportTraceServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(r.body));
  EXPECT_EQ(resp.partial_success().rejected_spans(), 1);
  EXPECT_FALSE(resp.partial_success().error_message().empty());
  EXPECT_EQ(JaegerSpanCount("5af7651916cd43dd8448eb211c80319c"), 1u);

  // The server is still healthy after all of that.
  EXPECT_EQ(HttpCall(proc_->admin_port, "GET", "/healthz").status, 200);
  HttpResult metrics = HttpCall(proc_->admin_port, "GET", "/metrics");
  EXPECT_NE(metrics.body.find("tracery_receiver_rejected_spans_total"), std::string::npos);
}

}  // namespace
}  // namespace tracery::testing
