// Character classes and small parsers shared by the header propagators.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tracery::internal {

inline std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Value of a lowercase hex digit, or -1 (uppercase is rejected: W3C and B3
// require lowercase).
inline int LowerHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes exactly 16 lowercase hex digits at `p` (no terminator needed) into
// *out; false (and *out unspecified) when any byte is not 0-9 / a-f.
//
// SWAR: the 16 bytes are checked and converted 8 at a time in 64-bit
// registers, with no branch or table lookup per digit. This decodes every id
// of an incoming traceparent, so it was measured against a per-digit
// branchy loop and a 256-entry table (BM_DecodeHex16* in sdk_benchmark.cc,
// same run): see docs/benchmarks.md (SDK).
inline bool DecodeLowerHex16(const char* p, uint64_t* out) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto half = [](const char* q, uint32_t* value) {
    uint64_t x;
    std::memcpy(&x, q, 8);
    static_assert(std::endian::native == std::endian::little, "the load below assumes a little-endian host");
    x = __builtin_bswap64(x);  // first digit in the most significant byte
    // For bytes < 0x80, adding 0x80 - k sets a byte's high bit exactly when
    // the byte is >= k, with no carry into the next byte. A byte >= 0x80
    // fails the final check whatever these sums do.
    const uint64_t ge_0 = x + kOnes * (0x80 - '0');
    const uint64_t ge_colon = x + kOnes * (0x80 - ('9' + 1));
    const uint64_t ge_a = x + kOnes * (0x80 - 'a');
    const uint64_t ge_g = x + kOnes * (0x80 - ('f' + 1));
    const uint64_t digit = ge_0 & ~ge_colon & kHigh;
    const uint64_t letter = ge_a & ~ge_g & kHigh;
    // 'a'..'f' have low nibbles 1..6; add 9 to make 10..15.
    uint64_t nib = (x & (kOnes * 0x0F)) + (letter >> 7) * 9;
    nib = (nib | (nib >> 4)) & 0x00FF00FF00FF00FFULL;   // byte pairs
    nib = (nib | (nib >> 8)) & 0x0000FFFF0000FFFFULL;   // 16-bit lanes
    *value = static_cast<uint32_t>(nib | (nib >> 16));  // 8 digits
    return ((digit | letter) == kHigh) & ((x & kHigh) == 0);
  };
  uint32_t hi, lo;
  const bool ok = half(p, &hi) & half(p + 8, &lo);
  *out = (static_cast<uint64_t>(hi) << 32) | lo;
  return ok;
}

// Parses exactly hex.size() (<= 16) lowercase hex digits.
inline bool ParseLowerHex64(std::string_view hex, uint64_t* out) {
  if (hex.size() == 16) return DecodeLowerHex16(hex.data(), out);
  if (hex.empty() || hex.size() > 16) return false;
  uint64_t v = 0;
  for (char c : hex) {
    int d = LowerHexValue(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

inline constexpr char kLowerHex[] = "0123456789abcdef";
inline void WriteHex64(uint64_t v, char* out) {
  for (int i = 15; i >= 0; --i) {
    out[i] = kLowerHex[v & 0xF];
    v >>= 4;
  }
}

}  // namespace tracery::internal
