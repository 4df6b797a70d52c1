// A minimal blocking HTTP/1.1 client (Boost.Beast) for the exporter and the
// remote sampler: one request per connection, a hard deadline, errors as
// Status. Plain http:// only (no TLS).
#pragma once

#include <chrono>
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

}  // namespace tracery::internal
