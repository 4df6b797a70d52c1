#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>

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

Result<HttpAnswer> HttpRoundTrip(const HttpUrl& url, std::string_view method,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::string_view body, std::chrono::steady_clock::time_point deadline) {
  try {
    boost::asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    auto remaining = deadline - std::chrono::steady_clock::now();
    if (remaining <= std::chrono::steady_clock::duration::zero()) {
      return Status::DeadlineExceeded("export deadline passed before connecting to " + url.host);
    }
    beast::error_code ec;
    auto results = resolver.resolve(url.host, url.port, ec);
    if (ec) return Status::Unavailable("cannot resolve " + url.host + ": " + ec.message());
    stream.expires_at(deadline);

    http::request<http::string_body> req;
    req.method(http::string_to_verb(beast::string_view(method.data(), method.size())));
    req.target(url.path);
    req.version(11);
    req.set(http::field::host, url.host + ":" + url.port);
    req.set(http::field::connection, "close");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body().assign(body.data(), body.size());
    req.prepare_payload();

    HttpAnswer answer;
    bool done = false;
    stream.async_connect(results, [&](beast::error_code e, const tcp::endpoint&) {
      if (e) {
        ec = e;
        return;
      }
      http::async_write(stream, req, [&](beast::error_code e2, size_t) {
        if (e2) {
          ec = e2;
          return;
        }
        auto buffer = std::make_shared<beast::flat_buffer>();
        auto res = std::make_shared<http::response<http::string_body>>();
        http::async_read(stream, *buffer, *res, [&, buffer, res](beast::error_code e3, size_t) {
          if (e3) {
            ec = e3;
            return;
          }
          answer.status = static_cast<int>(res->result_int());
          answer.body = std::move(res->body());
          auto it = res->find(http::field::retry_after);
          if (it != res->end()) answer.retry_after = std::string(it->value());
          done = true;
        });
      });
    });
    ioc.run();
    if (!done) {
      return Status::Unavailable("http://" + url.host + ":" + url.port + url.path + ": " +
                                 (ec ? ec.message() : std::string("no answer")));
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return answer;
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("http request failed: ") + e.what());
  }
}

}  // namespace tracery::internal
