// tracery: the Tracery server binary.
//
//   tracery [all-in-one] [--data-dir DIR] [flags]   every role in one process (default)
//   tracery version
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "server/all_in_one.h"
#include "server/config.h"

int main(int argc, char** argv) {
  using tracery::server::ServerConfig;
  CLI::App app{"Tracery: distributed tracing backend (OTLP, Zipkin, Jaeger-compatible query, web UI)"};
  ServerConfig config;
  tracery::server::AddServerFlags(&app, &config);
  auto* all_in_one = app.add_subcommand("all-in-one", "Run every role in one process with the embedded store");
  auto* version = app.add_subcommand("version", "Print the version");
  all_in_one->fallthrough();
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);

  if (*version) {
    std::printf("tracery 0.1.0\n");
    return 0;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  // Block the shutdown signals in every thread; the main thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  spdlog::info("tracery all-in-one starting with:\n{}", tracery::server::DescribeConfig(config));
  tracery::server::AllInOne server(config);
  if (auto st = server.Start(); !st.ok()) {
    spdlog::error("cannot start: {}", st.ToString());
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, shutting down (flushing the store)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  server.Stop();
  spdlog::info("stopped cleanly");
  return 0;
}
