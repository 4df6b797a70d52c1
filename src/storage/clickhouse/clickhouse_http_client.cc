#include "storage/clickhouse/clickhouse_http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>

namespace tracery::storage::clickhouse {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

void AppendUrlEncoded(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out->push_back(static_cast<char>(c));
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
}

// ClickHouse error codes (ErrorCodes.cpp) that mean "retry later".
bool IsOverloadCode(int code) {
  switch (code) {
    case 202:  // TOO_MANY_SIMULTANEOUS_QUERIES
    case 241:  // MEMORY_LIMIT_EXCEEDED
    case 252:  // TOO_MANY_PARTS
    case 201:  // QUOTA_EXPIRED
    case 242:  // TABLE_IS_READ_ONLY (replica lost ZooKeeper)
    case 243:  // NOT_ENOUGH_SPACE
      return true;
    default:
      return false;
  }
}

}  // namespace

Status StatusFromClickHouseError(int http_status, std::string_view body) {
  int code = 0;
  if (body.substr(0, 6) == "Code: ") {
    std::from_chars(body.data() + 6, body.data() + body.size(), code);
  }
  std::string text(body.substr(0, 2000));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::string msg = "ClickHouse: " + text;
  if (IsOverloadCode(code)) return Status::ResourceExhausted(msg);
  if (code == 159 || code == 160) return Status::DeadlineExceeded(msg);  // TIMEOUT_EXCEEDED, TOO_SLOW
  if (code == 516 || code == 192 || code == 193 || code == 194 || http_status == 401 || http_status == 403)
    return Status::Unauthenticated(msg + " (check the ClickHouse user and password)");
  if (code == 210 || code == 209 || http_status == 502 || http_status == 503)
    return Status::Unavailable(msg);  // NETWORK_ERROR, SOCKET_TIMEOUT
  return Status::InvalidArgument(msg);
}

Result<std::pair<std::string, uint16_t>> ParseClickHouseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return Status::InvalidArgument("ClickHouse url must start with http:// (got '" + std::string(url) + "')");
  std::string_view rest = url.substr(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos)
    return Status::InvalidArgument("ClickHouse url must have no path (got '" + std::string(url) + "')");
  std::string_view host = rest;
  uint16_t port = 8123;
  if (size_t colon = rest.rfind(':');
      colon != std::string_view::npos && rest.find(']', colon) == std::string_view::npos) {
    host = rest.substr(0, colon);
    std::string_view p = rest.substr(colon + 1);
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || ptr != p.data() + p.size() || v == 0 || v > 65535)
      return Status::InvalidArgument("ClickHouse url has a bad port (got '" + std::string(url) + "')");
    port = static_cast<uint16_t>(v);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty())
    return Status::InvalidArgument("ClickHouse url has no host (got '" + std::string(url) + "')");
  return std::make_pair(std::string(host), port);
}

struct ClickHouseHttpClient::Connection {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
};

ClickHouseHttpClient::ClickHouseHttpClient(HttpClientOptions options) : options_(std::move(options)) {}
ClickHouseHttpClient::~ClickHouseHttpClient() = default;

std::unique_ptr<ClickHouseHttpClient::Connection> ClickHouseHttpClient::TakeIdle() {
  std::lock_guard lock(mu_);
  if (idle_.empty()) return nullptr;
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return c;
}

void ClickHouseHttpClient::ReturnIdle(std::unique_ptr<Connection> c) {
  std::lock_guard lock(mu_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(c));
}

Result<std::string> ClickHouseHttpClient::RoundTrip(const std::string& target, std::string_view body) {
  // Every socket operation is asynchronous on the connection's own
  // io_context, run to completion here, so that beast's stream deadline
  // bounds it (blocking socket calls would ignore the deadline).
  auto run = [](Connection* c) {
    c->ioc.restart();
    c->ioc.run();
  };
  // A pooled connection may have been closed by the server's keep-alive
  // timeout; such a failure before any answer is retried once on a fresh
  // connection. Statements are retry-safe (inserts may duplicate rows,
  // which trace assembly removes).
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> conn = attempt == 0 ? TakeIdle() : nullptr;
    bool reused = conn != nullptr;
    try {
      beast::error_code ec;
      if (!conn) {
        conn = std::make_unique<Connection>();
        asio::ip::tcp::resolver resolver(conn->ioc);
        auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port), ec);
        if (ec)
          return Status::Unavailable("ClickHouse host '" + options_.host +
                                     "' does not resolve: " + ec.message());
        conn->stream.expires_after(std::chrono::milliseconds(options_.connect_timeout_ms));
        conn->stream.async_connect(endpoints, [&](beast::error_code e, const auto&) { ec = e; });
        run(conn.get());
        if (ec)
          return Status::Unavailable("cannot connect to ClickHouse at " + options_.host + ":" +
                                     std::to_string(options_.port) + ": " + ec.message());
        conn->stream.socket().set_option(asio::ip::tcp::no_delay(true));
      }
      http::request<http::string_body> req{http::verb::post, target, 11};
      req.set(http::field::host, options_.host);
      req.set(http::field::connection, "keep-alive");
      req.body().assign(body.data(), body.size());
      req.prepare_payload();

      conn->stream.expires_after(std::chrono::milliseconds(options_.request_timeout_ms));
      http::async_write(conn->stream, req, [&](beast::error_code e, size_t) { ec = e; });
      run(conn.get());
      if (ec) {
        if (reused && ec != beast::error::timeout) continue;
        return Status::Unavailable("sending to ClickHouse failed: " + ec.message());
      }
      http::response_parser<http::string_body> parser;
      parser.body_limit(std::numeric_limits<uint64_t>::max());
      http::async_read(conn->stream, conn->buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
      run(conn.get());
      if (ec) {
        if (ec == beast::error::timeout)
          return Status::Unavailable("ClickHouse did not answer within " +
                                     std::to_string(options_.request_timeout_ms) + " ms");
        if (reused && (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
                       ec == asio::error::eof))
          continue;
        return Status::Unavailable("reading ClickHouse's answer failed: " + ec.message());
      }
      auto res = parser.release();
      bool keep = res.keep_alive();
      int code = static_cast<int>(res.result_int());
      std::string out = std::move(res.body());
      if (keep) {
        conn->stream.expires_never();
        ReturnIdle(std::move(conn));
      }
      if (code != 200) return StatusFromClickHouseError(code, out);
      return out;
    } catch (const std::exception& e) {
      return Status::Unavailable(std::string("ClickHouse request failed: ") + e.what());
    }
  }
  return Status::Unavailable("ClickHouse closed the connection twice");
}

Result<std::string> ClickHouseHttpClient::Execute(
    std::string_view statement, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& settings) {
  std::string target = "/?query=";
  AppendUrlEncoded(&target, statement);
  if (!options_.database.empty()) {
    target += "&database=";
    AppendUrlEncoded(&target, options_.database);
  }
  target += "&user=";
  AppendUrlEncoded(&target, options_.user);
  if (!options_.password.empty()) {
    target += "&password=";
    AppendUrlEncoded(&target, options_.password);
  }
  for (const auto& [k, v] : settings) {
    target += '&';
    AppendUrlEncoded(&target, k);
    target += '=';
    AppendUrlEncoded(&target, v);
  }
  return RoundTrip(target, body);
}

Result<std::string> ClickHouseHttpClient::Query(
    std::string_view statement, const std::vector<std::pair<std::string, std::string>>& settings) {
  std::string target = "/?user=";
  AppendUrlEncoded(&target, options_.user);
  if (!options_.password.empty()) {
    target += "&password=";
    AppendUrlEncoded(&target, options_.password);
  }
  if (!options_.database.empty()) {
    target += "&database=";
    AppendUrlEncoded(&target, options_.database);
  }
  for (const auto& [k, v] : settings) {
    target += '&';
    AppendUrlEncoded(&target, k);
    target += '=';
    AppendUrlEncoded(&target, v);
  }
  return RoundTrip(target, statement);
}

}  // namespace tracery::storage::clickhouse
