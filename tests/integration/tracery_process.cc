#include "tracery_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <thread>

namespace tracery::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

HttpResult HttpCall(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpResult out;
  try {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream.expires_after(std::chrono::seconds(30));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    http::read(stream, buf, parser);
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  } catch (const std::exception&) {
    out.status = -1;
  }
  return out;
}

HttpResult SendHeadAndRead(uint16_t port, const std::string& head, int timeout_s) {
  HttpResult out;
  try {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream.expires_after(std::chrono::seconds(timeout_s));
    asio::write(stream.socket(), asio::buffer(head));
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    http::read(stream, buf, parser);
    out.status = static_cast<int>(parser.get().result_int());
    out.body = parser.get().body();
    for (const auto& f : parser.get())
      out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  } catch (const std::exception&) {
    out.status = -1;
  }
  return out;
}

uint64_t NowUnixNanos() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

uint16_t FreePort() {
  asio::io_context ioc;
  asio::ip::tcp::acceptor a(ioc, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

TraceryProcess::TraceryProcess(std::string binary, std::string data_dir, std::vector<std::string> extra_args)
    : binary_(std::move(binary)), data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)) {
  otlp_grpc_port = FreePort();
  otlp_http_port = FreePort();
  zipkin_port = FreePort();
  query_port = FreePort();
  admin_port = FreePort();
  log_path = data_dir_ + ".log";
}

TraceryProcess::~TraceryProcess() { Stop(SIGKILL); }

bool TraceryProcess::Start() {
  auto addr = [](uint16_t p) { return "127.0.0.1:" + std::to_string(p); };
  std::vector<std::string> args = {binary_,
                                   "all-in-one",
                                   "--data-dir",
                                   data_dir_,
                                   "--otlp-grpc-addr",
                                   addr(otlp_grpc_port),
                                   "--otlp-http-addr",
                                   addr(otlp_http_port),
                                   "--zipkin-addr",
                                   addr(zipkin_port),
                                   "--query-addr",
                                   addr(query_port),
                                   "--admin-addr",
                                   addr(admin_port),
                                   "--tempo-addr",
                                   "",
                                   // Off: the fixed port 5778 would collide
                                   // between tests running in parallel.
                                   "--sampling-addr",
                                   ""};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary_.c_str(), argv.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready_probe ? ready_probe() : HttpCall(admin_port, "GET", "/readyz").status == 200) return true;
    int st;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      exit_status_ = st;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void TraceryProcess::Stop(int sig) {
  if (pid_ <= 0) return;
  kill(pid_, sig);
  int st = 0;
  waitpid(pid_, &st, 0);
  exit_status_ = st;
  pid_ = -1;
}

}  // namespace tracery::testing
