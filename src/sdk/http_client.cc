#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>

namespace tracery::internal {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, 8) == "https://") {
    return Status::InvalidArgument("https endpoints are not supported (no TLS in this exporter): " + std::string(url));
  }
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument("endpoint must start with http://, got '" + std::string(url) + "'");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty()) return Status::InvalidArgument("endpoint has no host: '" + std::string(url) + "'");
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
    int port = 0;
    auto [p, ec] = std::from_chars(out.port.data(), out.port.data() + out.port.size(), port);
    if (ec != std::errc() || p != out.port.data() + out.port.size() || port <= 0 || port > 65535) {
      return Status::InvalidArgument("endpoint has a bad port: '" + std::string(url) + "'");
    }
  } else {
    out.host = std::string(authority);
    out.port = "80";
  }
  if (out.host.empty()) return Status::InvalidArgument("endpoint has no host: '" + std::string(url) + "'");
  return out;
}

struct HttpConnection::State {
  boost::asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;  // open connection, if any
  std::string host, port;                   // what `stream` is connected to
  beast::flat_buffer read_buffer;

  void Close() {
    if (stream) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream->socket().close(ignored);
      stream.reset();
    }
    read_buffer.clear();
  }
  // Runs queued handlers to completion.
  void Run() {
    ioc.restart();
    ioc.run();
  }
};

HttpConnection::HttpConnection() : state_(std::make_unique<State>()) {}
HttpConnection::~HttpConnection() { state_->Close(); }

Result<HttpAnswer> HttpConnection::RoundTrip(const HttpUrl& url, std::string_view method,
                                             const std::vector<std::pair<std::string, std::string>>& headers,
                                             std::string_view body, std::chrono::steady_clock::time_point deadline) {
  State& s = *state_;
  try {
    http::request<http::string_body> req;
    req.method(http::string_to_verb(beast::string_view(method.data(), method.size())));
    req.target(url.path);
    req.version(11);
    req.set(http::field::host, url.host + ":" + url.port);
    req.keep_alive(true);
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body().assign(body.data(), body.size());
    req.prepare_payload();

    for (int attempt = 0;; ++attempt) {
      if (deadline <= std::chrono::steady_clock::now()) {
        s.Close();
        return Status::DeadlineExceeded("export deadline passed before sending to " + url.host);
      }
      const bool reused = s.stream && s.host == url.host && s.port == url.port;
      beast::error_code ec;
      if (!reused) {
        s.Close();
        tcp::resolver resolver(s.ioc);
        auto results = resolver.resolve(url.host, url.port, ec);
        if (ec) return Status::Unavailable("cannot resolve " + url.host + ": " + ec.message());
        s.stream.emplace(s.ioc);
        s.host = url.host;
        s.port = url.port;
        s.stream->expires_at(deadline);
        s.stream->async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
        s.Run();
        if (ec) {
          s.Close();
          return Status::Unavailable("http://" + url.host + ":" + url.port + url.path + ": " + ec.message());
        }
      }
      s.stream->expires_at(deadline);
      HttpAnswer answer;
      bool done = false;
      http::response<http::string_body> res;
      http::async_write(*s.stream, req, [&](beast::error_code e, size_t) {
        if (e) {
          ec = e;
          return;
        }
        http::async_read(*s.stream, s.read_buffer, res, [&](beast::error_code e2, size_t) {
          if (e2) {
            ec = e2;
            return;
          }
          done = true;
        });
      });
      s.Run();
      if (done) {
        answer.status = static_cast<int>(res.result_int());
        answer.body = std::move(res.body());
        auto it = res.find(http::field::retry_after);
        if (it != res.end()) answer.retry_after = std::string(it->value());
        if (!res.keep_alive()) s.Close();
        return answer;
      }
      s.Close();
      // A kept-alive connection the server has since closed fails on first
      // use: try once more on a fresh one. A fresh connection's failure is
      // the answer.
      if (!reused || attempt > 0 || ec == beast::error::timeout) {
        return Status::Unavailable("http://" + url.host + ":" + url.port + url.path + ": " +
                                   (ec ? ec.message() : std::string("no answer")));
      }
    }
  } catch (const std::exception& e) {
    s.Close();
    return Status::Unavailable(std::string("http request failed: ") + e.what());
  }
}

Result<HttpAnswer> HttpRoundTrip(const HttpUrl& url, std::string_view method,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::string_view body, std::chrono::steady_clock::time_point deadline) {
  HttpConnection connection;
  return connection.RoundTrip(url, method, headers, body, deadline);
}

}  // namespace tracery::internal
