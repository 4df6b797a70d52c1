#include "server/tenant_registry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

namespace tracery::server {
namespace {

uint64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class TenantRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tracery-tenants-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  TenantStackOptions Options() {
    TenantStackOptions o;
    o.tenants_dir = dir_.string();
    o.store.wal_sync = storage::WalSyncPolicy::kNone;
    o.store.memtable_max_bytes = 4 << 20;
    o.retention_ns = 24ull * 3600 * 1'000'000'000;
    o.metrics = &metrics_;
    o.clock_ns = NowNs;
    return o;
  }

  static HttpRequest Request(std::string method, std::string path, std::string tenant, std::string body = "") {
    HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    if (!tenant.empty()) r.headers.emplace_back("x-scope-orgid", std::move(tenant));
    r.headers.emplace_back("content-type", "application/json");
    r.body = std::move(body);
    return r;
  }

  static std::string OtlpJson(const std::string& service, int spans) {
    std::string s = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":")" +
                    service + R"("}}]},"scopeSpans":[{"spans":[)";
    uint64_t now = NowNs();
    for (int i = 0; i < spans; ++i) {
      char span_id[17];
      std::snprintf(span_id, sizeof span_id, "%016x", i + 1);
      if (i) s += ",";
      s += R"({"traceId":"0123456789abcdef0123456789abcdef","spanId":")" + std::string(span_id) +
           R"(","name":"op","kind":2,"startTimeUnixNano":")" + std::to_string(now) + R"(","endTimeUnixNano":")" +
           std::to_string(now + 1000) + R"("})";
    }
    return s + "]}]}]}";
  }

  std::filesystem::path dir_;
  MetricsRegistry metrics_;
};

TEST_F(TenantRegistryTest, OneTenantCannotSeeAnothersServicesOrTraces) {
  TenantRegistry registry(Options(), 8);
  auto lookup = [&](TenantListener l) {
    return [&registry, l](const std::string& t) -> Result<TenantHandlers> {
      auto s = registry.Get(t);
      if (!s.ok()) return s.status();
      const auto* h = &(*s)->handlers(l);
      return TenantHandlers{std::move(s).value(), h};
    };
  };
  TenantGateway ingest(AccessPolicy{true, nullptr}, lookup(TenantListener::kOtlpHttp), {}, nullptr);
  TenantGateway query(AccessPolicy{true, nullptr}, lookup(TenantListener::kQuery), {}, nullptr);

  auto sent = ingest.Handle(Request("POST", "/v1/traces", "acme", OtlpJson("acme-checkout", 2)));
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->status, 200) << sent->body;

  auto acme = query.Handle(Request("GET", "/api/services", "acme"));
  ASSERT_TRUE(acme);
  EXPECT_NE(acme->body.find("acme-checkout"), std::string::npos) << acme->body;
  auto beta = query.Handle(Request("GET", "/api/services", "beta"));
  ASSERT_TRUE(beta);
  EXPECT_EQ(beta->body.find("acme-checkout"), std::string::npos) << beta->body;
  auto beta_trace = query.Handle(Request("GET", "/api/traces/0123456789abcdef0123456789abcdef", "beta"));
  ASSERT_TRUE(beta_trace);
  EXPECT_EQ(beta_trace->status, 404) << beta_trace->body;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "acme")) << "each tenant has its own directory";

  auto missing = query.Handle(Request("GET", "/api/services", ""));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_NE(missing->body.find("X-Scope-OrgID"), std::string::npos);
  auto traversal = query.Handle(Request("GET", "/api/services", ".."));
  ASSERT_TRUE(traversal);
  EXPECT_EQ(traversal->status, 400);
}

TEST_F(TenantRegistryTest, ClosesIdleTenantsPastTheBoundButNeverOneInUse) {
  TenantRegistry registry(Options(), 1);
  {
    auto a = registry.Get("a");
    ASSERT_TRUE(a.ok());
  }
  auto b = registry.Get("b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(registry.open_tenants(), 1u);
  auto c = registry.Get("c");
  EXPECT_EQ(c.status().code(), Status::Code::kUnavailable) << "b is held, so it stays open";
  auto b_again = registry.Get("b");
  ASSERT_TRUE(b_again.ok());
  EXPECT_EQ(b_again->get(), b->get());
}

TEST_F(TenantRegistryTest, IngestOverTheTenantRateIsRefusedWith429AndRetryAfter) {
  TenantStackOptions o = Options();
  o.ingest_spans_per_second = 5;
  o.ingest_burst_spans = 5;
  TenantRegistry registry(o, 8);
  TenantGateway ingest(AccessPolicy{true, nullptr},
                       [&](const std::string& t) -> Result<TenantHandlers> {
                         auto s = registry.Get(t);
                         if (!s.ok()) return s.status();
                         const auto* h = &(*s)->handlers(TenantListener::kOtlpHttp);
                         return TenantHandlers{std::move(s).value(), h};
                       },
                       {}, nullptr);
  auto first = ingest.Handle(Request("POST", "/v1/traces", "acme", OtlpJson("svc", 5)));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200) << first->body;
  auto second = ingest.Handle(Request("POST", "/v1/traces", "acme", OtlpJson("svc", 5)));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 429) << second->body;
  bool retry_after = false;
  for (auto& [k, v] : second->headers) retry_after |= k == "Retry-After";
  EXPECT_TRUE(retry_after);
  auto other = ingest.Handle(Request("POST", "/v1/traces", "beta", OtlpJson("svc", 5)));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200) << "limits are per tenant";
}

}  // namespace
}  // namespace tracery::server
