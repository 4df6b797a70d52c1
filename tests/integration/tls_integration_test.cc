// TLS on every listener of the real `tracery` binary: HTTPS ingest and
// query, OTLP/gRPC over TLS, mutual TLS, and a clean refusal of plain HTTP.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "tracery_process.h"

namespace tracery::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace otlp = opentelemetry::proto;

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An HTTPS request that verifies the server against `ca_file`; optionally
// presents a client certificate. status -1 when TLS or the connection fails.
HttpResult HttpsCall(uint16_t port, const std::string& method, const std::string& target, const std::string& ca_file,
                     const std::string& body = "", const std::string& client_cert = "",
                     const std::string& client_key = "") {
  HttpResult out;
  try {
    asio::io_context ioc;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(ca_file);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    if (!client_cert.empty()) {
      ctx.use_certificate_chain_file(client_cert);
      ctx.use_private_key_file(client_key, asio::ssl::context::pem);
    }
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
    beast::get_lowest_layer(stream).connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    stream.handshake(asio::ssl::stream_base::client);
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "localhost");
    req.set(http::field::content_type, "application/x-protobuf");
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
  } catch (const std::exception&) {
    out.status = -1;
  }
  return out;
}

otlp::collector::trace::v1::ExportTraceServiceRequest OneSpan(const std::string& service, const std::string& trace_hex) {
  otlp::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value(service);
  auto* span = rs->add_scope_spans()->add_spans();
  uint64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
                     .count();
  span->set_trace_id(Unhex(trace_hex));
  span->set_span_id(Unhex("1111111111111111"));
  span->set_name("tls-op");
  span->set_start_time_unix_nano(now);
  span->set_end_time_unix_nano(now + 1000);
  return req;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tracery-tls-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // A self-signed server certificate for localhost / 127.0.0.1, and a
    // client CA with one client certificate for the mutual-TLS case.
    std::string d = dir_.string();
    std::string cmd =
        "cd " + d +
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout server.key -out server.crt -days 2 -subj /CN=localhost"
        " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1"
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca >/dev/null 2>&1"
        " && openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=client >/dev/null 2>&1"
        " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2"
        " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make the test certificates";
  }
  void TearDown() override {
    proc_.reset();
    std::filesystem::remove_all(dir_);
  }
  void StartServer(std::vector<std::string> extra) {
    std::vector<std::string> args = {"--tls-cert", (dir_ / "server.crt").string(), "--tls-key",
                                     (dir_ / "server.key").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<TraceryProcess>(TRACERY_BINARY, (dir_ / "data").string(), args);
    proc_->ready_probe = [this, extra] {
      std::string cert = extra.empty() ? "" : (dir_ / "client.crt").string();
      std::string key = extra.empty() ? "" : (dir_ / "client.key").string();
      return HttpsCall(proc_->admin_port, "GET", "/readyz", Ca(), "", cert, key).status == 200;
    };
    ASSERT_TRUE(proc_->Start()) << "tracery did not start; see " << proc_->log_path;
  }
  std::string Ca() const { return (dir_ / "server.crt").string(); }

  std::filesystem::path dir_;
  std::unique_ptr<TraceryProcess> proc_;
};

TEST_F(TlsTest, HttpsIngestAndQueryGrpcOverTlsAndPlainHttpRefusedCleanly) {
  StartServer({});
  const std::string trace = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0";
  HttpResult sent =
      HttpsCall(proc_->otlp_http_port, "POST", "/v1/traces", Ca(), OneSpan("tls-svc", trace).SerializeAsString());
  ASSERT_EQ(sent.status, 200) << sent.body;

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadAll(dir_ / "server.crt");
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(proc_->otlp_grpc_port),
                                           grpc::SslCredentials(ssl), args);
  auto stub = otlp::collector::trace::v1::TraceService::NewStub(channel);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    otlp::collector::trace::v1::ExportTraceServiceResponse resp;
    grpc::Status st = stub->Export(&ctx, OneSpan("tls-grpc-svc", "e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0"), &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  {  // A plaintext gRPC client cannot talk to the TLS port.
    auto plain = otlp::collector::trace::v1::TraceService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(proc_->otlp_grpc_port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    otlp::collector::trace::v1::ExportTraceServiceResponse resp;
    EXPECT_FALSE(plain->Export(&ctx, OneSpan("x", "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"), &resp).ok());
  }

  HttpResult trace_back = HttpsCall(proc_->query_port, "GET", "/api/traces/" + trace, Ca());
  EXPECT_EQ(trace_back.status, 200) << trace_back.body;
  HttpResult services = HttpsCall(proc_->query_port, "GET", "/api/services", Ca());
  EXPECT_NE(services.body.find("tls-grpc-svc"), std::string::npos) << services.body;
  EXPECT_EQ(HttpsCall(proc_->zipkin_port, "GET", "/api/v2/services", Ca()).status, 200);

  // Plain HTTP to a TLS port: a plaintext 400 that says to use https, and the
  // server goes on serving.
  for (uint16_t port : {proc_->otlp_http_port, proc_->query_port, proc_->admin_port}) {
    HttpResult plain = HttpCall(port, "GET", "/api/services");
    EXPECT_EQ(plain.status, 400) << port;
    EXPECT_NE(plain.body.find("https"), std::string::npos) << plain.body;
  }
  EXPECT_EQ(HttpsCall(proc_->query_port, "GET", "/api/services", Ca()).status, 200);

  // A client that does not trust the server's certificate fails the handshake.
  EXPECT_EQ(HttpsCall(proc_->query_port, "GET", "/api/services", (dir_ / "ca.crt").string()).status, -1);
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateFromTheConfiguredCa) {
  StartServer({"--tls-client-ca", (dir_ / "ca.crt").string()});
  std::string cert = (dir_ / "client.crt").string(), key = (dir_ / "client.key").string();
  EXPECT_EQ(HttpsCall(proc_->query_port, "GET", "/api/services", Ca(), "", cert, key).status, 200);
  EXPECT_EQ(HttpsCall(proc_->query_port, "GET", "/api/services", Ca()).status, -1) << "no client certificate";
}

TEST(TlsConfigTest, MissingKeyOrUnreadableCertificateRefusesToStart) {
  auto dir = std::filesystem::temp_directory_path() / ("tracery-tlsbad-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.crt") << "not a certificate";
  for (std::vector<std::string> args : {std::vector<std::string>{"--tls-cert", (dir / "bad.crt").string()},
                                        std::vector<std::string>{"--tls-cert", (dir / "bad.crt").string(), "--tls-key",
                                                                 (dir / "bad.crt").string()}}) {
    args.insert(args.begin(), {});
    TraceryProcess proc(TRACERY_BINARY, (dir / "data").string(), args);
    EXPECT_FALSE(proc.Start());
    std::string log = ReadAll(proc.log_path);
    EXPECT_NE(log.find("--tls-"), std::string::npos) << "the error names the flag: " << log;
    std::filesystem::remove(proc.log_path);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tracery::testing
