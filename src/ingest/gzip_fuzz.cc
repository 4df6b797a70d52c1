// libFuzzer entry point for Gunzip: any input must yield bytes or an error
// Status within the output bound. Built only with -DTRACERY_FUZZ=ON under clang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/gzip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kMax = 1 << 20;
  auto out = tracery::ingest::Gunzip(std::string_view(reinterpret_cast<const char*>(data), size), kMax);
  if (out.ok() && out->size() > kMax) std::abort();
  return 0;
}
