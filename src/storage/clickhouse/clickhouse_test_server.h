// ClickHouseTestServer: a private clickhouse-server for tests and
// benchmarks, started through scripts/clickhouse/start on free loopback
// ports in a fresh temporary directory, stopped and removed on destruction.
// When TRACERY_CLICKHOUSE_URL is set, that server is used instead and
// nothing is started.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace tracery::storage::clickhouse {

class ClickHouseTestServer {
 public:
  // Unavailable, with the script's output, when the server cannot be
  // installed or started.
  static Result<std::unique_ptr<ClickHouseTestServer>> Start();
  ~ClickHouseTestServer();

  const std::string& url() const { return url_; }
  const std::string& dir() const { return dir_; }  // empty for an external server

 private:
  ClickHouseTestServer() = default;
  std::string url_;
  std::string dir_;
};

}  // namespace tracery::storage::clickhouse
