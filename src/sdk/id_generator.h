// Fast random trace and span ids: a thread-local xoshiro256++ generator,
// seeded once per thread from std::random_device through splitmix64. Not
// cryptographic; ids only need to be unique and uniformly distributed (the
// trace-id ratio sampler relies on the low 8 bytes being random).
#pragma once

#include <cstdint>

#include "tracery/trace.h"

namespace tracery::internal {

struct RngState {
  uint64_t s[4];
  bool seeded;
};
// Constant-initialised, trivially destructible: access needs no TLS guard.
inline thread_local RngState tls_rng{};
void SeedRng(RngState& state);

inline uint64_t RandomU64() {
  RngState& r = tls_rng;
  if (!r.seeded) [[unlikely]]
    SeedRng(r);
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(r.s[0] + r.s[3], 23) + r.s[0];
  const uint64_t t = r.s[1] << 17;
  r.s[2] ^= r.s[0];
  r.s[3] ^= r.s[1];
  r.s[1] ^= r.s[2];
  r.s[0] ^= r.s[3];
  r.s[2] ^= t;
  r.s[3] = rotl(r.s[3], 45);
  return result;
}
inline TraceId NewTraceId() {
  TraceId id;
  do {
    id.high = RandomU64();
    id.low = RandomU64();
  } while (!id.IsValid());
  return id;
}
inline SpanId NewSpanId() {
  SpanId id;
  do {
    id.value = RandomU64();
  } while (id.value == 0);
  return id;
}

}  // namespace tracery::internal
