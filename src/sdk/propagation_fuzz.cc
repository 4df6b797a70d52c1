// libFuzzer entry point for the SDK's extractors (W3C traceparent/tracestate,
// baggage, B3 single and multi, Jaeger uber-trace-id and uberctx-*): the
// input's lines are the values of those headers, in that order. Malformed
// headers must leave the context unchanged, never crash; whatever is
// extracted must inject and re-extract cleanly. Built by fuzz/build.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "tracery/propagation.h"

namespace {
const char* const kHeaders[] = {"traceparent",  "tracestate",    "baggage",      "b3",
                                "x-b3-traceid", "x-b3-spanid",   "x-b3-sampled", "x-b3-flags",
                                "x-b3-parentspanid", "uber-trace-id", "uberctx-user", "uberctx-"};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)tracery::ParseTraceparent(in);
  std::map<std::string, std::string> headers;
  for (const char* name : kHeaders) {
    if (in.empty()) break;
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    std::string key = name;
    if (key == "uberctx-") {  // the last line names its own key: "key:value"
      size_t colon = line.find(':');
      key += std::string(line.substr(0, colon));
      line = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    }
    headers[key] = std::string(line);
  }
  static const auto propagator = tracery::MakePropagator({"tracecontext", "baggage", "b3", "jaeger"});
  tracery::StdMapCarrier carrier(headers);
  tracery::Context extracted = propagator->Extract(carrier, tracery::Context{});
  std::map<std::string, std::string> out_headers;
  tracery::StdMapCarrier out(out_headers);
  propagator->Inject(extracted, out);
  for (const char* part : {"tracecontext", "baggage", "b3multi", "jaeger"}) {
    (void)tracery::MakePropagator({part})->Extract(out, tracery::Context{});
  }
  return 0;
}
