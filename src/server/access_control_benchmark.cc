// What access control adds to every request: ResolveTenant with a tokens
// file of N entries (SHA-256 of the presented token plus a constant-time
// comparison with every entry) and the tenant-id check, and the per-tenant
// rate limiter.
//
//   build/bench/access_control_benchmark
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>

#include "server/auth_tokens.h"
#include "server/ingest_rate_limiter.h"

namespace tracery::server {
namespace {

void BM_ResolveTenantWithTokens(benchmark::State& state) {
  auto path = std::filesystem::temp_directory_path() / ("tracery-bench-tokens-" + std::to_string(getpid()));
  {
    std::ofstream out(path);
    for (int64_t i = 0; i < state.range(0); ++i) out << "token-" << i << "-0123456789abcdef tenant" << i % 50 << " all\n";
  }
  auto auth = TokenAuthenticator::Open(path);
  if (!auth.ok()) {
    state.SkipWithError(auth.status().message().c_str());
    return;
  }
  AccessPolicy policy{true, auth->get()};
  std::string tenant = "tenant" + std::to_string((state.range(0) - 1) % 50);
  std::string header = "Bearer token-" + std::to_string(state.range(0) - 1) + "-0123456789abcdef";
  for (auto _ : state) {
    auto r = ResolveTenant(policy, &tenant, &header, AccessRole::kIngest);
    benchmark::DoNotOptimize(r);
  }
  std::filesystem::remove(path);
}
BENCHMARK(BM_ResolveTenantWithTokens)->Arg(10)->Arg(1000);

void BM_ResolveTenantHeaderOnly(benchmark::State& state) {
  AccessPolicy policy{true, nullptr};
  std::string tenant = "team-payments.prod";
  for (auto _ : state) {
    auto r = ResolveTenant(policy, &tenant, nullptr, AccessRole::kQuery);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ResolveTenantHeaderOnly);

void BM_IngestRateLimiter(benchmark::State& state) {
  IngestRateLimiter limiter(1e12, 1e12);
  uint64_t now = 1;
  for (auto _ : state) benchmark::DoNotOptimize(limiter.TryAcquire(100, now += 1000));
}
BENCHMARK(BM_IngestRateLimiter);

}  // namespace
}  // namespace tracery::server

BENCHMARK_MAIN();
