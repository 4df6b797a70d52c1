#include "storage/clickhouse/clickhouse_test_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace tracery::storage::clickhouse {
namespace {

// A port the kernel just handed out on 127.0.0.1; free unless another
// process grabs it before the server binds (unlikely on a test machine).
int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

Result<std::string> RunScript(const std::string& command) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return Status::Unavailable("cannot run " + command);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (rc != 0) return Status::Unavailable(command + " failed:\n" + out);
  return out;
}

}  // namespace

Result<std::unique_ptr<ClickHouseTestServer>> ClickHouseTestServer::Start() {
  std::unique_ptr<ClickHouseTestServer> s(new ClickHouseTestServer);
  if (const char* url = std::getenv("TRACERY_CLICKHOUSE_URL"); url && *url) {
    s->url_ = url;
    return s;
  }
  char tmpl[] = "/tmp/tracery-clickhouse-XXXXXX";
  if (!::mkdtemp(tmpl))
    return Status::Unavailable("cannot create a temporary directory for clickhouse-server");
  s->dir_ = tmpl;
  int http_port = FreeLoopbackPort();
  int tcp_port = FreeLoopbackPort();
  if (http_port <= 0 || tcp_port <= 0 || http_port == tcp_port)
    return Status::Unavailable("cannot find free loopback ports for clickhouse-server");
  std::string script = std::string(TRACERY_SOURCE_DIR) + "/scripts/clickhouse/start";
  auto out =
      RunScript(script + " " + s->dir_ + " " + std::to_string(http_port) + " " + std::to_string(tcp_port));
  if (!out.ok()) {
    return Status::Unavailable(
        "could not start clickhouse-server (install it with "
        "`apt-get install -y clickhouse-server clickhouse-client`, or set "
        "TRACERY_CLICKHOUSE_URL to a running server): " +
        out.status().message());
  }
  s->url_ = "http://127.0.0.1:" + std::to_string(http_port);
  return s;
}

ClickHouseTestServer::~ClickHouseTestServer() {
  if (dir_.empty()) return;
  (void)RunScript(std::string(TRACERY_SOURCE_DIR) + "/scripts/clickhouse/stop " + dir_);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace tracery::storage::clickhouse
