// libFuzzer entry point for ParseTraceQuery over a random query string
// ("k=v&k=v...", split here as the HTTP server does) and ParseDuration over
// the raw input: InvalidArgument or a query, never a crash or sanitizer
// report. Built by fuzz/build.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "query/search_params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view qs(reinterpret_cast<const char*>(data), size);
  (void)tracery::query::ParseDuration(qs);
  tracery::HttpRequest req;
  req.method = "GET";
  req.path = "/api/traces";
  while (!qs.empty()) {
    size_t amp = qs.find('&');
    std::string_view pair = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      req.query.emplace_back(std::string(pair), std::string());
    } else {
      req.query.emplace_back(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
    }
  }
  (void)tracery::query::ParseTraceQuery(req, 1'700'000'000'000'000'000ull);
  return 0;
}
