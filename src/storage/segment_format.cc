#include "storage/segment_format.h"

#include <zstd.h>

namespace tracery::storage::segment {

namespace {

// One zstd context per thread: creating one per call costs more than
// decompressing a small column.
struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};
ZstdContexts& Contexts() {
  thread_local ZstdContexts ctx;
  return ctx;
}

}  // namespace

Status Compress(std::string_view raw, int level, std::string* out) {
  out->resize(ZSTD_compressBound(raw.size()));
  size_t n = ZSTD_compressCCtx(Contexts().c, out->data(), out->size(), raw.data(), raw.size(), level);
  if (ZSTD_isError(n)) return Status::Internal(std::string("zstd compress: ") + ZSTD_getErrorName(n));
  out->resize(n);
  return Status::Ok();
}

Status Decompress(std::string_view compressed, size_t raw_bytes, std::string* out) {
  if (raw_bytes > (1ull << 32)) return Status::Corruption("segment block: implausible raw size");
  // The raw size comes from the file (a footer or directory field no CRC
  // covers): check it against the size the zstd frame declares before
  // allocating, so a corrupt size cannot ask for gigabytes.
  unsigned long long declared = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) return Status::Corruption("segment block: not a zstd frame");
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != raw_bytes) {
    return Status::Corruption("segment block: raw size " + std::to_string(raw_bytes) + " does not match the " +
                              std::to_string(declared) + " bytes its zstd frame declares");
  }
  out->resize(raw_bytes);
  size_t n = ZSTD_decompressDCtx(Contexts().d, out->data(), raw_bytes, compressed.data(), compressed.size());
  if (ZSTD_isError(n)) return Status::Corruption(std::string("segment block: zstd: ") + ZSTD_getErrorName(n));
  if (n != raw_bytes) return Status::Corruption("segment block: decompressed size mismatch");
  return Status::Ok();
}

std::string ServiceTerm(std::string_view service) { return "s\x1f" + std::string(service); }
std::string OperationTerm(std::string_view service, std::string_view name) {
  std::string t = "o\x1f";
  t.append(service);
  t.push_back('\x1f');
  t.append(name);
  return t;
}
std::string NameTerm(std::string_view name) { return "n\x1f" + std::string(name); }
std::string TagTerm(std::string_view key, std::string_view value) {
  std::string t = "t\x1f";
  t.append(key);
  t.push_back('\x1f');
  t.append(value);
  return t;
}

}  // namespace tracery::storage::segment
