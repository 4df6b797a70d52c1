#include "tsc_clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace tracery::internal {
namespace {

// A reading taken between two system-clock readings must lie between them,
// give or take the tolerance (the TSC estimate's error).
constexpr uint64_t kToleranceNs = 20'000;

void ExpectWithinSystemClock(TscClock& clock, int samples, std::chrono::microseconds gap) {
  for (int i = 0; i < samples; ++i) {
    const uint64_t before = SystemRealtimeNs();
    const uint64_t reading = clock.NowUnixNs();
    const uint64_t after = SystemRealtimeNs();
    ASSERT_GE(reading + kToleranceNs, before) << "sample " << i << " is behind the system clock";
    ASSERT_LE(reading, after + kToleranceNs) << "sample " << i << " is ahead of the system clock";
    std::this_thread::sleep_for(gap);
  }
}

TscClock::Options FastRefresh() {
  TscClock::Options o;
  o.calibration_ns = 5'000'000;
  o.refresh_ns = 20'000'000;
  return o;
}

TEST(TscClockTest, CalibratedReadingsStayWithinToleranceOfSystemClockAcrossRefreshes) {
  if (!TscClock::TscUsable()) GTEST_SKIP() << "no invariant TSC trusted by the kernel here";
  TscClock clock(FastRefresh());
  ExpectWithinSystemClock(clock, 20, std::chrono::microseconds(1000));  // calibrates on the way
  EXPECT_TRUE(clock.calibrated());
  ExpectWithinSystemClock(clock, 300, std::chrono::microseconds(1000));  // ~15 refreshes
}

TEST(TscClockTest, ReadingsNeverGoBackwardsOnOneThreadAcrossRefreshes) {
  if (!TscClock::TscUsable()) GTEST_SKIP() << "no invariant TSC trusted by the kernel here";
  TscClock clock(FastRefresh());
  uint64_t last = clock.NowUnixNs();
  const uint64_t end = SystemRealtimeNs() + 150'000'000;
  while (SystemRealtimeNs() < end) {
    for (int i = 0; i < 1000; ++i) {
      const uint64_t now = clock.NowUnixNs();
      ASSERT_GE(now, last);
      last = now;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_TRUE(clock.calibrated());
}

TEST(TscClockTest, BeforeCalibrationEveryReadingIsTheSystemClock) {
  TscClock::Options o;
  o.calibration_ns = 60'000'000'000;  // never within this test
  TscClock clock(o);
  ExpectWithinSystemClock(clock, 50, std::chrono::microseconds(100));
  EXPECT_FALSE(clock.calibrated());
}

TEST(TscClockTest, SystemFallbackWhenTscIsNotUsed) {
  TscClock::Options o;
  o.use_tsc = false;
  TscClock clock(o);
  ExpectWithinSystemClock(clock, 50, std::chrono::microseconds(500));
  EXPECT_FALSE(clock.calibrated());
}

TEST(TscClockTest, ConcurrentReadersDuringRefreshesStayAccurate) {
  if (!TscClock::TscUsable()) GTEST_SKIP() << "no invariant TSC trusted by the kernel here";
  TscClock::Options o = FastRefresh();
  o.refresh_ns = 2'000'000;  // many refreshes while both threads read
  TscClock clock(o);
  std::atomic<int> failures{0};
  auto reader = [&] {
    const uint64_t end = SystemRealtimeNs() + 100'000'000;
    for (;;) {
      const uint64_t before = SystemRealtimeNs();
      if (before > end) break;
      const uint64_t reading = clock.NowUnixNs();
      const uint64_t after = SystemRealtimeNs();
      if (reading + kToleranceNs < before || reading > after + kToleranceNs) failures.fetch_add(1);
    }
  };
  std::thread a(reader), b(reader);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(clock.calibrated());
}

TEST(TscClockTest, GlobalClockAgreesWithSystemClock) {
  ExpectWithinSystemClock(TscClock::Global(), 100, std::chrono::microseconds(500));
}

}  // namespace
}  // namespace tracery::internal
