// CRC-32C (Castagnoli), the checksum of every WAL record and segment block.
// Uses the SSE4.2 crc32 instruction when the CPU has it, else a
// slice-by-8 table; both give identical results.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tracery::storage::crc32c {

// CRC-32C of data[0, n), continuing from `init_crc` (the value returned by a
// previous call over the preceding bytes; 0 to start).
uint32_t Extend(uint32_t init_crc, const void* data, size_t n);
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }

// A CRC stored next to the data it covers is masked so that a CRC over bytes
// that include an embedded CRC stays well distributed (LevelDB's trick).
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace tracery::storage::crc32c
