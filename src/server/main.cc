// tracery: the Tracery server binary.
//
//   tracery [all-in-one] [--data-dir DIR] [flags]   every role in one process (default)
//   tracery collector --storage clickhouse --cluster-self H:P --cluster-members ...   receivers only
//   tracery query --storage clickhouse                 query APIs and UI only (docs/cluster.md)
//   tracery version
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "server/all_in_one.h"
#include "server/cluster_roles.h"
#include "server/config.h"

int main(int argc, char** argv) {
  using tracery::server::ServerConfig;
  CLI::App app{"Tracery: distributed tracing backend (OTLP, Zipkin, Jaeger-compatible query, web UI)"};
  ServerConfig config;
  tracery::server::AddServerFlags(&app, &config);
  auto* all_in_one = app.add_subcommand("all-in-one", "Run every role in one process with the embedded store");
  auto* collector = app.add_subcommand("collector", "Receivers and tail sampling in a cluster of collectors");
  auto* query = app.add_subcommand("query", "Query APIs, analysis and the UI (no receivers)");
  tracery::server::ClusterConfig cluster;
  tracery::server::AddClusterFlags(collector, &cluster);
  auto* version = app.add_subcommand("version", "Print the version");
  all_in_one->fallthrough();
  collector->fallthrough();
  query->fallthrough();
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

  const char* role = *collector ? "collector" : *query ? "query" : "all-in-one";
  spdlog::info("tracery {} starting with:\n{}", role, tracery::server::DescribeConfig(config));
  auto run = [&](auto& server) {
    if (auto st = server.Start(); !st.ok()) {
      spdlog::error("cannot start: {}", st.ToString());
      return false;
    }
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("received {}, shutting down (flushing the store)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    server.Stop();
    return true;
  };
  bool ok;
  if (*collector) {
    tracery::server::CollectorRole server(config, cluster);
    ok = run(server);
  } else if (*query) {
    tracery::server::QueryRole server(config);
    ok = run(server);
  } else {
    tracery::server::AllInOne server(config);
    ok = run(server);
  }
  if (!ok) return 1;
  spdlog::info("stopped cleanly");
  return 0;
}
