// shop-service: runs one service of the demo shop (--service NAME), traced
// with the Tracery SDK configured from the standard OTEL_* variables
// (OTEL_SERVICE_NAME defaults to the service name; OTEL_SDK_DISABLED=true
// turns tracing off). Stops cleanly, flushing spans, on SIGINT/SIGTERM.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "http_service.h"
#include "shop_services.h"
#include "tracery/sdk.h"

int main(int argc, char** argv) {
  CLI::App app{"One service of the Tracery demo shop"};
  std::string service;
  std::string host = "127.0.0.1";
  uint16_t base_port = 8080;
  if (const char* env = std::getenv("SHOP_BASE_PORT"); env && *env) base_port = static_cast<uint16_t>(std::atoi(env));
  unsigned threads = 32;
  app.add_option("--service", service, "frontend, checkout, cart, payment, inventory, shipping or recommendation")
      ->required();
  app.add_option("--host", host, "Address every service listens on and calls");
  app.add_option("--base-port", base_port, "Frontend port; the others follow it (env SHOP_BASE_PORT)");
  app.add_option("--threads", threads, "Requests served at once");
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  setenv("OTEL_SERVICE_NAME", service.c_str(), /*overwrite=*/0);
  std::unique_ptr<tracery::TracerProvider> provider = tracery::sdk::InitFromEnv();

  shop::ShopTopology topology{host, base_port};
  shop::Router router;
  auto state = shop::MakeShopService(service, topology, shop::ShopBehaviour{}, router);
  if (!state.ok()) {
    std::fprintf(stderr, "shop-service: %s\n", state.status().message().c_str());
    return 2;
  }
  shop::HttpServer server(service, router, threads);
  uint16_t port = *shop::ServicePort(service, base_port);
  if (tracery::Status st = server.Start(host, port); !st.ok()) {
    std::fprintf(stderr, "shop-service %s: %s\n", service.c_str(), st.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "shop-service %s listening on %s:%u (tracing %s)\n", service.c_str(), host.c_str(), port,
               std::getenv("OTEL_SDK_DISABLED") && std::string(std::getenv("OTEL_SDK_DISABLED")) == "true" ? "off"
                                                                                                         : "on");
  int sig = 0;
  sigwait(&stop_signals, &sig);
  server.Stop();
  provider->Shutdown(std::chrono::milliseconds(5000));
  tracery::ExportStats stats = provider->Stats();
  std::fprintf(stderr, "shop-service %s: stopped; %llu spans exported, %llu dropped\n", service.c_str(),
               static_cast<unsigned long long>(stats.spans_exported),
               static_cast<unsigned long long>(stats.dropped_queue_full + stats.dropped_export_failed +
                                               stats.dropped_shutdown));
  return 0;
}
