// TraceryProcess: starts the real `tracery` binary on free loopback ports
// for integration tests, waits until /readyz answers, and stops it with
// SIGTERM (clean) or SIGKILL (crash).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace tracery::testing {

struct HttpResult {
  int status = -1;  // -1: transport error
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A one-shot HTTP/1.1 request to 127.0.0.1:port.
HttpResult HttpCall(uint16_t port, const std::string& method, const std::string& target, const std::string& body = "",
                    const std::vector<std::pair<std::string, std::string>>& headers = {});

// Writes `head` as it is (a request line and headers, perhaps announcing a
// body that is never sent) and reads one response, giving up after
// `timeout_s` (status -1).
HttpResult SendHeadAndRead(uint16_t port, const std::string& head, int timeout_s);

uint16_t FreePort();

// Nanoseconds since the Unix epoch, for span timestamps in test payloads.
uint64_t NowUnixNanos();
// Raw bytes of an even-length hex string (test ids are well formed).
std::string Unhex(const std::string& hex);

class TraceryProcess {
 public:
  // `data_dir` is kept across Restart()s.
  TraceryProcess(std::string binary, std::string data_dir, std::vector<std::string> extra_args = {});
  ~TraceryProcess();

  bool Start();              // false if it did not become ready within 20 s
  void Stop(int sig = SIGTERM);  // waits for exit
  int last_exit_status() const { return exit_status_; }

  uint16_t otlp_grpc_port, otlp_http_port, zipkin_port, query_port, admin_port;
  // Readiness check Start() polls; default: plain-HTTP GET /readyz on the
  // admin port (a TLS test replaces it with an HTTPS one).
  std::function<bool()> ready_probe;
  std::string log_path;

 private:
  std::string binary_, data_dir_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

}  // namespace tracery::testing
