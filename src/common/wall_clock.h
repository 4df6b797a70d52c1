// The wall clock as the query APIs and analysis want it: nanoseconds since
// the Unix epoch.
#pragma once

#include <chrono>
#include <cstdint>

namespace tracery {

inline uint64_t WallClockNanos() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

}  // namespace tracery
