// Test-only collectors: a Beast HTTP server with a programmable answer, and
// helpers to decode what the SDK sent with the generated OTLP classes.
#pragma once

#include <zlib.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace tracery::testing {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

inline std::string Gunzip(const std::string& in) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(in.size() * 20 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

inline size_t CountSpans(const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& req) {
  size_t n = 0;
  for (const auto& rs : req.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) n += static_cast<size_t>(ss.spans_size());
  }
  return n;
}

struct Answer {
  int status = 200;
  std::string retry_after;
  std::string body;
};

// Serves on 127.0.0.1:port (0 = any free port) until Stop(); Start() again
// on the same port simulates a collector coming back.
class TestHttpServer {
 public:
  using Handler = std::function<Answer(const http::request<http::string_body>&)>;
  explicit TestHttpServer(Handler handler) : handler_(std::move(handler)) {}
  ~TestHttpServer() { Stop(); }

  void Start(unsigned short port = 0) {
    reservation_.reset();
    acceptor_ = std::make_unique<tcp::acceptor>(ioc_);
    tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
    acceptor_->open(ep.protocol());
    acceptor_->set_option(boost::asio::socket_base::reuse_address(true));
    acceptor_->bind(ep);
    acceptor_->listen();
    port_ = acceptor_->local_endpoint().port();
    running_ = true;
    thread_ = std::thread([this] { Serve(); });
  }
  void Stop() {
    if (!running_.exchange(false)) return;
    boost::system::error_code ec;
    acceptor_->cancel(ec);
    acceptor_->close(ec);
    // Unblock accept() with a throwaway connection.
    try {
      boost::asio::io_context io;
      tcp::socket s(io);
      s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_), ec);
    } catch (...) {
    }
    thread_.join();
    // Keep the port bound but not listening: clients get "connection
    // refused", and no other test (ctest runs them in parallel) can take the
    // port and receive this test's exports.
    reservation_ = std::make_unique<tcp::acceptor>(ioc_);
    tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port_);
    reservation_->open(ep.protocol(), ec);
    reservation_->set_option(boost::asio::socket_base::reuse_address(true), ec);
    reservation_->bind(ep, ec);
  }
  unsigned short port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Bodies (decompressed) of every request answered 2xx.
  std::vector<std::string> accepted() {
    std::lock_guard<std::mutex> lock(mu_);
    return accepted_;
  }
  int requests() const { return requests_.load(); }
  int connections() const { return connections_.load(); }
  // Serve many requests per connection (default: answer one, then close
  // without saying so, as a server whose idle timeout fired would).
  // REQUIRES: called before Start.
  void set_keep_alive(bool keep_alive) { keep_alive_ = keep_alive; }

 private:
  void Serve() {
    while (running_) {
      tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_->accept(socket, ec);
      if (ec || !running_) return;
      ++connections_;
      boost::beast::flat_buffer buffer;
      // keep_alive: serve requests on this connection until the client closes it.
      do {
        if (!ServeOne(socket, buffer)) break;
      } while (keep_alive_ && running_);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }
  // Reads and answers one request; false when the connection is done.
  bool ServeOne(tcp::socket& socket, boost::beast::flat_buffer& buffer) {
    boost::system::error_code ec;
    {
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) return false;
      ++requests_;
      Answer a = handler_(req);
      http::response<http::string_body> res{static_cast<http::status>(a.status), 11};
      if (!a.retry_after.empty()) res.set(http::field::retry_after, a.retry_after);
      res.body() = a.body;
      res.prepare_payload();
      // Record before answering: once the client sees 2xx, the test may look.
      if (a.status >= 200 && a.status < 300) {
        std::string body = req[http::field::content_encoding] == "gzip" ? Gunzip(req.body()) : req.body();
        std::lock_guard<std::mutex> lock(mu_);
        accepted_.push_back(std::move(body));
      }
      http::write(socket, res, ec);
      return !ec;
    }
  }

  Handler handler_;
  boost::asio::io_context ioc_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<tcp::acceptor> reservation_;
  std::atomic<bool> running_{false};
  std::thread thread_;
  unsigned short port_ = 0;
  std::mutex mu_;
  std::vector<std::string> accepted_;
  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};
  bool keep_alive_ = false;
};

}  // namespace tracery::testing
