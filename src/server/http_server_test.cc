#include "server/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

namespace tracery::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

class EchoHandler : public HttpHandler {
 public:
  std::optional<HttpResponse> Handle(const HttpRequest& req) override {
    if (req.path == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (req.path == "/throw") throw std::runtime_error("boom");
    if (req.path != "/echo" && req.path != "/slow") return std::nullopt;
    std::string out = req.method + " " + req.path;
    for (const auto& [k, v] : req.query) out += " " + k + "=" + v;
    if (const auto* h = req.Header("x-test")) out += " header=" + *h;
    out += " body=" + req.body;
    HttpResponse r;
    r.content_type = "text/plain";
    r.body = out;
    return r;
  }
};

std::pair<int, std::string> Call(uint16_t port, const std::string& method, const std::string& target,
                                 const std::string& body = "") {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "x");
  req.set("X-Test", "yes");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  beast::error_code ec;
  http::read(stream, buf, res, ec);
  if (ec) return {-1, ec.message()};
  return {static_cast<int>(res.result_int()), res.body()};
}

TEST(HttpServerTest, RoutesRequestsAndAnswers404ForUnknownPaths) {
  EchoHandler h;
  HttpServer server(HttpServerOptions{.address = "127.0.0.1"}, {&h});
  ASSERT_TRUE(server.Start().ok());
  auto [status, body] = Call(server.port(), "POST", "/echo?a=1&b=x%2Fy", "payload");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "POST /echo a=1 b=x/y header=yes body=payload");
  auto [s404, b404] = Call(server.port(), "GET", "/nope");
  EXPECT_EQ(s404, 404);
  EXPECT_NE(b404.find("no such endpoint"), std::string::npos);
  auto [s500, b500] = Call(server.port(), "GET", "/throw");
  EXPECT_EQ(s500, 500) << "a throwing handler is answered, not a crash";
}

TEST(HttpServerTest, OversizedBodyIs413) {
  EchoHandler h;
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.max_body_bytes = 1024;
  HttpServer server(o, {&h});
  ASSERT_TRUE(server.Start().ok());
  auto [status, body] = Call(server.port(), "POST", "/echo", std::string(4096, 'x'));
  EXPECT_EQ(status, 413);
  EXPECT_NE(body.find("1024"), std::string::npos);
  EXPECT_EQ(server.counters().rejected_too_large.load(), 1u);
}

TEST(HttpServerTest, BeyondMaxInflightRequestsAnswers503InsteadOfQueueing) {
  EchoHandler h;
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.max_inflight_requests = 1;
  o.worker_threads = 1;
  HttpServer server(o, {&h});
  ASSERT_TRUE(server.Start().ok());
  std::thread slow([&] { EXPECT_EQ(Call(server.port(), "GET", "/slow").first, 200); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Call(server.port(), "GET", "/echo").first, 503);
  slow.join();
  EXPECT_EQ(Call(server.port(), "GET", "/echo").first, 200) << "capacity returns once the slow request ends";
}

// Sends `head` (request line and headers, and any body bytes), then reads
// one response with a 5 s deadline; after a 100 Continue it sends
// `body_after_continue` and reads the final response.
struct RawExchange {
  std::string interim;  // a 1xx status line, if one came
  int status = -1;
  std::string body;
};
RawExchange SendHeadersOnly(uint16_t port, const std::string& head,
                            const std::string& body_after_continue = "") {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  stream.expires_after(std::chrono::seconds(5));
  asio::write(stream.socket(), asio::buffer(head));
  RawExchange out;
  beast::flat_buffer buf;
  beast::error_code ec;
  http::response_parser<http::string_body> p;
  http::read_header(stream, buf, p, ec);
  if (ec) return out;
  if (p.get().result() == http::status::continue_) {
    out.interim = "100";
    asio::write(stream.socket(), asio::buffer(body_after_continue));
    http::response_parser<http::string_body> final_p;
    http::read(stream, buf, final_p, ec);
    if (ec) return out;
    out.status = static_cast<int>(final_p.get().result_int());
    out.body = final_p.get().body();
    return out;
  }
  http::read(stream, buf, p, ec);
  if (ec) return out;
  out.status = static_cast<int>(p.get().result_int());
  out.body = p.get().body();
  return out;
}

// An unauthenticated client announcing a large body is refused as soon as
// its headers are in: the server answers without waiting for (or buffering)
// the body, and the handler never sees the request.
TEST(HttpServerTest, AdmitRefusesBeforeTheBodyIsRead) {
  EchoHandler h;
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.admit = [](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.Header("authorization") != nullptr) return std::nullopt;
    EXPECT_TRUE(r.body.empty()) << "admit sees headers only";
    return JsonError(401, "send a token");
  };
  HttpServer server(o, {&h});
  ASSERT_TRUE(server.Start().ok());
  // Ten megabytes announced, none sent: an answer can only come from the
  // header check (the read would otherwise wait for the body until timeout).
  auto r =
      SendHeadersOnly(server.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("send a token"), std::string::npos);
  EXPECT_EQ(server.counters().refused_before_body.load(), 1u);
  EXPECT_EQ(server.counters().requests.load(), 0u) << "no handler ran";

  auto [status, body] = Call(server.port(), "POST", "/echo", "x");  // no token: refused as well
  EXPECT_EQ(status, 401);
  auto ok =
      SendHeadersOnly(server.port(),
                      "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: 3\r\n"
                      "Connection: close\r\n\r\nabc");
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("body=abc"), std::string::npos) << "an admitted request is read whole";
}

// curl sends `Expect: 100-continue` for bodies over 1 MiB and waits for the
// interim answer before sending the body.
TEST(HttpServerTest, ExpectContinueIsAnsweredThenTheBodyRead) {
  EchoHandler h;
  HttpServer server(HttpServerOptions{.address = "127.0.0.1"}, {&h});
  ASSERT_TRUE(server.Start().ok());
  auto r = SendHeadersOnly(server.port(),
                           "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
                           "Connection: close\r\n\r\n",
                           "hello");
  EXPECT_EQ(r.interim, "100");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("body=hello"), std::string::npos);
}

// The query port's two lanes: while every heavy worker is busy with a slow
// request, a light request is answered at once instead of waiting in line.
TEST(HttpServerTest, LightRequestsDoNotWaitBehindHeavyOnes) {
  EchoHandler h;
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.worker_threads = 1;
  o.is_light = [](const HttpRequest& r) { return r.path == "/echo"; };
  o.light_worker_threads = 1;
  HttpServer server(o, {&h});
  ASSERT_TRUE(server.Start().ok());
  std::vector<std::thread> slow;
  for (int i = 0; i < 3; ++i) slow.emplace_back([&] { EXPECT_EQ(Call(server.port(), "GET", "/slow").first, 200); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(Call(server.port(), "GET", "/echo").first, 200);
  const auto waited = std::chrono::steady_clock::now() - t0;
  // Behind the heavy lane it would wait for the queued /slow requests (~700 ms).
  EXPECT_LT(waited, std::chrono::milliseconds(250));
  for (auto& t : slow) t.join();
}

TEST(HttpServerTest, PortInUseIsAnError) {
  EchoHandler h;
  HttpServer a(HttpServerOptions{.address = "127.0.0.1"}, {&h});
  ASSERT_TRUE(a.Start().ok());
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.port = a.port();
  HttpServer b(o, {&h});
  Status st = b.Start();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(std::to_string(a.port())), std::string::npos);
}

}  // namespace
// Handlers on a server with worker_nice run at a lower priority than the
// process, so a query storm yields the CPU to ingest workers on other ports.
class NiceProbeHandler : public HttpHandler {
 public:
  std::optional<HttpResponse> Handle(const HttpRequest& req) override {
    HttpResponse r;
    r.content_type = "text/plain";
    r.body = std::to_string(::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))));
    return r;
  }
};

TEST(HttpServerTest, WorkerNiceLowersHandlerThreadPriority) {
  NiceProbeHandler h;
  const int process_nice = ::getpriority(PRIO_PROCESS, 0);
  HttpServer plain(HttpServerOptions{.address = "127.0.0.1"}, {&h});
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.worker_nice = 5;
  HttpServer niced(o, {&h});
  ASSERT_TRUE(plain.Start().ok());
  ASSERT_TRUE(niced.Start().ok());
  EXPECT_EQ(Call(plain.port(), "GET", "/").second, std::to_string(process_nice));
  EXPECT_EQ(Call(niced.port(), "GET", "/").second, std::to_string(std::min(19, process_nice + 5)));
}

}  // namespace tracery::server
