// gzip (RFC 1952) for request bodies: Content-Encoding: gzip on OTLP/HTTP and
// Zipkin, and for clients that want to send compressed bodies.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tracery::ingest {

// Inflates a gzip body (one or more concatenated gzip members).
// TooLarge as soon as the output would exceed `max_output_bytes`, without
// inflating further (so a small "zip bomb" costs at most that much memory);
// InvalidArgument when `body` is not gzip, is corrupt or truncated, or has
// trailing bytes after the last member. Thread-safe.
Result<std::string> Gunzip(std::string_view body, size_t max_output_bytes);

// Compresses `raw` into one gzip member at zlib `level` (1 fastest .. 9
// smallest). Used by the load generator, forwarding and tests.
std::string GzipCompress(std::string_view raw, int level = 6);

}  // namespace tracery::ingest
