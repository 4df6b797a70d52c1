// The HTTP plumbing every demo-shop service shares: a small traced HTTP/1.1
// server (Boost.Beast, a fixed pool of threads running one io_context) with
// a route table, and a keep-alive client for calling another service.
//
// Tracing: every routed request runs inside tracery::http::TraceServer (a
// SERVER span continuing the caller's trace, W3C traceparent + baggage from
// the global propagator), and every call through ServiceClient inside
// tracery::http::TraceClient (a CLIENT span, context injected). The incoming
// baggage is made current for the handler (see ServeRouted), and its
// customer.tier / session.id members are recorded on the SERVER span.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"
#include "tracery/trace.h"

namespace shop {

namespace bhttp = boost::beast::http;
using HttpRequest = bhttp::request<bhttp::string_body>;
using HttpResponse = bhttp::response<bhttp::string_body>;

// "a=1&b=x%20y" (a query string or a form body) as decoded pairs. Malformed
// percent escapes are kept verbatim; never fails.
std::vector<std::pair<std::string, std::string>> ParseForm(std::string_view form);
// The value of `key` in `pairs`, or `fallback`.
std::string FormValue(const std::vector<std::pair<std::string, std::string>>& pairs, std::string_view key,
                      std::string_view fallback = {});

// What a handler sees: the raw request, the values bound to the route's
// {placeholders}, and the decoded query string.
struct RoutedRequest {
  const HttpRequest& raw;
  std::vector<std::pair<std::string, std::string>> path_params;
  std::vector<std::pair<std::string, std::string>> query;
  std::string PathParam(std::string_view name) const { return FormValue(path_params, name); }
};

// A handler answers one request. It runs on a server thread with its SERVER
// span current (children it starts, and ServiceClient calls it makes, join
// the trace); `span` is that SERVER span. It may throw: the exception is
// recorded on the span and answered with 500.
using RouteHandler = std::function<HttpResponse(const RoutedRequest&, tracery::Span& span)>;

// A route table: "GET" + "/product/{id}" style patterns, matched segment by
// segment ({name} matches one non-empty segment). Not thread-safe to
// modify; Match is safe from any thread once routes are added.
class Router {
 public:
  void Add(std::string method, std::string pattern, RouteHandler handler);
  struct Match {
    const RouteHandler* handler = nullptr;
    std::string_view pattern;  // the route template, e.g. "/product/{id}"
    std::vector<std::pair<std::string, std::string>> params;
  };
  // The first route matching method and path (path without the query), or nullopt.
  std::optional<Match> Find(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    RouteHandler handler;
  };
  std::vector<Route> routes_;
};

// Builds a response with `body` and a content type.
HttpResponse MakeResponse(unsigned status, std::string body, std::string_view content_type = "application/json");

// Answers one request through the router: 404 for an unknown route,
// `GET /healthz` answered untraced, everything else traced as described at
// the top of this file. Exposed so tests can drive it without sockets.
HttpResponse ServeRouted(const Router& router, const HttpRequest& request, std::string_view service_name);

// A listening HTTP/1.1 server. Connections are kept alive; a request
// occupies one pool thread while its handler runs (handlers may block on
// downstream calls), idle connections occupy none.
class HttpServer {
 public:
  // `threads`: the pool size, i.e. how many requests run at once.
  HttpServer(std::string service_name, const Router& router, unsigned threads);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (port 0 = any free port) and starts the pool.
  tracery::Status Start(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }
  // Stops accepting, closes connections, joins the pool. Idempotent.
  void Stop();

 private:
  class Session;
  void Accept();

  std::string service_name_;
  const Router& router_;
  unsigned threads_count_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
};

// Calls one peer service over keep-alive connections (a small pool of idle
// connections, one per concurrent caller at most). Thread-safe.
class ServiceClient {
 public:
  // `peer_name` goes into the CLIENT span's server.address (e.g. "cart").
  ServiceClient(std::string peer_name, std::string host, uint16_t port);
  ~ServiceClient();

  // Sends one request inside a CLIENT span (child of the current context,
  // which is injected into the headers), with `headers` added. A response with any status is a
  // value; a connection or protocol failure is Unavailable. A stale pooled
  // connection is replaced transparently (once) before giving up.
  tracery::Result<HttpResponse> Call(bhttp::verb method, std::string_view target, std::string body = {},
                                     std::string_view content_type = "application/x-www-form-urlencoded",
                                     const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  struct Connection;
  std::unique_ptr<Connection> Acquire(bool fresh, boost::system::error_code& ec);
  void Release(std::unique_ptr<Connection> c);
  HttpResponse Exchange(HttpRequest& req);  // throws boost::system::system_error

  std::string peer_name_;
  std::string host_;
  uint16_t port_;
  std::string host_header_;
  boost::asio::io_context ioc_;  // sockets only; never run (synchronous I/O)
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // GUARDED_BY(mu_)
};

}  // namespace shop
