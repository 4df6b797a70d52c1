#include "tracery/instrumentation/beast_http.h"

#include <gtest/gtest.h>

#include <mutex>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "tracery/sdk.h"

namespace tracery {
namespace {

namespace bhttp = boost::beast::http;
namespace otlp = opentelemetry::proto;

class Collect final : public SpanExporter {
 public:
  Status Export(std::string_view bytes, std::chrono::steady_clock::time_point) override {
    otlp::collector::trace::v1::ExportTraceServiceRequest req;
    if (!req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return Status::Corruption("bad");
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& ss : req.resource_spans(0).scope_spans()) {
      for (const auto& s : ss.spans()) spans.push_back(s);
    }
    return Status::Ok();
  }
  std::mutex mu;
  std::vector<otlp::trace::v1::Span> spans;
};

std::string Attr(const otlp::trace::v1::Span& s, const std::string& key) {
  for (const auto& kv : s.attributes()) {
    if (kv.key() == key) return kv.value().has_int_value() ? std::to_string(kv.value().int_value()) : kv.value().string_value();
  }
  return "<missing>";
}

TEST(BeastHttpTest, ServerSpanContinuesTraceAndClientInjects) {
  auto exporter = std::make_unique<Collect>();
  Collect* c = exporter.get();
  TracerProvider provider(sdk::SdkOptions{}, std::move(exporter), MakeParentBasedSampler(MakeAlwaysOnSampler()));
  SetGlobalTracerProvider(&provider);

  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/cart/42?x=1", 11};
  req.set(bhttp::field::host, "shop.local:8080");
  req.set(bhttp::field::user_agent, "test/1");
  req.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

  std::string injected;
  auto res = http::TraceServer(req, "GET /cart/{id}", [&](Span& span) {
    EXPECT_EQ(CurrentContext().span_context, span.context());
    bhttp::request<bhttp::string_body> out{bhttp::verb::post, "/pay", 11};
    auto client_res = http::TraceClient(out, "payments", [&](auto& r) {
      injected = std::string(r["traceparent"]);
      return bhttp::response<bhttp::string_body>{bhttp::status::service_unavailable, 11};
    });
    EXPECT_EQ(client_res.result_int(), 503u);
    return bhttp::response<bhttp::string_body>{bhttp::status::ok, 11};
  });
  EXPECT_EQ(res.result_int(), 200u);
  ASSERT_TRUE(provider.ForceFlush());
  SetGlobalTracerProvider(nullptr);

  std::lock_guard<std::mutex> lock(c->mu);
  ASSERT_EQ(c->spans.size(), 2u);
  const auto& client = c->spans[0].kind() == otlp::trace::v1::Span::SPAN_KIND_CLIENT ? c->spans[0] : c->spans[1];
  const auto& server = c->spans[0].kind() == otlp::trace::v1::Span::SPAN_KIND_SERVER ? c->spans[0] : c->spans[1];
  EXPECT_EQ(server.name(), "GET /cart/{id}");
  EXPECT_EQ(Attr(server, "http.request.method"), "GET");
  EXPECT_EQ(Attr(server, "url.path"), "/cart/42");
  EXPECT_EQ(Attr(server, "http.route"), "/cart/{id}");
  EXPECT_EQ(Attr(server, "server.address"), "shop.local");
  EXPECT_EQ(Attr(server, "user_agent.original"), "test/1");
  EXPECT_EQ(Attr(server, "http.response.status_code"), "200");
  EXPECT_EQ(server.parent_span_id().size(), 8u);
  EXPECT_EQ(client.parent_span_id(), server.span_id());
  EXPECT_EQ(client.status().code(), otlp::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(Attr(client, "http.response.status_code"), "503");
  // The injected header names the client span in the same trace.
  auto sc = ParseTraceparent(injected);
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->trace_id.ToHex(), "0af7651916cd43dd8448eb211c80319c");
}

// Regression: TraceServer made its span current on top of the thread's
// previous context, so the caller's baggage never reached the handler nor
// the services it called.
TEST(BeastHttpTest, IncomingBaggageReachesTheHandlerAndIsPropagatedDownstream) {
  auto exporter = std::make_unique<Collect>();
  TracerProvider provider(sdk::SdkOptions{}, std::move(exporter), MakeParentBasedSampler(MakeAlwaysOnSampler()));
  SetGlobalTracerProvider(&provider);
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/cart", 11};
  req.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  req.set("baggage", "customer.tier=gold,session.id=s-1");
  std::string tier, downstream_baggage;
  http::TraceServer(req, "GET /cart", [&](Span&) {
    auto v = CurrentContext().baggage.Get("customer.tier");
    tier = v ? std::string(*v) : "<none>";
    bhttp::request<bhttp::string_body> out{bhttp::verb::get, "/stock", 11};
    http::TraceClient(out, "inventory", [&](auto& r) {
      downstream_baggage = std::string(r["baggage"]);
      return bhttp::response<bhttp::string_body>{bhttp::status::ok, 11};
    });
    return bhttp::response<bhttp::string_body>{bhttp::status::ok, 11};
  });
  ASSERT_TRUE(provider.ForceFlush());
  SetGlobalTracerProvider(nullptr);
  EXPECT_EQ(tier, "gold");
  EXPECT_NE(downstream_baggage.find("customer.tier=gold"), std::string::npos) << downstream_baggage;
}

TEST(SdkConfigTest, ReadsStandardEnvironmentVariables) {
  std::map<std::string, std::string> env{
      {"OTEL_SERVICE_NAME", "cart"},
      {"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,team=a%20b,broken"},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c1:4318, http://c2:4318"},
      {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
      {"OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s%3Dcret"},
      {"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"},
      {"OTEL_TRACES_SAMPLER_ARG", "0.5"},
      {"OTEL_PROPAGATORS", "tracecontext,b3multi"},
      {"OTEL_BSP_SCHEDULE_DELAY", "100"},
      {"OTEL_BSP_MAX_QUEUE_SIZE", "nope"},
  };
  sdk::SdkOptions o = sdk::OptionsFromEnv([&](const char* k) -> const char* {
    auto it = env.find(k);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(o.resource.service_name, "cart");
  ASSERT_EQ(o.resource.attributes.size(), 2u);
  EXPECT_EQ(o.resource.attributes[1].second, "a b");
  EXPECT_EQ(o.exporter.endpoints, (std::vector<std::string>{"http://c1:4318", "http://c2:4318"}));
  EXPECT_EQ(o.exporter.protocol, sdk::OtlpProtocol::kGrpc);
  EXPECT_EQ(o.exporter.headers[0].second, "s=cret");
  EXPECT_EQ(o.propagators, (std::vector<std::string>{"tracecontext", "b3multi"}));
  EXPECT_EQ(o.batch.schedule_delay_ms, 100u);
  EXPECT_EQ(o.batch.max_queue_size, 2048u);  // bad value: default kept, warned
  EXPECT_FALSE(o.exporter.gzip);  // OTEL_EXPORTER_OTLP_COMPRESSION unset: none, as the OTel spec
  EXPECT_EQ(o.warnings.size(), 2u);          // 'broken' member and the bad queue size
  auto sampler = sdk::MakeSampler(o.sampler, "cart");
  EXPECT_NE(sampler->Description().find("TraceIdRatioBased"), std::string::npos);
  auto resource = sdk::DetectResource(o.resource);
  auto has = [&](const std::string& k, const std::string& v) {
    for (const auto& kv : resource) {
      if (kv.first == k) return v.empty() || kv.second == v;
    }
    return false;
  };
  EXPECT_TRUE(has("service.name", "cart"));
  EXPECT_TRUE(has("telemetry.sdk.name", "tracery"));
  EXPECT_TRUE(has("process.pid", ""));
  EXPECT_TRUE(has("host.name", ""));
}

}  // namespace
}  // namespace tracery
