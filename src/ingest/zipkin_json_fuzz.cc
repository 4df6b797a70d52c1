// libFuzzer entry point for DecodeZipkinJson: any input must yield a value or an error
// Status, never a crash, hang or sanitizer report. Small limits make the
// truncation paths reachable. Built only with -DTRACERY_FUZZ=ON under clang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/zipkin_json.h"
#include "ingest/fuzz_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const tracery::ingest::IngestLimits limits = tracery::ingest::SmallFuzzLimits();
  auto result = tracery::ingest::DecodeZipkinJson(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  (void)result;
  return 0;
}
