// libFuzzer entry point for DecodeOtlpProtobuf: any input must yield a value or an error
// Status, never a crash, hang or sanitizer report. Small limits make the
// truncation paths reachable. Built only with -DTRACERY_FUZZ=ON under clang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/otlp_protobuf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tracery::ingest::IngestLimits limits;
  limits.max_attributes_per_span = 8;
  limits.max_attribute_value_bytes = 16;
  limits.max_events_per_span = 4;
  limits.max_links_per_span = 4;
  limits.max_array_values = 8;
  limits.max_value_depth = 4;
  auto result = tracery::ingest::DecodeOtlpProtobuf(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  (void)result;
  return 0;
}
