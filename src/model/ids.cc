#include "model/ids.h"

namespace tracery::model {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses up to 16 hex digits into a uint64; false on a bad digit.
bool ParseHex64(std::string_view hex, uint64_t* out) {
  uint64_t v = 0;
  for (char c : hex) {
    int d = HexValue(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace

bool TraceId::IsZero() const {
  for (uint8_t b : bytes)
    if (b != 0) return false;
  return true;
}

uint64_t TraceId::High() const {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | bytes[i];
  return v;
}

uint64_t TraceId::Low() const {
  uint64_t v = 0;
  for (int i = 8; i < 16; ++i) v = (v << 8) | bytes[i];
  return v;
}

TraceId TraceId::FromHighLow(uint64_t high, uint64_t low) {
  TraceId id;
  for (int i = 7; i >= 0; --i) {
    id.bytes[i] = static_cast<uint8_t>(high);
    high >>= 8;
    id.bytes[8 + i] = static_cast<uint8_t>(low);
    low >>= 8;
  }
  return id;
}

std::optional<TraceId> TraceId::FromHex(std::string_view hex) {
  if (hex.empty() || hex.size() > 32) return std::nullopt;
  uint64_t high = 0, low = 0;
  if (hex.size() > 16) {
    if (!ParseHex64(hex.substr(0, hex.size() - 16), &high)) return std::nullopt;
    hex = hex.substr(hex.size() - 16);
  }
  if (!ParseHex64(hex, &low)) return std::nullopt;
  return FromHighLow(high, low);
}

std::optional<TraceId> TraceId::FromBytes(std::string_view raw) {
  if (raw.size() != 16) return std::nullopt;
  TraceId id;
  std::memcpy(id.bytes.data(), raw.data(), 16);
  return id;
}

std::string TraceId::ToHex() const {
  std::string s(32, '0');
  for (int i = 0; i < 16; ++i) {
    s[2 * i] = kHex[bytes[i] >> 4];
    s[2 * i + 1] = kHex[bytes[i] & 15];
  }
  return s;
}

std::optional<SpanId> SpanId::FromHex(std::string_view hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  SpanId id;
  if (!ParseHex64(hex, &id.value)) return std::nullopt;
  return id;
}

std::optional<SpanId> SpanId::FromBytes(std::string_view raw) {
  if (raw.size() != 8) return std::nullopt;
  SpanId id;
  for (char c : raw) id.value = (id.value << 8) | static_cast<uint8_t>(c);
  return id;
}

std::string SpanId::ToHex() const {
  std::string s(16, '0');
  uint64_t v = value;
  for (int i = 15; i >= 0; --i) {
    s[i] = kHex[v & 15];
    v >>= 4;
  }
  return s;
}

void SpanId::ToBytes(uint8_t out[8]) const {
  uint64_t v = value;
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

std::string HexEncode(std::string_view raw) {
  std::string s(raw.size() * 2, '0');
  for (size_t i = 0; i < raw.size(); ++i) {
    auto b = static_cast<uint8_t>(raw[i]);
    s[2 * i] = kHex[b >> 4];
    s[2 * i + 1] = kHex[b & 15];
  }
  return s;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

}  // namespace tracery::model
