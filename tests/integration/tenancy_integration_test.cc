// Multi-tenancy and bearer tokens over the real `tracery` binary: tenants
// are isolated in every query API, tokens are required and bound to their
// tenant and role, and no token reaches the log.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "tracery_process.h"

namespace tracery::testing {
namespace {

namespace otlp = opentelemetry::proto;
using Headers = std::vector<std::pair<std::string, std::string>>;

// A SERVER root calling a CLIENT child in another service (so dependencies
// and the service map have an edge).
otlp::collector::trace::v1::ExportTraceServiceRequest MakeTrace(const std::string& service, const std::string& op,
                                                                const std::string& trace_hex, uint64_t start_ns) {
  otlp::collector::trace::v1::ExportTraceServiceRequest req;
  auto add = [&](const std::string& svc, const std::string& span_hex, const std::string& parent_hex, int kind,
                 uint64_t offset_ns) {
    auto* rs = req.add_resource_spans();
    auto* attr = rs->mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value(svc);
    auto* span = rs->add_scope_spans()->add_spans();
    span->set_trace_id(Unhex(trace_hex));
    span->set_span_id(Unhex(span_hex));
    if (!parent_hex.empty()) span->set_parent_span_id(Unhex(parent_hex));
    span->set_name(op);
    span->set_kind(static_cast<otlp::trace::v1::Span::SpanKind>(kind));
    span->set_start_time_unix_nano(start_ns + offset_ns);
    span->set_end_time_unix_nano(start_ns + offset_ns + 20'000'000);
    span->mutable_status()->set_code(otlp::trace::v1::Status::STATUS_CODE_ERROR);
  };
  add(service, "1111111111111111", "", otlp::trace::v1::Span::SPAN_KIND_SERVER, 0);
  add(service, "2222222222222222", "1111111111111111", otlp::trace::v1::Span::SPAN_KIND_CLIENT, 1'000'000);
  add(service + "-db", "3333333333333333", "2222222222222222", otlp::trace::v1::Span::SPAN_KIND_SERVER, 2'000'000);
  return req;
}

bool Contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// A metrics series with some non-zero "count" (the analysis latency route
// echoes the service asked for, so its name alone proves nothing).
bool HasNonZeroCount(const std::string& body) {
  for (size_t at = body.find("\"count\":"); at != std::string::npos; at = body.find("\"count\":", at + 1)) {
    char c = at + 8 < body.size() ? body[at + 8] : '0';
    if (c >= '1' && c <= '9') return true;
  }
  return false;
}

class TenancyTest : public ::testing::Test {
 protected:
  static constexpr const char* kAcmeToken = "acme-token-6f1d2c9a";
  static constexpr const char* kBetaToken = "beta-token-0b7e4411";
  static constexpr const char* kAcmeIngestToken = "acme-ingest-token-93ad";

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tracery-tenancy-" + std::to_string(getpid()) + "-" + std::to_string(NowUnixNanos() % 1000000));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "tokens") << "# token tenant role\n"
                                   << kAcmeToken << " acme all\n"
                                   << kBetaToken << " beta all\n"
                                   << kAcmeIngestToken << " acme ingest\n";
    proc_ = std::make_unique<TraceryProcess>(
        TRACERY_BINARY, (dir_ / "data").string(),
        std::vector<std::string>{"--multi-tenancy", "--auth-tokens-file",
                                 (dir_ / "tokens").string(), "--log-level", "debug"});
    ASSERT_TRUE(proc_->Start()) << "tracery did not start; see " << proc_->log_path;
  }
  void TearDown() override {
    proc_.reset();
    std::filesystem::remove_all(dir_);
  }

  static Headers As(const std::string& tenant, const std::string& token) {
    Headers h{{"Content-Type", "application/x-protobuf"}};
    if (!tenant.empty()) h.emplace_back("X-Scope-OrgID", tenant);
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return h;
  }

  std::filesystem::path dir_;
  std::unique_ptr<TraceryProcess> proc_;
};

TEST_F(TenancyTest, OneTenantCannotReadAnothersDataThroughAnyQueryApi) {
  const std::string acme_trace = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
  const std::string beta_trace = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
  uint64_t now = NowUnixNanos() - 5'000'000'000ull;
  auto r = HttpCall(proc_->otlp_http_port, "POST", "/v1/traces",
                    MakeTrace("acme-svc", "acme-secret-op", acme_trace, now).SerializeAsString(),
                    As("acme", kAcmeIngestToken));
  ASSERT_EQ(r.status, 200) << r.body;
  {  // gRPC with metadata; the token alone decides the tenant.
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(proc_->otlp_grpc_port),
                                       grpc::InsecureChannelCredentials());
    auto stub = otlp::collector::trace::v1::TraceService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Bearer ") + kBetaToken);
    otlp::collector::trace::v1::ExportTraceServiceResponse resp;
    grpc::Status st = stub->Export(&ctx, MakeTrace("beta-svc", "beta-op", beta_trace, now), &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  uint64_t end_us = NowUnixNanos() / 1000 + 60'000'000ull;
  std::string end_ms = std::to_string(end_us / 1000);
  std::string start_s = std::to_string(now / 1'000'000'000ull - 3600), end_s = std::to_string(end_us / 1'000'000 + 60);
  struct Probe {
    uint16_t port;
    std::string target;
    bool lists_services;  // the answer names services (so "acme-svc" must not appear for beta)
  };
  std::vector<Probe> probes = {
      {proc_->query_port, "/api/services", true},
      {proc_->query_port, "/api/services/acme-svc/operations", false},
      {proc_->query_port, "/api/operations?service=acme-svc", false},
      {proc_->query_port, "/api/traces/" + acme_trace, false},
      {proc_->query_port, "/api/traces?service=acme-svc&lookback=2h&limit=20", false},
      {proc_->query_port, "/api/dependencies?endTs=" + end_ms + "&lookback=7200000", true},
      {proc_->query_port, "/api/v3/services", true},
      {proc_->query_port, "/api/v3/operations?service=acme-svc", false},
      {proc_->query_port, "/api/v3/traces/" + acme_trace, false},
      {proc_->query_port, "/api/v3/traces?query.service_name=acme-svc", false},
      {proc_->query_port, "/api/search?tags=service.name%3Dacme-svc&start=" + start_s + "&end=" + end_s, false},
      {proc_->query_port, "/api/search?q=%7B%7D&start=" + start_s + "&end=" + end_s, false},
      {proc_->query_port, "/api/search/tag/service.name/values", true},
      {proc_->query_port, "/api/v2/search/tag/resource.service.name/values", true},
      {proc_->query_port, "/api/traces/" + acme_trace + "?format=tempo", false},
      {proc_->query_port, "/api/v2/traces/" + acme_trace, false},
      {proc_->query_port, "/api/analysis/red?lookback=2h", true},
      {proc_->query_port, "/api/analysis/errors?lookback=2h", true},
      {proc_->query_port, "/api/analysis/service-map?lookback=2h", true},
      {proc_->query_port, "/api/analysis/latency?service=acme-svc&lookback=2h", false},
      {proc_->query_port, "/api/analysis/flamegraph?service=acme-svc&lookback=2h", false},
      {proc_->zipkin_port, "/api/v2/services", true},
      {proc_->zipkin_port, "/api/v2/spans?serviceName=acme-svc", false},
      {proc_->zipkin_port, "/api/v2/trace/" + acme_trace, false},
      {proc_->zipkin_port, "/api/v2/traces?serviceName=acme-svc&endTs=" + end_ms + "&lookback=7200000", false},
      {proc_->zipkin_port, "/api/v2/dependencies?endTs=" + end_ms + "&lookback=7200000", true},
  };
  // The store makes spans searchable at once, but give span metrics a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int acme_saw_its_data = 0;
  for (const Probe& p : probes) {
    const bool by_id = p.target.find("/trace") != std::string::npos && p.target.find(acme_trace) != std::string::npos;
    HttpResult beta = HttpCall(p.port, "GET", p.target, "", As("beta", kBetaToken));
    ASSERT_NE(beta.status, -1) << p.target;
    EXPECT_NE(beta.status, 401) << p.target;
    EXPECT_NE(beta.status, 403) << p.target;
    HttpResult acme = HttpCall(p.port, "GET", p.target, "", As("acme", kAcmeToken));
    if (by_id) {
      // Another tenant's trace id is unknown, exactly as a trace never sent.
      EXPECT_EQ(beta.status, 404) << p.target << ": " << beta.body.substr(0, 300);
      EXPECT_EQ(acme.status, 200) << p.target << ": " << acme.body.substr(0, 300);
      acme_saw_its_data += acme.status == 200;
      continue;
    }
    EXPECT_FALSE(Contains(beta.body, acme_trace)) << p.target << " leaked acme's trace: " << beta.body.substr(0, 300);
    EXPECT_FALSE(Contains(beta.body, "acme-secret-op")) << p.target << " leaked: " << beta.body.substr(0, 300);
    if (p.lists_services) {
      EXPECT_FALSE(Contains(beta.body, "acme-svc")) << p.target << " leaked: " << beta.body.substr(0, 300);
    }
    if (p.target.find("/api/analysis/latency") == 0) {
      EXPECT_FALSE(HasNonZeroCount(beta.body)) << p.target << " leaked acme's metrics: " << beta.body.substr(0, 300);
    }
    bool acme_sees = Contains(acme.body, acme_trace) || Contains(acme.body, "acme-secret-op") ||
                     (p.lists_services && Contains(acme.body, "acme-svc")) ||
                     (p.target.find("/api/analysis/latency") == 0 && HasNonZeroCount(acme.body));
    if (!acme_sees) ADD_FAILURE() << "acme does not see its own data at " << p.target << ": " << acme.body.substr(0, 300);
    acme_saw_its_data += acme_sees;
    // Beta sees its own data where acme does, so the probe can tell.
    if (p.target.find("acme") == std::string::npos) {
      EXPECT_TRUE(Contains(beta.body, "beta-svc") || Contains(beta.body, beta_trace)) << p.target << ": " << beta.body;
    }
  }
  // Every probe that looks up acme's data by name answers it to acme.
  EXPECT_EQ(acme_saw_its_data, static_cast<int>(probes.size())) << "every probe finds the owner's data";
  EXPECT_TRUE(std::filesystem::exists(dir_ / "data" / "tenants" / "acme"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "data" / "tenants" / "beta"));
}

TEST_F(TenancyTest, TokensAreRequiredAndBoundToTheirTenantAndRole) {
  std::string body = MakeTrace("svc", "op", "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3", NowUnixNanos()).SerializeAsString();
  auto post = [&](const Headers& h) { return HttpCall(proc_->otlp_http_port, "POST", "/v1/traces", body, h).status; };
  EXPECT_EQ(post(As("acme", "")), 401);
  EXPECT_EQ(post(As("acme", "not-a-token")), 401);
  EXPECT_EQ(post(As("beta", kAcmeToken)), 403);
  EXPECT_EQ(post(As("../etc", kAcmeToken)), 400);
  EXPECT_EQ(post(As("acme", kAcmeToken)), 200);

  auto get = [&](const Headers& h) { return HttpCall(proc_->query_port, "GET", "/api/services", "", h); };
  HttpResult missing = get({});
  EXPECT_EQ(missing.status, 401);
  EXPECT_TRUE(Contains(missing.body, "Authorization")) << "the answer says what to send: " << missing.body;
  bool www_authenticate = false;
  for (auto& [k, v] : missing.headers) www_authenticate |= k == "WWW-Authenticate";
  EXPECT_TRUE(www_authenticate);
  EXPECT_EQ(get(As("acme", kAcmeIngestToken)).status, 403) << "an ingest token cannot query";
  EXPECT_EQ(get(As("", kAcmeToken)).status, 200) << "the token decides the tenant when the header is absent";
  EXPECT_EQ(HttpCall(proc_->zipkin_port, "GET", "/api/v2/services").status, 401);

  // Credentials are checked before a body is read: a client announcing
  // 10 MB without a valid token is answered at once, without sending it.
  for (const char* auth : {"", "Authorization: Bearer not-a-token\r\n"}) {
    auto refused =
        SendHeadAndRead(proc_->otlp_http_port,
                        std::string("POST /v1/traces HTTP/1.1\r\nHost: x\r\nX-Scope-OrgID: acme\r\n") + auth +
                            "Content-Type: application/x-protobuf\r\nContent-Length: 10000000\r\n\r\n",
                        /*timeout_s=*/5);
    EXPECT_EQ(refused.status, 401) << "refused before the body: " << refused.body;
  }

  // gRPC: UNAUTHENTICATED / PERMISSION_DENIED.
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(proc_->otlp_grpc_port), grpc::InsecureChannelCredentials());
  auto stub = otlp::collector::trace::v1::TraceService::NewStub(channel);
  auto req = MakeTrace("svc", "op", "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4", NowUnixNanos());
  {
    grpc::ClientContext ctx;
    otlp::collector::trace::v1::ExportTraceServiceResponse resp;
    EXPECT_EQ(stub->Export(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-scope-orgid", "beta");
    ctx.AddMetadata("authorization", std::string("Bearer ") + kAcmeToken);
    otlp::collector::trace::v1::ExportTraceServiceResponse resp;
    EXPECT_EQ(stub->Export(&ctx, req, &resp).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }

  // Health, readiness and metrics stay open (for probes and scrapers).
  EXPECT_EQ(HttpCall(proc_->admin_port, "GET", "/healthz").status, 200);
  EXPECT_EQ(HttpCall(proc_->admin_port, "GET", "/readyz").status, 200);
  EXPECT_EQ(HttpCall(proc_->admin_port, "GET", "/metrics").status, 200);

  // The token file is reloaded: a new token works without a restart.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::ofstream(dir_ / "tokens", std::ios::app) << "gamma-token-55 gamma all\n";
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(get(As("gamma", "gamma-token-55")).status, 200);

  // No token or Authorization value in the log (debug level included).
  proc_->Stop();
  std::ifstream log(proc_->log_path);
  std::stringstream text;
  text << log.rdbuf();
  ASSERT_FALSE(text.str().empty());
  for (const char* secret : {kAcmeToken, kBetaToken, kAcmeIngestToken, "not-a-token", "gamma-token-55"}) {
    EXPECT_FALSE(Contains(text.str(), secret)) << "the log contains a token";
  }
}

TEST(TenantRateLimitTest, IngestOverATenantsRateIs429WithRetryAfterAndOtherTenantsGoOn) {
  auto dir = std::filesystem::temp_directory_path() / ("tracery-ratelimit-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  TraceryProcess proc(TRACERY_BINARY, (dir / "data").string(),
                      {"--multi-tenancy", "--tenant-ingest-rate", "1", "--tenant-ingest-burst",
                       "6"});
  ASSERT_TRUE(proc.Start()) << proc.log_path;
  auto send = [&](const std::string& tenant, const std::string& trace_hex) {
    return HttpCall(proc.otlp_http_port, "POST", "/v1/traces",
                    MakeTrace("svc", "op", trace_hex, NowUnixNanos()).SerializeAsString(),
                    {{"Content-Type", "application/x-protobuf"}, {"X-Scope-OrgID", tenant}});
  };
  EXPECT_EQ(send("acme", "01010101010101010101010101010101").status, 200);  // 3 spans
  EXPECT_EQ(send("acme", "02020202020202020202020202020202").status, 200);  // 6: the burst
  HttpResult over = send("acme", "03030303030303030303030303030303");
  EXPECT_EQ(over.status, 429);
  bool retry_after = false;
  for (auto& [k, v] : over.headers) retry_after |= k == "Retry-After" && std::stoi(v) >= 1;
  EXPECT_TRUE(retry_after);
  EXPECT_EQ(send("beta", "04040404040404040404040404040404").status, 200) << "the limit is per tenant";

  auto stub = otlp::collector::trace::v1::TraceService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(proc.otlp_grpc_port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-scope-orgid", "acme");
  otlp::collector::trace::v1::ExportTraceServiceResponse resp;
  EXPECT_EQ(stub->Export(&ctx, MakeTrace("svc", "op", "05050505050505050505050505050505", NowUnixNanos()), &resp)
                .error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  // The refused trace was not stored.
  HttpResult refused = HttpCall(proc.query_port, "GET", "/api/traces/03030303030303030303030303030303", "",
                                {{"X-Scope-OrgID", "acme"}});
  EXPECT_EQ(refused.status, 404);
  proc.Stop();
  std::filesystem::remove_all(dir);
}

TEST(TokensWithoutTenancyTest, EveryDataListenerNeedsAValidTokenOfTheRightRole) {
  auto dir = std::filesystem::temp_directory_path() / ("tracery-tokens-only-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tokens.json") << R"({"tokens":[{"token":"writer-1f2e","tenant":"any","role":"ingest"},)"
                                     << R"({"token":"reader-3c4d","tenant":"any","role":"query"}]})";
  TraceryProcess proc(TRACERY_BINARY, (dir / "data").string(),
                      {"--auth-tokens-file", (dir / "tokens.json").string()});
  ASSERT_TRUE(proc.Start()) << proc.log_path;
  auto body = MakeTrace("guarded-svc", "op", "f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6", NowUnixNanos()).SerializeAsString();
  Headers proto{{"Content-Type", "application/x-protobuf"}};
  Headers writer = proto, reader = proto;
  writer.emplace_back("Authorization", "Bearer writer-1f2e");
  reader.emplace_back("Authorization", "Bearer reader-3c4d");
  EXPECT_EQ(HttpCall(proc.otlp_http_port, "POST", "/v1/traces", body, proto).status, 401);
  EXPECT_EQ(HttpCall(proc.otlp_http_port, "POST", "/v1/traces", body, reader).status, 403);
  EXPECT_EQ(HttpCall(proc.otlp_http_port, "POST", "/v1/traces", body, writer).status, 200);
  EXPECT_EQ(HttpCall(proc.query_port, "GET", "/api/services").status, 401);
  EXPECT_EQ(HttpCall(proc.query_port, "GET", "/api/services", "", writer).status, 403);
  HttpResult s = HttpCall(proc.query_port, "GET", "/api/services", "", reader);
  EXPECT_EQ(s.status, 200);
  EXPECT_TRUE(Contains(s.body, "guarded-svc")) << s.body;
  EXPECT_EQ(HttpCall(proc.zipkin_port, "GET", "/api/v2/services").status, 401);
  EXPECT_EQ(HttpCall(proc.zipkin_port, "GET", "/api/v2/services", "", reader).status, 200);
  // The UI's files stay public (the UI itself is not built in every test run,
  // so it may answer 503 saying how to build it, but never 401).
  EXPECT_NE(HttpCall(proc.query_port, "GET", "/").status, 401);
  proc.Stop();
  std::filesystem::remove_all(dir);
}

TEST(TenancyDisabledTest, WithoutMultiTenancyTheHeaderIsIgnored) {
  auto dir = std::filesystem::temp_directory_path() / ("tracery-notenancy-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  TraceryProcess proc(TRACERY_BINARY, (dir / "data").string(), {});
  ASSERT_TRUE(proc.Start()) << proc.log_path;
  auto body = MakeTrace("plain-svc", "op", "e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5", NowUnixNanos()).SerializeAsString();
  ASSERT_EQ(HttpCall(proc.otlp_http_port, "POST", "/v1/traces", body,
                     {{"Content-Type", "application/x-protobuf"}, {"X-Scope-OrgID", "acme"}})
                .status,
            200);
  HttpResult s = HttpCall(proc.query_port, "GET", "/api/services", "", {{"X-Scope-OrgID", "other"}});
  EXPECT_EQ(s.status, 200);
  EXPECT_TRUE(Contains(s.body, "plain-svc")) << s.body;
  EXPECT_FALSE(std::filesystem::exists(dir / "data" / "tenants"));
  proc.Stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tracery::testing
