// Character classes and small parsers shared by the header propagators.
#pragma once

#include <cstdint>
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

// Parses exactly hex.size() (<= 16) lowercase hex digits.
inline bool ParseLowerHex64(std::string_view hex, uint64_t* out) {
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
