// shop-traffic: sends shoppers' requests to the demo shop's frontend at a
// fixed rate (open loop: a slow shop does not slow the schedule down; a
// request that cannot start because every worker is busy is counted as
// skipped). Untraced itself, so each request starts its trace at the
// frontend. Mix: 35% GET /, 30% GET /product/{id}, 20% POST /cart,
// 15% POST /checkout ("buy now": a product in the form, plus the cart).
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "http_service.h"
#include "shop_services.h"
#include "simulation.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

struct Counters {
  std::atomic<uint64_t> sent{0}, ok{0}, client_errors{0}, server_errors{0}, failed{0}, skipped{0};
  std::atomic<uint64_t> latency_us_sum{0};
};

void SendOne(shop::ServiceClient& client, uint32_t users, Counters& c) {
  using shop::bhttp::verb;
  const auto& products = shop::Catalogue();
  std::string product(products[shop::PickIndex(products.size())].id);
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Cookie", "session=user-" + std::to_string(shop::PickIndex(users))}};
  uint64_t roll = shop::PickIndex(100);
  auto start = std::chrono::steady_clock::now();
  tracery::Result<shop::HttpResponse> res = tracery::Status::Internal("not sent");
  const std::string form = "application/x-www-form-urlencoded";
  if (roll < 35) {
    res = client.Call(verb::get, "/", {}, form, headers);
  } else if (roll < 65) {
    res = client.Call(verb::get, "/product/" + product, {}, form, headers);
  } else if (roll < 85) {
    res = client.Call(verb::post, "/cart", "product=" + product + "&quantity=" + std::to_string(1 + shop::PickIndex(3)),
                      form, headers);
  } else {
    // "Buy now": the product is ordered together with whatever the cart holds.
    res = client.Call(verb::post, "/checkout", "product=" + product + "&quantity=1", form, headers);
  }
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  c.sent++;
  c.latency_us_sum += static_cast<uint64_t>(us);
  if (!res.ok()) {
    if (c.failed++ < 3) std::fprintf(stderr, "shop-traffic: %s\n", res.status().message().c_str());
  } else if (res->result_int() < 400) {
    c.ok++;
  } else if (res->result_int() < 500) {
    c.client_errors++;
  } else {
    c.server_errors++;
  }
}

void Report(const Counters& c, double seconds, bool final_report) {
  uint64_t sent = c.sent.load();
  std::fprintf(stderr,
               "shop-traffic%s: %.0fs sent=%llu (%.1f/s) ok=%llu 4xx=%llu 5xx=%llu failed=%llu skipped=%llu "
               "mean=%.1fms\n",
               final_report ? " (done)" : "", seconds, static_cast<unsigned long long>(sent),
               seconds > 0 ? sent / seconds : 0.0, static_cast<unsigned long long>(c.ok.load()),
               static_cast<unsigned long long>(c.client_errors.load()),
               static_cast<unsigned long long>(c.server_errors.load()), static_cast<unsigned long long>(c.failed.load()),
               static_cast<unsigned long long>(c.skipped.load()),
               sent ? c.latency_us_sum.load() / 1000.0 / sent : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Traffic for the Tracery demo shop"};
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  if (const char* env = std::getenv("SHOP_BASE_PORT"); env && *env) port = static_cast<uint16_t>(std::atoi(env));
  double rate = 5;
  if (const char* env = std::getenv("SHOP_RATE"); env && *env) rate = std::atof(env);
  double duration_s = 0;
  uint32_t users = 50;
  uint32_t workers = 64;
  double report_every_s = 30;
  app.add_option("--host", host, "Frontend address");
  app.add_option("--port", port, "Frontend port (env SHOP_BASE_PORT)");
  app.add_option("--rate", rate, "Requests per second (env SHOP_RATE)")->check(CLI::PositiveNumber);
  app.add_option("--duration", duration_s, "Seconds to run (0: until SIGINT/SIGTERM)");
  app.add_option("--users", users, "Distinct shoppers (session cookies)")->check(CLI::PositiveNumber);
  app.add_option("--workers", workers, "Requests in flight at most")->check(CLI::PositiveNumber);
  app.add_option("--report-every", report_every_s, "Seconds between progress lines (0: only at the end)");
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  shop::ServiceClient client("frontend", host, port);
  Counters counters;
  std::mutex mu;
  std::condition_variable cv;
  uint64_t pending = 0;  // GUARDED_BY(mu): requests due but not yet picked up
  bool done = false;     // GUARDED_BY(mu)
  std::vector<std::thread> pool;
  for (uint32_t i = 0; i < workers; ++i) {
    pool.emplace_back([&] {
      while (true) {
        {
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [&] { return pending > 0 || done; });
          if (pending == 0) return;
          --pending;
        }
        SendOne(client, users, counters);
      }
    });
  }

  const auto start = std::chrono::steady_clock::now();
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  auto next_report = start + std::chrono::duration<double>(report_every_s);
  for (uint64_t i = 0; !g_stop.load(); ++i) {
    auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval * static_cast<double>(i));
    if (duration_s > 0 && due - start >= std::chrono::duration<double>(duration_s)) break;
    std::this_thread::sleep_until(due);
    {
      std::lock_guard<std::mutex> lock(mu);
      if (pending >= workers) {
        counters.skipped++;
      } else {
        ++pending;
      }
    }
    cv.notify_one();
    if (report_every_s > 0 && std::chrono::steady_clock::now() >= next_report) {
      Report(counters, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), false);
      next_report += std::chrono::duration<double>(report_every_s);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  for (std::thread& t : pool) t.join();
  Report(counters, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), true);
  return 0;
}
