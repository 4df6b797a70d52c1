// Transport-neutral HTTP request and response, so API handlers (query,
// ingest) are plain functions that unit tests call without a socket.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tracery {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path without the query string
  // Query parameters in order, percent-decoded; a key may repeat.
  std::vector<std::pair<std::string, std::string>> query;
  // Header names lowercased.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // steady_clock time (ns since its epoch) at which the server finished
  // reading the request; 0 when unknown (a request built in a test).
  uint64_t received_ns = 0;

  // First value of a query parameter / header, or nullptr.
  const std::string* Param(std::string_view key) const {
    for (const auto& [k, v] : query)
      if (k == key) return &v;
    return nullptr;
  }
  std::vector<std::string> Params(std::string_view key) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : query)
      if (k == key) out.push_back(v);
    return out;
  }
  const std::string* Header(std::string_view lowercase_name) const {
    for (const auto& [k, v] : headers)
      if (k == lowercase_name) return &v;
    return nullptr;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;

  static HttpResponse Json(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
};

}  // namespace tracery

#include <optional>

namespace tracery {

// An API module (Jaeger query, Zipkin query, analysis, OTLP/HTTP ingest...).
// The server offers each request to its handlers in turn; a handler returns
// nullopt for a path that is not its own. Handle may be called concurrently.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual std::optional<HttpResponse> Handle(const HttpRequest& req) = 0;
};

}  // namespace tracery
