// TscClock: wall-clock time (ns since the Unix epoch) from the CPU's
// time-stamp counter, for span start and end times.
//
// Why: clock_gettime(CLOCK_REALTIME) through the vDSO costs ~15 ns and a span
// reads the clock twice; rdtsc plus a multiply costs ~5 ns. The coarse clocks
// are not an option (their resolution is the scheduler tick, 1-4 ms).
//
// How: the clock converts ticks to ns with a scale and a base (tick, ns)
// pair. Until it is calibrated (the first `calibration_ns` after the first
// reading) every reading is clock_gettime itself, which also measures the
// tick rate. After that, a reading more than `refresh_ns` past the base
// re-anchors on the system clock: the scale is re-measured over the whole
// baseline since calibration, and the remaining error is slewed away over
// the next period, so readings stay continuous and never go backwards
// unless the system clock itself is stepped by more than `max_slew_ns` (then
// the clock re-anchors hard, as the system clock did).
//
// Used only where the CPU says the counter is invariant (CPUID: "invariant
// TSC", which Linux reports as the constant_tsc + nonstop_tsc flags) and the
// kernel itself trusts it (current clocksource "tsc" when that file is
// readable); elsewhere, and when TRACERY_CLOCK=system is set, every reading
// is clock_gettime(CLOCK_REALTIME).
//
// Thread-safety: Now() is lock-free and safe from any thread (a seqlock
// guards the parameters; one thread at a time refreshes them).
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace tracery::internal {

uint64_t SystemRealtimeNs();  // clock_gettime(CLOCK_REALTIME) in ns

class TscClock {
 public:
  struct Options {
    bool use_tsc = true;                   // false: every reading is SystemRealtimeNs()
    uint64_t calibration_ns = 20'000'000;  // 20 ms of readings before the first scale
    uint64_t refresh_ns = 500'000'000;     // re-anchor on the system clock at least this often
    uint64_t max_slew_ns = 1'000'000;      // larger disagreement: re-anchor hard
  };
  explicit TscClock(const Options& options);

  // The process-wide clock, configured from the CPU, the kernel and
  // TRACERY_CLOCK on first use.
  static TscClock& Global();
  // True when this CPU and kernel allow the TSC (see the file comment).
  static bool TscUsable();

  uint64_t NowUnixNs() {
#if defined(__x86_64__) || defined(__i386__)
    if (calibrated_.load(std::memory_order_acquire)) {
      const uint64_t tsc = __rdtsc();
      for (;;) {
        const uint32_t seq = seq_.load(std::memory_order_acquire);
        const uint64_t base_tsc = base_tsc_.load(std::memory_order_relaxed);
        const uint64_t base_ns = base_ns_.load(std::memory_order_relaxed);
        const uint64_t mult = ns_per_tick_q32_.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if ((seq & 1) != 0 || seq_.load(std::memory_order_relaxed) != seq) [[unlikely]]
          continue;
        const uint64_t ticks = tsc - base_tsc;  // a reader may see tsc < base_tsc after a refresh: see below
        if (static_cast<int64_t>(ticks) < 0 || ticks > refresh_ticks_) [[unlikely]]
          return SlowNow(tsc);
        return base_ns + static_cast<uint64_t>((static_cast<unsigned __int128>(ticks) * mult) >> 32);
      }
    }
#endif
    return SlowNow(0);
  }

  bool calibrated() const { return calibrated_.load(std::memory_order_acquire); }

 private:
  uint64_t SlowNow(uint64_t tsc);
  // Estimate at `tsc` from the current parameters. REQUIRES: refreshing_ held.
  uint64_t Estimate(uint64_t tsc) const;

  const Options options_;
  std::atomic<bool> calibrated_{false};
  std::atomic<bool> refreshing_{false};  // try-lock for the one thread that updates parameters
  std::atomic<uint32_t> seq_{0};         // odd while parameters are being written
  std::atomic<uint64_t> base_tsc_{0};
  std::atomic<uint64_t> base_ns_{0};
  std::atomic<uint64_t> ns_per_tick_q32_{0};  // ns per tick, fixed point with 32 fraction bits
  uint64_t refresh_ticks_ = UINT64_MAX;       // set once, before calibrated_ becomes true
  // Calibration anchor: the first (tick, system ns) pair. GUARDED_BY(refreshing_)
  uint64_t anchor_tsc_ = 0;
  uint64_t anchor_ns_ = 0;
  bool anchored_ = false;
};

}  // namespace tracery::internal
