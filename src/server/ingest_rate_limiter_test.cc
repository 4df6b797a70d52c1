#include "server/ingest_rate_limiter.h"

#include <gtest/gtest.h>

namespace tracery::server {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

TEST(IngestRateLimiterTest, AdmitsTheBurstThenRefusesWithAWaitThenRefills) {
  IngestRateLimiter limiter(100, 200);
  uint64_t t = 10 * kSecond;
  EXPECT_EQ(limiter.TryAcquire(150, t), 0u);
  EXPECT_EQ(limiter.TryAcquire(50, t), 0u);
  uint64_t wait = limiter.TryAcquire(100, t);
  EXPECT_EQ(wait, 1u) << "100 spans at 100/s fit after one second";
  EXPECT_EQ(limiter.TryAcquire(100, t + kSecond), 0u);
  EXPECT_GT(limiter.TryAcquire(1, t + kSecond), 0u);
}

TEST(IngestRateLimiterTest, ZeroRateIsUnlimited) {
  IngestRateLimiter limiter(0, 0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.TryAcquire(1'000'000, kSecond), 0u);
}

TEST(IngestRateLimiterTest, ABatchLargerThanTheBurstPassesWhenFullAndLeavesDebt) {
  IngestRateLimiter limiter(10, 10);
  uint64_t t = kSecond;
  EXPECT_EQ(limiter.TryAcquire(30, t), 0u) << "otherwise such a batch could never be sent";
  EXPECT_GE(limiter.TryAcquire(1, t + kSecond), 1u) << "the debt of 20 spans is paid first";
  EXPECT_EQ(limiter.TryAcquire(1, t + 3 * kSecond), 0u);
}

}  // namespace
}  // namespace tracery::server
