// Base64 decoding for JSON wire formats (OTLP/JSON bytesValue).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tracery::ingest {

// Decodes standard (RFC 4648 §4, '+' '/') or URL-safe (§5, '-' '_') base64,
// with or without '=' padding. nullopt on any other character, misplaced
// padding, or an impossible length (one leftover character).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace tracery::ingest
