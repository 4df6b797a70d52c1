// Randomness for the demo's simulated behaviour (latencies, failures,
// shopper choices). Each thread has its own generator: no locking.
#pragma once

#include <cstdint>

namespace shop {

// True with probability `p` (clamped to [0, 1]).
bool Chance(double p);
// A uniform integer in [0, n); 0 when n == 0.
uint64_t PickIndex(uint64_t n);
// A latency in microseconds drawn from a log-normal distribution with
// median `median_us` and a moderate tail (sigma 0.4), like real services.
uint64_t DrawLatencyUs(double median_us);
// Sleeps for DrawLatencyUs(median_us); returns the microseconds slept.
uint64_t SimulateWork(double median_us);

}  // namespace shop
