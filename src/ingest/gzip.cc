#include "ingest/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

namespace tracery::ingest {
namespace {

// zlib counts in uInt; feed it at most this much per call.
constexpr size_t kMaxChunk = UINT_MAX / 2;

}  // namespace

Result<std::string> Gunzip(std::string_view body, size_t max_output_bytes) {
  if (body.size() < 2 || static_cast<unsigned char>(body[0]) != 0x1f ||
      static_cast<unsigned char>(body[1]) != 0x8b) {
    return Status::InvalidArgument("body is not gzip (missing the 1f 8b magic bytes)");
  }
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Internal("zlib inflateInit2 failed");

  std::string out;
  // A guess at the ratio of typical telemetry; grown by doubling, capped.
  out.resize(std::min(max_output_bytes, std::max<size_t>(body.size() * 4, 4096)) + 1);
  size_t produced = 0;
  size_t consumed = 0;
  Status error;
  for (;;) {
    if (zs.avail_in == 0 && consumed < body.size()) {
      size_t n = std::min(kMaxChunk, body.size() - consumed);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data() + consumed));
      zs.avail_in = static_cast<uInt>(n);
      consumed += n;
    }
    if (produced == out.size()) {
      if (produced > max_output_bytes) break;  // handled below
      out.resize(std::min(out.size() * 2, max_output_bytes + 1));
    }
    size_t room = std::min(kMaxChunk, out.size() - produced);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(room);
    int rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    if (produced > max_output_bytes) break;
    if (rc == Z_STREAM_END) {
      size_t left = zs.avail_in + (body.size() - consumed);
      if (left == 0) break;
      // Another gzip member follows (RFC 1952 allows concatenation).
      size_t pos = body.size() - left;
      if (left < 2 || static_cast<unsigned char>(body[pos]) != 0x1f ||
          static_cast<unsigned char>(body[pos + 1]) != 0x8b) {
        error = Status::InvalidArgument("gzip body has " + std::to_string(left) +
                                        " trailing bytes after the compressed data");
        break;
      }
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && consumed == body.size()) {
      error = Status::InvalidArgument("gzip body is truncated (ends inside the compressed data)");
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      error = Status::InvalidArgument(std::string("gzip body is corrupt: ") +
                                      (zs.msg != nullptr ? zs.msg : "inflate failed"));
      break;
    }
  }
  inflateEnd(&zs);
  if (!error.ok()) return error;
  if (produced > max_output_bytes) {
    return Status::TooLarge("gzip body inflates to more than the limit of " +
                            std::to_string(max_output_bytes) + " bytes");
  }
  out.resize(produced);
  return out;
}

std::string GzipCompress(std::string_view raw, int level) {
  z_stream zs{};
  deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out;
  out.resize(deflateBound(&zs, raw.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace tracery::ingest
