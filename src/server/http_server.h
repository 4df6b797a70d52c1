// HttpServer: an HTTP/1.1 listener (Boost.Beast) that hands each request to
// a list of HttpHandlers on a worker pool.
//
// Network I/O runs on `io_threads` asynchronous threads; handlers run on a
// separate pool of `worker_threads`, because they may block (an ingest
// request waits for its write-ahead-log group commit). At most
// `max_inflight_requests` requests are being handled at once; past that the
// server answers 503 with Retry-After instead of queueing without bound.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/http_types.h"
#include "common/json_escape.h"
#include "common/query_string.h"
#include "common/status.h"

namespace tracery::server {

struct HttpServerOptions {
  std::string name = "http";        // for logs and metrics, e.g. "otlp-http"
  std::string address = "0.0.0.0";
  uint16_t port = 0;                // 0 picks a free port (tests)
  size_t max_body_bytes = 16 << 20;  // larger bodies are answered 413
  int io_threads = 1;
  int worker_threads = 4;
  size_t max_inflight_requests = 256;
  // Added to the nice value of this server's worker threads (Linux; 0 keeps
  // the process's). The query port uses >0 so a storm of queries takes only
  // the CPU that ingest workers on other ports leave: queries cannot starve
  // ingest.
  int worker_nice = 0;
  // Two lanes (the query port): requests for which `is_light` returns true
  // run on a pool of their own `light_worker_threads`, so cheap requests
  // (a trace by id, the service list, the UI's files) are not queued behind
  // expensive ones (searches, dependencies, analysis), whose concurrency is
  // then bounded by `worker_threads`. Unset: one pool for everything.
  std::function<bool(const HttpRequest&)> is_light;
  int light_worker_threads = 2;
  uint32_t idle_timeout_s = 60;
  // Called on an I/O thread as soon as a request's headers are read, before
  // any of its body: the request has its method, path, query and headers,
  // and an empty body. A response refuses the request there (e.g. 401 for a
  // missing token): the body is never buffered or handed to a handler, and
  // the connection is closed after the answer. Must be cheap and must not
  // block. Unset: every request is read whole. Requests that pass are
  // dispatched as usual; handlers must still check what they rely on.
  std::function<std::optional<HttpResponse>(const HttpRequest&)> admit;
  // TLS (--tls-cert/--tls-key): PEM files of the certificate chain and its
  // private key; both empty serves plaintext. With a client CA file, clients
  // must present a certificate it signed (mutual TLS). A plaintext request
  // to a TLS listener is answered 400 in plaintext and the connection closed.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
};

class HttpServer {
 public:
  // Handlers are not owned and must outlive the server.
  HttpServer(HttpServerOptions options, std::vector<HttpHandler*> handlers);
  ~HttpServer();  // Stop()s

  // Binds and starts serving. InvalidArgument/IOError when the address
  // cannot be bound (e.g. the port is in use) or the TLS files cannot be
  // loaded.
  Status Start();
  // Stops accepting, finishes requests being handled, closes connections.
  void Stop();
  uint16_t port() const;  // the bound port (after Start)

  struct Counters {
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> rejected_busy{0};
    std::atomic<uint64_t> rejected_too_large{0};
    std::atomic<uint64_t> bad_requests{0};
    std::atomic<uint64_t> refused_before_body{0};  // by `admit`
  };
  const Counters& counters() const;

  // Routes one request through the handlers (404 when none takes it, 500
  // when a handler throws). Exposed for tests of routing without sockets.
  static HttpResponse Dispatch(const std::vector<HttpHandler*>& handlers, const HttpRequest& req);

  struct Impl;  // public so the connection sessions in http_server.cc can use it

 private:
  std::unique_ptr<Impl> impl_;
};


// {"errors":[{"code":N,"msg":"..."}]}-style JSON error body used by every
// Tracery API that has no protocol-specific error format.
HttpResponse JsonError(int http_status, std::string_view message);

}  // namespace tracery::server
