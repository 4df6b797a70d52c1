// Trace and span identifiers, kept in binary (never as hex text) everywhere
// inside Tracery; hex appears only at the edges (JSON APIs, headers).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace tracery::model {

// A 128-bit trace id. Zipkin and Jaeger 64-bit ids are stored with the high
// 8 bytes zero, which is also how they render back (16 hex digits when high
// is zero is a presentation choice of each API encoder).
struct TraceId {
  std::array<uint8_t, 16> bytes{};

  bool IsZero() const;
  uint64_t High() const;  // big-endian first 8 bytes
  uint64_t Low() const;   // big-endian last 8 bytes
  static TraceId FromHighLow(uint64_t high, uint64_t low);
  // Accepts 1 to 32 hex digits (shorter ids are left-padded with zeros, as
  // Zipkin and Jaeger allow); nullopt on any non-hex character or overlength.
  static std::optional<TraceId> FromHex(std::string_view hex);
  // Exactly 16 bytes, or nullopt.
  static std::optional<TraceId> FromBytes(std::string_view raw);
  std::string ToHex() const;  // always 32 lowercase hex digits

  friend bool operator==(const TraceId&, const TraceId&) = default;
  friend auto operator<=>(const TraceId&, const TraceId&) = default;
};

// A 64-bit span id; zero means "none" (e.g. a root span's parent).
struct SpanId {
  uint64_t value = 0;  // big-endian interpretation of the 8 wire bytes

  bool IsZero() const { return value == 0; }
  static std::optional<SpanId> FromHex(std::string_view hex);  // 1 to 16 hex digits
  static std::optional<SpanId> FromBytes(std::string_view raw);  // exactly 8 bytes
  std::string ToHex() const;  // always 16 lowercase hex digits
  void ToBytes(uint8_t out[8]) const;

  friend bool operator==(const SpanId&, const SpanId&) = default;
  friend auto operator<=>(const SpanId&, const SpanId&) = default;
};

struct TraceIdHash {
  size_t operator()(const TraceId& id) const {
    uint64_t a, b;
    std::memcpy(&a, id.bytes.data(), 8);
    std::memcpy(&b, id.bytes.data() + 8, 8);
    return static_cast<size_t>(a * 0x9E3779B97F4A7C15ULL ^ b);
  }
};

// Lowercase hex of arbitrary bytes, and back (nullopt on odd length or a
// non-hex character).
std::string HexEncode(std::string_view raw);
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace tracery::model
