// A sampling decision that every collector makes the same way for the same
// trace id, so whole traces are kept or dropped even when their spans reach
// different collectors or arrive minutes apart.
#pragma once

#include <cstdint>
#include <cstring>

#include "model/ids.h"

namespace tracery::sampling {

// A 64-bit value uniform over [0, 2^64) for any trace id, including ids
// whose low bits are not random (64-bit Zipkin ids, sequential test ids):
// the 16 bytes are mixed with a fixed finalizer (splitmix64).
inline uint64_t TraceIdSamplingHash(const model::TraceId& id) {
  uint64_t a, b;
  std::memcpy(&a, id.bytes.data(), 8);
  std::memcpy(&b, id.bytes.data() + 8, 8);
  uint64_t x = a ^ (b * 0x9E3779B97F4A7C15ULL);
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

// True for a fraction `probability` of all trace ids; monotone: an id kept at
// probability p is kept at every probability above p.
inline bool TraceIdSampled(const model::TraceId& id, double probability) {
  if (probability >= 1.0) return true;
  if (!(probability > 0.0)) return false;
  // 2^64 * p, computed in long double to keep the top bits exact.
  const long double threshold = static_cast<long double>(probability) * 18446744073709551616.0L;
  return static_cast<long double>(TraceIdSamplingHash(id)) < threshold;
}

}  // namespace tracery::sampling
