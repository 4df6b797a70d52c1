// A minimal blocking HTTP/1.1 client (Boost.Beast) for the exporter and the
// remote sampler: a hard deadline per request, errors as Status. Plain
// http:// only (no TLS).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tracery::internal {

struct HttpUrl {
  std::string host;
  std::string port;  // "80" when the URL has none
  std::string path;  // starts with '/'; "/" when the URL has none
};
// Accepts http://host[:port][/path]; an https:// URL or anything malformed
// is an error naming the problem.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpAnswer {
  int status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, verbatim ("" when absent)
};

// Sends one request and reads the answer before `deadline`. A connection
// failure or timeout is kUnavailable (any HTTP answer, even 5xx, is OK here:
// the caller interprets status codes).
Result<HttpAnswer> HttpRoundTrip(const HttpUrl& url, std::string_view method,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::string_view body, std::chrono::steady_clock::time_point deadline);

// A kept-alive connection, reused across requests to the same host:port
// (the exporter posts a batch every few seconds; a new TCP connection, an
// io_context and a name lookup per batch cost more CPU than the request).
// A request on a reused connection the server has closed meanwhile is
// retried once on a fresh connection, so the server may see a request twice
// in that rare case (OTLP spans are deduplicated at query time). A server
// answering "Connection: close" is honoured.
// Not thread-safe: one per thread (the exporter's).
class HttpConnection {
 public:
  HttpConnection();
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;
  // As HttpRoundTrip, over the kept connection when it goes to `url`'s
  // host and port (any other url closes it and connects afresh).
  Result<HttpAnswer> RoundTrip(const HttpUrl& url, std::string_view method,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view body, std::chrono::steady_clock::time_point deadline);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tracery::internal
