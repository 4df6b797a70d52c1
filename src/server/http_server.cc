#include "server/http_server.h"

#include "common/query_string.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

namespace tracery::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

HttpResponse JsonError(int http_status, std::string_view message) {
  return HttpResponse::Json(http_status, "{\"data\":null,\"total\":0,\"limit\":0,\"offset\":0,\"errors\":[{\"code\":" +
                                             std::to_string(http_status) + ",\"msg\":\"" + JsonEscape(message) +
                                             "\"}]}");
}

HttpResponse HttpServer::Dispatch(const std::vector<HttpHandler*>& handlers, const HttpRequest& req) {
  try {
    for (HttpHandler* h : handlers) {
      if (auto resp = h->Handle(req)) return std::move(*resp);
    }
    return JsonError(404, "no such endpoint: " + req.method + " " + req.path);
  } catch (const std::exception& e) {
    spdlog::error("handler failed on {} {}: {}", req.method, req.path, e.what());
    return JsonError(500, std::string("internal error: ") + e.what());
  }
}

struct HttpServer::Impl {
  HttpServerOptions options;
  std::vector<HttpHandler*> handlers;
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{ioc};
  asio::thread_pool workers;
  std::optional<asio::thread_pool> light_workers;  // when options.is_light is set
  std::vector<std::thread> io_threads;
  std::atomic<size_t> inflight{0};
  Counters counters;
  uint16_t bound_port = 0;
  bool started = false;
  std::optional<asio::ssl::context> tls;  // set when serving TLS
  std::mutex stop_mu;

  Impl(HttpServerOptions o, std::vector<HttpHandler*> h)
      : options(std::move(o)), handlers(std::move(h)), workers(std::max(1, options.worker_threads)) {
    if (options.is_light) light_workers.emplace(std::max(1, options.light_worker_threads));
  }

  void Accept();
};

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Lowers the calling worker thread's priority once (per-thread nice on Linux).
void ApplyWorkerNice(int nice) {
  thread_local bool applied = false;
  if (nice == 0 || applied) return;
  applied = true;
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  const int current = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0 && ::setpriority(PRIO_PROCESS, tid, current + nice) != 0) {
    spdlog::warn("http: could not lower worker thread priority by {}: {}", nice, std::strerror(errno));
  }
}


// One connection. `Stream` is beast::tcp_stream (plaintext) or TlsStream.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(tcp::socket socket, HttpServer::Impl* server) requires(!kTls)
      : stream_(std::move(socket)), server_(server) {}
  // `buffer` holds bytes already read while detecting TLS.
  Session(beast::tcp_stream stream, beast::flat_buffer buffer, HttpServer::Impl* server) requires(kTls)
      : stream_(std::move(stream), *server->tls), buffer_(std::move(buffer)), server_(server) {}

  void Start() {
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(30));
      stream_.async_handshake(asio::ssl::stream_base::server, buffer_.data(),
                              [self = this->shared_from_this()](beast::error_code ec, size_t used) {
                                if (ec) {
                                  spdlog::debug("TLS handshake failed: {}", ec.message());
                                  beast::error_code ignored;
                                  self->Lowest().socket().close(ignored);
                                  return;
                                }
                                self->buffer_.consume(used);
                                self->Read();
                              });
    } else {
      Read();
    }
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void Read() {
    parser_.emplace();
    parser_->body_limit(server_->options.max_body_bytes);
    parser_->header_limit(64 * 1024);
    Lowest().expires_after(std::chrono::seconds(server_->options.idle_timeout_s));
    // Headers first, so that `admit` can refuse a request (no or a bad
    // token) before its body is read: an unauthenticated client cannot make
    // the server buffer up to max_body_bytes.
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  // Ends the connection on a read error; true when it did.
  bool HandleReadError(beast::error_code ec) {
    if (!ec) return false;
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      Close();
      return true;
    }
    if (ec == http::error::body_limit) {
      server_->counters.rejected_too_large++;
      HttpResponse r = JsonError(413, "request body exceeds the limit of " +
                                          std::to_string(server_->options.max_body_bytes) + " bytes");
      Write(std::move(r), /*keep_alive=*/false, 11);
      return true;
    }
    server_->counters.bad_requests++;
    Write(JsonError(400, "malformed HTTP request: " + ec.message()), false, 11);
    return true;
  }

  void OnHeader(beast::error_code ec) {
    if (HandleReadError(ec)) return;
    HttpRequest req = HeaderOnlyRequest();
    if (server_->options.admit) {
      if (auto refusal = server_->options.admit(req)) {
        server_->counters.refused_before_body++;
        Write(std::move(*refusal), /*keep_alive=*/false, parser_->get().version());
        return;
      }
    }
    if (parser_->is_done()) {
      Dispatch(std::move(req));
      return;
    }
    // A client that sent `Expect: 100-continue` waits for this before the
    // body (curl does for bodies over 1 MiB, and would otherwise wait 1 s).
    auto& msg = parser_->get();
    if (beast::iequals(msg[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, msg.version());
      http::async_write(stream_, *cont,
                        [self = this->shared_from_this(), cont, req = std::move(req)](beast::error_code ec,
                                                                                      size_t) mutable {
                          if (ec) {
                            self->Close();
                            return;
                          }
                          self->ReadBody(std::move(req));
                        });
      return;
    }
    ReadBody(std::move(req));
  }

  void ReadBody(HttpRequest req) {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this(), req = std::move(req)](beast::error_code ec, size_t) mutable {
          if (self->HandleReadError(ec)) return;
          self->Dispatch(std::move(req));
        });
  }

  // The request as far as its headers go (the body is added by Dispatch).
  HttpRequest HeaderOnlyRequest() {
    auto& msg = parser_->get();
    HttpRequest req;
    req.received_ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
    req.method = std::string(msg.method_string());
    std::string_view target(msg.target().data(), msg.target().size());
    size_t q = target.find('?');
    req.path = PercentDecode(target.substr(0, q), false);
    if (q != std::string_view::npos) req.query = ParseQueryString(target.substr(q + 1));
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    return req;
  }

  void Dispatch(HttpRequest req) {
    auto& msg = parser_->get();
    req.body = std::move(msg.body());
    bool keep_alive = msg.keep_alive();
    unsigned version = msg.version();
    server_->counters.requests++;

    if (server_->inflight.fetch_add(1) >= server_->options.max_inflight_requests) {
      server_->inflight.fetch_sub(1);
      server_->counters.rejected_busy++;
      HttpResponse r = JsonError(503, "server busy: too many requests in flight; retry later");
      r.headers.emplace_back("Retry-After", "1");
      Write(std::move(r), keep_alive, version);
      return;
    }
    auto& pool = server_->light_workers && server_->options.is_light(req) ? *server_->light_workers : server_->workers;
    asio::post(pool, [self = this->shared_from_this(), req = std::move(req), keep_alive, version]() mutable {
      ApplyWorkerNice(self->server_->options.worker_nice);
      HttpResponse resp = HttpServer::Dispatch(self->server_->handlers, req);
      self->server_->inflight.fetch_sub(1);
      asio::post(self->stream_.get_executor(), [self, resp = std::move(resp), keep_alive, version]() mutable {
        self->Write(std::move(resp), keep_alive, version);
      });
    });
  }

  void Write(HttpResponse r, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    res->set(http::field::server, "tracery");
    res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive);
    res->body() = std::move(r.body);
    res->prepare_payload();
    Lowest().expires_after(std::chrono::seconds(30));
    http::async_write(stream_, *res, [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) {
        if constexpr (kTls) {
          self->Close();
        } else {
          self->Close();
          if (!ec) self->Drain();
        }
        return;
      }
      self->Read();
    });
  }

  // After answering a request whose body we refused (413, malformed), the
  // client may still be sending it. Closing at once would make the kernel
  // reset the connection and the client would never read our answer, so
  // read and discard for a bounded time and volume first.
  void Drain() {
    drain_buffer_.resize(64 * 1024);
    Lowest().expires_after(std::chrono::seconds(2));
    stream_.async_read_some(asio::buffer(drain_buffer_), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      self->drained_bytes_ += n;
      if (!ec && self->drained_bytes_ < (256u << 20)) self->Drain();
    });
  }

  void Close() {
    beast::error_code ec;
    if constexpr (kTls) {
      // Send close_notify; the TCP side closes when the socket is destroyed.
      Lowest().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::vector<char> drain_buffer_;
  size_t drained_bytes_ = 0;
  HttpServer::Impl* server_;
};

// On a TLS listener: looks at the first bytes of a connection. A TLS
// ClientHello continues as a TLS session; anything else (plain HTTP) gets a
// plaintext 400 that says to use https, and the connection is closed.
class TlsDetector : public std::enable_shared_from_this<TlsDetector> {
 public:
  TlsDetector(tcp::socket socket, HttpServer::Impl* server) : stream_(std::move(socket)), server_(server) {}

  void Start() {
    stream_.expires_after(std::chrono::seconds(30));
    beast::async_detect_ssl(stream_, buffer_, [self = shared_from_this()](beast::error_code ec, bool is_tls) {
      if (ec) return;
      if (is_tls) {
        std::make_shared<Session<TlsStream>>(std::move(self->stream_), std::move(self->buffer_), self->server_)
            ->Start();
        return;
      }
      self->RefusePlaintext();
    });
  }

 private:
  void RefusePlaintext() {
    static const std::string kAnswer =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
        "Content-Length: 66\r\n\r\nthis port serves TLS only: use https:// (or a TLS-enabled client)\n";
    asio::async_write(stream_, asio::buffer(kAnswer), [self = shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  HttpServer::Impl* server_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      if (tls) {
        std::make_shared<TlsDetector>(std::move(socket), this)->Start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), this)->Start();
      }
    }
    if (acceptor.is_open()) Accept();
  });
}

HttpServer::HttpServer(HttpServerOptions options, std::vector<HttpHandler*> handlers)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handlers))) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  const HttpServerOptions& o = impl_->options;
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
      return Status::InvalidArgument("TLS needs both --tls-cert and --tls-key");
    }
    impl_->tls.emplace(asio::ssl::context::tls_server);
    auto& ctx = *impl_->tls;
    beast::error_code tls_ec;
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                    asio::ssl::context::single_dh_use);
    ctx.use_certificate_chain_file(o.tls_cert_file, tls_ec);
    if (tls_ec) return Status::InvalidArgument("--tls-cert " + o.tls_cert_file + ": " + tls_ec.message());
    ctx.use_private_key_file(o.tls_key_file, asio::ssl::context::pem, tls_ec);
    if (tls_ec) return Status::InvalidArgument("--tls-key " + o.tls_key_file + ": " + tls_ec.message());
    if (!o.tls_client_ca_file.empty()) {
      ctx.load_verify_file(o.tls_client_ca_file, tls_ec);
      if (tls_ec) return Status::InvalidArgument("--tls-client-ca " + o.tls_client_ca_file + ": " + tls_ec.message());
      ctx.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    }
  }
  beast::error_code ec;
  auto addr = asio::ip::make_address(impl_->options.address, ec);
  if (ec) return Status::InvalidArgument("bad listen address '" + impl_->options.address + "': " + ec.message());
  tcp::endpoint ep(addr, impl_->options.port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + impl_->options.address + ":" + std::to_string(impl_->options.port) +
                           " for " + impl_->options.name + ": " + ec.message());
  }
  impl_->bound_port = impl_->acceptor.local_endpoint().port();
  impl_->work.emplace(impl_->ioc.get_executor());
  impl_->Accept();
  for (int i = 0; i < std::max(1, impl_->options.io_threads); ++i) {
    impl_->io_threads.emplace_back([this] { impl_->ioc.run(); });
  }
  impl_->started = true;
  return Status::Ok();
}

void HttpServer::Stop() {
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (!impl_->started) return;
  impl_->started = false;
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->workers.join();  // finish requests being handled
  if (impl_->light_workers) impl_->light_workers->join();
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->io_threads) t.join();
  impl_->io_threads.clear();
}

uint16_t HttpServer::port() const { return impl_->bound_port; }
const HttpServer::Counters& HttpServer::counters() const { return impl_->counters; }

}  // namespace tracery::server
