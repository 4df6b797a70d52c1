#include "http_service.h"

#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <exception>

#include "json_text.h"
#include "tracery/instrumentation/beast_http.h"
#include "tracery/propagation.h"

namespace shop {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string DecodeFormComponent(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && HexDigit(s[i + 1]) >= 0 &&
               HexDigit(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string_view Sv(beast::string_view v) { return std::string_view(v.data(), v.size()); }

}  // namespace

std::vector<std::pair<std::string, std::string>> ParseForm(std::string_view form) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!form.empty()) {
    size_t amp = form.find('&');
    std::string_view part = form.substr(0, amp);
    form = amp == std::string_view::npos ? std::string_view{} : form.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view k = part.substr(0, eq);
    std::string_view v = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
    out.emplace_back(DecodeFormComponent(k), DecodeFormComponent(v));
  }
  return out;
}

std::string FormValue(const std::vector<std::pair<std::string, std::string>>& pairs, std::string_view key,
                      std::string_view fallback) {
  for (const auto& [k, v] : pairs) {
    if (k == key) return v;
  }
  return std::string(fallback);
}

void Router::Add(std::string method, std::string pattern, RouteHandler handler) {
  std::vector<std::string> segments = SplitPath(pattern);
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

std::optional<Router::Match> Router::Find(std::string_view method, std::string_view path) const {
  std::vector<std::string> parts = SplitPath(path);
  for (const Route& r : routes_) {
    if (r.method != method || r.segments.size() != parts.size()) continue;
    Match m;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      const std::string& seg = r.segments[i];
      if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
        m.params.emplace_back(seg.substr(1, seg.size() - 2), DecodeFormComponent(parts[i]));
      } else {
        ok = seg == parts[i];
      }
    }
    if (!ok) continue;
    m.handler = &r.handler;
    m.pattern = r.pattern;
    return m;
  }
  return std::nullopt;
}

HttpResponse MakeResponse(unsigned status, std::string body, std::string_view content_type) {
  HttpResponse res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

HttpResponse ServeRouted(const Router& router, const HttpRequest& request, std::string_view service_name) {
  std::string_view target = Sv(request.target());
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  std::string_view method = Sv(request.method_string());
  if (method == "GET" && path == "/healthz") return MakeResponse(200, "ok\n", "text/plain");
  std::optional<Router::Match> match = router.Find(method, path);
  if (!match) {
    return MakeResponse(404, "{\"error\":" + JsonQuote(std::string(service_name) + ": no route for " +
                                                       std::string(method) + " " + std::string(path)) + "}");
  }
  // tracery::http::TraceServer extracts the caller's context once and makes
  // it current, baggage included, for the handler and every call it makes
  // (HttpServerTest.BaggageAndTraceCrossTheWireAndReachTheHandler). Do not
  // extract here as well: that doubled the header parsing per request.
  RoutedRequest routed{request, std::move(match->params), ParseForm(query)};
  std::string route;
  route.append(method).push_back(' ');
  route.append(match->pattern);
  const RouteHandler& handler = *match->handler;
  try {
    return tracery::http::TraceServer(request, route, [&](tracery::Span& span) {
      const tracery::Baggage& baggage = tracery::CurrentContext().baggage;
      if (auto tier = baggage.Get("customer.tier")) span.SetAttribute("customer.tier", *tier);
      if (auto session = baggage.Get("session.id")) span.SetAttribute("session.id", *session);
      return handler(routed, span);
    });
  } catch (const std::exception& e) {
    // TraceServer recorded the exception on the span.
    return MakeResponse(500, "{\"error\":" + JsonQuote(std::string(service_name) + ": " + e.what()) + "}");
  }
}

// One connection: read a request, answer it, repeat while keep-alive.
// Handlers of one session never run concurrently (each step starts the next).
class HttpServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer& server) : stream_(std::move(socket)), server_(server) {}

  void Read() {
    request_ = {};
    stream_.expires_after(std::chrono::seconds(120));
    bhttp::async_read(stream_, buffer_, request_,
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    if (ec) {
      // Malformed HTTP from the peer: say what was wrong, then close.
      response_ = MakeResponse(400, "{\"error\":" + JsonQuote("malformed HTTP request: " + ec.message()) + "}");
      response_.keep_alive(false);
    } else {
      response_ = ServeRouted(server_.router_, request_, server_.service_name_);
      response_.keep_alive(request_.keep_alive());
    }
    response_.prepare_payload();
    bhttp::async_write(stream_, response_,
                       [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(beast::error_code ec) {
    if (ec) return;
    if (!response_.keep_alive()) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    Read();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  HttpRequest request_;
  HttpResponse response_;
  HttpServer& server_;
};

HttpServer::HttpServer(std::string service_name, const Router& router, unsigned threads)
    : service_name_(std::move(service_name)), router_(router), threads_count_(threads == 0 ? 1 : threads) {}

HttpServer::~HttpServer() { Stop(); }

tracery::Status HttpServer::Start(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return tracery::Status::InvalidArgument("listen address '" + host + "' is not an IP address");
  tcp::endpoint endpoint(address, port);
  acceptor_.emplace(ioc_);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return tracery::Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                                        ec.message() + " (is another copy running? set SHOP_BASE_PORT)");
  }
  port_ = acceptor_->local_endpoint().port();
  Accept();
  for (unsigned i = 0; i < threads_count_; ++i) threads_.emplace_back([this] { ioc_.run(); });
  return tracery::Status::Ok();
}

void HttpServer::Accept() {
  acceptor_->async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), *this)->Read();
    }
    Accept();
  });
}

void HttpServer::Stop() {
  if (threads_.empty()) return;
  asio::post(ioc_, [this] {
    boost::system::error_code ignored;
    if (acceptor_) acceptor_->close(ignored);
  });
  ioc_.stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

struct ServiceClient::Connection {
  explicit Connection(asio::io_context& ioc) : socket(ioc) {}
  tcp::socket socket;
  beast::flat_buffer buffer;
  bool reused = false;
};

ServiceClient::ServiceClient(std::string peer_name, std::string host, uint16_t port)
    : peer_name_(std::move(peer_name)), host_(std::move(host)), port_(port),
      host_header_(host_ + ":" + std::to_string(port)) {}

ServiceClient::~ServiceClient() = default;

std::unique_ptr<ServiceClient::Connection> ServiceClient::Acquire(bool fresh, boost::system::error_code& ec) {
  if (!fresh) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Connection> c = std::move(idle_.back());
      idle_.pop_back();
      c->reused = true;
      return c;
    }
  }
  auto c = std::make_unique<Connection>(ioc_);
  asio::ip::address address = asio::ip::make_address(host_, ec);
  if (ec) return c;
  c->socket.connect(tcp::endpoint(address, port_), ec);
  if (!ec) c->socket.set_option(tcp::no_delay(true), ec);
  return c;
}

void ServiceClient::Release(std::unique_ptr<Connection> c) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(c));
}

HttpResponse ServiceClient::Exchange(HttpRequest& req) {
  for (int attempt = 0;; ++attempt) {
    boost::system::error_code ec;
    std::unique_ptr<Connection> c = Acquire(attempt > 0, ec);
    if (ec) throw boost::system::system_error(ec, "connect to " + peer_name_ + " at " + host_header_);
    bhttp::write(c->socket, req, ec);
    HttpResponse res;
    if (!ec) bhttp::read(c->socket, c->buffer, res, ec);
    if (ec) {
      // A pooled connection the server has since closed: try a new one once.
      if (c->reused && attempt == 0) continue;
      throw boost::system::system_error(ec, peer_name_ + " at " + host_header_);
    }
    if (res.keep_alive()) Release(std::move(c));
    return res;
  }
}

tracery::Result<HttpResponse> ServiceClient::Call(bhttp::verb method, std::string_view target, std::string body,
                                                  std::string_view content_type,
                                                  const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpRequest req{method, beast::string_view(target.data(), target.size()), 11};
  req.set(bhttp::field::host, host_header_);
  req.set(bhttp::field::user_agent, "tracery-demo-shop");
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty()) {
    req.set(bhttp::field::content_type, beast::string_view(content_type.data(), content_type.size()));
    req.body() = std::move(body);
  }
  req.keep_alive(true);
  req.prepare_payload();
  try {
    return tracery::http::TraceClient(req, peer_name_, [&](HttpRequest& traced) { return Exchange(traced); });
  } catch (const std::exception& e) {
    return tracery::Status::Unavailable(std::string(e.what()));
  }
}

}  // namespace shop
