// libFuzzer entry point for ParseTraceQL: any text yields a syntax tree or
// InvalidArgument, never a crash, hang, unbounded recursion or sanitizer
// report. Built by fuzz/build.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "traceql/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)tracery::traceql::ParseTraceQL(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
