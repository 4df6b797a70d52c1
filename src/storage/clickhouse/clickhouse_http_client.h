// ClickHouseHttpClient: runs statements against ClickHouse's HTTP interface
// (port 8123): the statement goes in the `query` URL parameter, data to
// insert (RowBinary) in the POST body, and the answer comes back as the
// response body. Keeps a pool of keep-alive connections.
//
// Thread-safety: every method may be called concurrently; each call uses
// its own connection from the pool.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tracery::storage::clickhouse {

struct HttpClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8123;
  std::string database;  // default database of every statement; empty: server default
  std::string user = "default";
  std::string password;
  uint64_t connect_timeout_ms = 2'000;
  // Budget for one whole request (send, server work, receive).
  uint64_t request_timeout_ms = 30'000;
  size_t max_idle_connections = 16;
};

// Parses "http://host:port" (port defaults to 8123; https is not supported
// by this client). InvalidArgument on anything else.
Result<std::pair<std::string, uint16_t>> ParseClickHouseUrl(std::string_view url);

class ClickHouseHttpClient {
 public:
  explicit ClickHouseHttpClient(HttpClientOptions options);
  ~ClickHouseHttpClient();
  ClickHouseHttpClient(const ClickHouseHttpClient&) = delete;
  ClickHouseHttpClient& operator=(const ClickHouseHttpClient&) = delete;

  // Runs `statement` with `body` as its input data (empty for a SELECT or
  // DDL) and returns the response body. `settings` are extra ClickHouse
  // settings sent as URL parameters (name, value).
  // Errors: Unavailable when ClickHouse cannot be reached or does not answer
  // within the request timeout; ResourceExhausted when it refuses for load
  // (too many parts, memory limit, too many simultaneous queries);
  // DeadlineExceeded when a query passed max_execution_time; InvalidArgument
  // for a rejected statement; the message carries ClickHouse's own text.
  Result<std::string> Execute(std::string_view statement, std::string_view body = {},
                              const std::vector<std::pair<std::string, std::string>>& settings = {});

  // Like Execute, with the statement in the POST body (no URL length limit);
  // for SELECTs and DDL that carry no data.
  Result<std::string> Query(std::string_view statement,
                            const std::vector<std::pair<std::string, std::string>>& settings = {});

  const HttpClientOptions& options() const { return options_; }

 private:
  struct Connection;
  Result<std::string> RoundTrip(const std::string& target, std::string_view body);
  std::unique_ptr<Connection> TakeIdle();
  void ReturnIdle(std::unique_ptr<Connection> c);

  HttpClientOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // GUARDED_BY(mu_)
};

// Maps a ClickHouse error response (HTTP status and "Code: N, ..." body) to
// a Status. Exposed for tests.
Status StatusFromClickHouseError(int http_status, std::string_view body);

}  // namespace tracery::storage::clickhouse
