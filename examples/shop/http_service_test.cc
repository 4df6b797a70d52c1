#include "http_service.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "span_capture_for_test.h"
#include "tracery/propagation.h"

namespace shop {
namespace {

using testing::Attr;

TEST(ParseFormTest, DecodesPairsAndKeepsMalformedEscapes) {
  auto f = ParseForm("a=1&b=x%20y+z&&c&d=%zz");
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(FormValue(f, "a"), "1");
  EXPECT_EQ(FormValue(f, "b"), "x y z");
  EXPECT_EQ(FormValue(f, "c", "fallback"), "");
  EXPECT_EQ(FormValue(f, "d"), "%zz");
  EXPECT_EQ(FormValue(f, "missing", "fallback"), "fallback");
}

TEST(RouterTest, MatchesMethodAndPlaceholders) {
  Router router;
  int hit = 0;
  router.Add("GET", "/product/{id}", [&](const RoutedRequest&, tracery::Span&) { hit = 1; return MakeResponse(200, ""); });
  router.Add("POST", "/cart/{session}/items", [&](const RoutedRequest&, tracery::Span&) { hit = 2; return MakeResponse(200, ""); });
  auto m = router.Find("GET", "/product/A%20B");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->pattern, "/product/{id}");
  ASSERT_EQ(m->params.size(), 1u);
  EXPECT_EQ(m->params[0].second, "A B");
  EXPECT_TRUE(router.Find("POST", "/cart/s1/items"));
  EXPECT_FALSE(router.Find("POST", "/product/1"));
  EXPECT_FALSE(router.Find("GET", "/product"));
  EXPECT_FALSE(router.Find("GET", "/product/1/extra"));
}

TEST(ServeRoutedTest, UnknownRouteIs404AndHealthzIsUntraced) {
  testing::CaptureSpans capture;
  Router router;
  HttpRequest req{bhttp::verb::get, "/nowhere", 11};
  HttpResponse res = ServeRouted(router, req, "svc");
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_NE(res.body().find("no route for GET /nowhere"), std::string::npos);
  HttpRequest health{bhttp::verb::get, "/healthz", 11};
  EXPECT_EQ(ServeRouted(router, health, "svc").result_int(), 200u);
  EXPECT_TRUE(capture.Spans().empty());
}

TEST(ServeRoutedTest, HandlerExceptionIs500AndRecordedOnTheSpan) {
  testing::CaptureSpans capture;
  Router router;
  router.Add("GET", "/boom", [](const RoutedRequest&, tracery::Span&) -> HttpResponse {
    throw std::runtime_error("kaput");
  });
  HttpRequest req{bhttp::verb::get, "/boom", 11};
  HttpResponse res = ServeRouted(router, req, "svc");
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_NE(res.body().find("kaput"), std::string::npos);
  auto spans = capture.Spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].status().code(), testing::otlp::trace::v1::Status::STATUS_CODE_ERROR);
}

// Regression: TraceServer alone makes its span current with the baggage
// that was current before it, so a service would not see the caller's
// baggage; ServeRouted must hand it to the handler and to calls it makes.
TEST(HttpServerTest, BaggageAndTraceCrossTheWireAndReachTheHandler) {
  testing::CaptureSpans capture;
  Router router;
  std::string seen_tier;
  router.Add("GET", "/who/{name}", [&](const RoutedRequest& r, tracery::Span& span) {
    seen_tier = std::string(tracery::CurrentContext().baggage.Get("customer.tier").value_or("<none>"));
    return MakeResponse(200, "hello " + r.PathParam("name") + " " + FormValue(r.query, "x"), "text/plain");
  });
  HttpServer server("svc", router, 2);
  ASSERT_TRUE(server.Start("127.0.0.1", 0).ok());
  ServiceClient client("svc", "127.0.0.1", server.port());

  tracery::Span root = tracery::GetTracer("test").StartSpan("root");
  tracery::Context ctx{root.context(), tracery::Baggage().Set("customer.tier", "gold").Set("session.id", "s-1")};
  {
    tracery::Scope scope(ctx);
    for (int i = 0; i < 2; ++i) {  // the second call reuses the pooled connection
      auto res = client.Call(bhttp::verb::get, "/who/ann?x=1");
      ASSERT_TRUE(res.ok()) << res.status().message();
      EXPECT_EQ(res->result_int(), 200u);
      EXPECT_EQ(res->body(), "hello ann 1");
    }
  }
  root.End();
  server.Stop();
  EXPECT_EQ(seen_tier, "gold");

  auto spans = capture.Spans();
  ASSERT_EQ(spans.size(), 5u);  // root, 2 x (client, server)
  int servers = 0;
  for (const auto& s : spans) {
    EXPECT_EQ(s.trace_id(), spans.back().trace_id());
    if (s.kind() != testing::otlp::trace::v1::Span::SPAN_KIND_SERVER) continue;
    ++servers;
    EXPECT_EQ(s.name(), "GET /who/{name}");
    EXPECT_EQ(Attr(s, "customer.tier"), "gold");
    EXPECT_EQ(Attr(s, "session.id"), "s-1");
    bool parent_is_client = false;
    for (const auto& c : spans) {
      if (c.span_id() == s.parent_span_id()) parent_is_client = c.kind() == testing::otlp::trace::v1::Span::SPAN_KIND_CLIENT;
    }
    EXPECT_TRUE(parent_is_client);
  }
  EXPECT_EQ(servers, 2);
}

TEST(HttpServerTest, MalformedRequestGets400AndTheServerKeepsServing) {
  Router router;
  router.Add("GET", "/ok", [](const RoutedRequest&, tracery::Span&) { return MakeResponse(200, "fine", "text/plain"); });
  HttpServer server("svc", router, 1);
  ASSERT_TRUE(server.Start("127.0.0.1", 0).ok());
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket s(ioc);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
    boost::asio::write(s, boost::asio::buffer(std::string("GARBAGE \x01\x02 NOT HTTP\r\n\r\n")));
    std::string reply;
    boost::system::error_code ec;
    char buf[512];
    for (size_t n; (n = s.read_some(boost::asio::buffer(buf), ec)) > 0 && !ec;) reply.append(buf, n);
    EXPECT_NE(reply.find("400 Bad Request"), std::string::npos) << reply;
    EXPECT_NE(reply.find("malformed HTTP request"), std::string::npos) << reply;
  }
  ServiceClient client("svc", "127.0.0.1", server.port());
  auto res = client.Call(bhttp::verb::get, "/ok");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->body(), "fine");
}

TEST(ServiceClientTest, UnreachablePeerIsUnavailableNotAnException) {
  // Bind and close to find a port nobody listens on.
  Router router;
  uint16_t port;
  {
    HttpServer server("svc", router, 1);
    ASSERT_TRUE(server.Start("127.0.0.1", 0).ok());
    port = server.port();
  }
  ServiceClient client("gone", "127.0.0.1", port);
  auto res = client.Call(bhttp::verb::get, "/");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), tracery::Status::Code::kUnavailable);
  EXPECT_NE(res.status().message().find("gone"), std::string::npos);
}

TEST(HttpServerTest, PortInUseIsAClearError) {
  Router router;
  HttpServer a("a", router, 1), b("b", router, 1);
  ASSERT_TRUE(a.Start("127.0.0.1", 0).ok());
  tracery::Status st = b.Start("127.0.0.1", a.port());
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("SHOP_BASE_PORT"), std::string::npos);
}

}  // namespace
}  // namespace shop
