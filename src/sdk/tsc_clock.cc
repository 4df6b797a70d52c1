#include "tsc_clock.h"

#include <time.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace tracery::internal {

uint64_t SystemRealtimeNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);  // vDSO: no system call
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

namespace {

uint64_t ReadTsc() {
#if defined(__x86_64__) || defined(__i386__)
  return __rdtsc();
#else
  return 0;
#endif
}

// ((a << 32) / b) without overflow; b > 0.
uint64_t Q32Ratio(uint64_t a, uint64_t b) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) << 32) / b);
}

// Reads a (tick, system ns) pair taken at the same moment: the system
// reading is bracketed by two tick readings, and a pair whose bracket is
// wide (the thread was preempted or interrupted in between) is retried,
// since one bad pair would skew the scale. False when no clean pair came.
bool ReadClockPair(uint64_t* tsc, uint64_t* ns) {
  constexpr uint64_t kMaxBracketTicks = 4000;  // ~1-2 us; a clean clock_gettime takes ~100 ticks
  for (int attempt = 0; attempt < 10; ++attempt) {
    const uint64_t before = ReadTsc();
    const uint64_t system_ns = SystemRealtimeNs();
    const uint64_t after = ReadTsc();
    if (after - before <= kMaxBracketTicks) {
      *tsc = before + (after - before) / 2;
      *ns = system_ns;
      return true;
    }
  }
  return false;
}

}  // namespace

bool TscClock::TscUsable() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx)) return false;
  if ((edx & (1u << 8)) == 0) return false;  // no invariant TSC
  // The kernel marks the TSC unstable (and switches clocksource) when it
  // sees it misbehave, e.g. on some VMs; do not trust it more than it does.
  std::ifstream f("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string source;
  if (f && std::getline(f, source)) return source == "tsc";
  return true;
#else
  return false;
#endif
}

TscClock& TscClock::Global() {
  static TscClock* clock = [] {
    Options o;
    const char* env = std::getenv("TRACERY_CLOCK");
    o.use_tsc = TscUsable() && !(env && std::strcmp(env, "system") == 0);
    return new TscClock(o);  // leaked: spans may end during static destruction
  }();
  return *clock;
}

TscClock::TscClock(const Options& options) : options_(options) {}

uint64_t TscClock::Estimate(uint64_t tsc) const {
  const uint64_t ticks = tsc - base_tsc_.load(std::memory_order_relaxed);
  return base_ns_.load(std::memory_order_relaxed) +
         static_cast<uint64_t>((static_cast<unsigned __int128>(ticks) * ns_per_tick_q32_.load(std::memory_order_relaxed)) >> 32);
}

uint64_t TscClock::SlowNow(uint64_t /*tsc*/) {
  if (!options_.use_tsc) return SystemRealtimeNs();
  bool expected = false;
  if (!refreshing_.compare_exchange_strong(expected, true, std::memory_order_acquire)) return SystemRealtimeNs();
  uint64_t tsc = 0, now_ns = 0;
  if (!ReadClockPair(&tsc, &now_ns)) {
    refreshing_.store(false, std::memory_order_release);
    return SystemRealtimeNs();
  }
  uint64_t result = now_ns;
  auto publish = [&](uint64_t base_tsc, uint64_t base_ns, uint64_t mult) {
    const uint32_t s = seq_.load(std::memory_order_relaxed);
    seq_.store(s + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    base_tsc_.store(base_tsc, std::memory_order_relaxed);
    base_ns_.store(base_ns, std::memory_order_relaxed);
    ns_per_tick_q32_.store(mult, std::memory_order_relaxed);
    seq_.store(s + 2, std::memory_order_release);
  };
  if (!anchored_ || now_ns < anchor_ns_ || tsc <= anchor_tsc_) {
    // First reading, or the system clock stepped back past the anchor.
    anchor_tsc_ = tsc;
    anchor_ns_ = now_ns;
    anchored_ = true;
    if (calibrated_.load(std::memory_order_relaxed)) {
      publish(tsc, now_ns, ns_per_tick_q32_.load(std::memory_order_relaxed));
    }
  } else if (!calibrated_.load(std::memory_order_relaxed)) {
    if (now_ns - anchor_ns_ >= options_.calibration_ns) {
      const uint64_t mult = Q32Ratio(now_ns - anchor_ns_, tsc - anchor_tsc_);
      if (mult > 0) {
        refresh_ticks_ = Q32Ratio(options_.refresh_ns, mult);
        publish(tsc, now_ns, mult);
        calibrated_.store(true, std::memory_order_release);
      }
    }
  } else {
    const uint64_t estimate_ns = Estimate(tsc);
    const uint64_t true_mult = Q32Ratio(now_ns - anchor_ns_, tsc - anchor_tsc_);
    const int64_t error_ns = static_cast<int64_t>(now_ns - estimate_ns);
    const uint64_t abs_error_ns = error_ns < 0 ? static_cast<uint64_t>(-error_ns) : static_cast<uint64_t>(error_ns);
    if (abs_error_ns > options_.max_slew_ns || true_mult == 0) {
      // The system clock was stepped: follow it at the rate measured so far
      // (the baseline across the step means nothing), and measure the rate
      // afresh from here.
      anchor_tsc_ = tsc;
      anchor_ns_ = now_ns;
      publish(tsc, now_ns, ns_per_tick_q32_.load(std::memory_order_relaxed));
    } else {
      // Stay continuous: start from the estimate and close the error over
      // the next refresh period.
      const int64_t correction = static_cast<int64_t>(
          (static_cast<__int128>(error_ns) << 32) / static_cast<__int128>(refresh_ticks_ ? refresh_ticks_ : 1));
      const int64_t slewed = static_cast<int64_t>(true_mult) + correction;
      publish(tsc, estimate_ns, slewed > 0 ? static_cast<uint64_t>(slewed) : true_mult);
      result = estimate_ns;
    }
  }
  refreshing_.store(false, std::memory_order_release);
  return result;
}

}  // namespace tracery::internal
