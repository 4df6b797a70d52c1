#include "common/query_string.h"

namespace tracery {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes `s` into `out`; on a malformed escape keeps it literally when
// `strict` is false, else returns InvalidArgument.
Status Decode(std::string_view s, bool plus_is_space, bool strict, std::string* out) {
  out->reserve(out->size() + s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      const bool complete = i + 2 < s.size();
      const int hi = complete ? HexDigit(s[i + 1]) : -1;
      const int lo = complete ? HexDigit(s[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
      if (strict) {
        return Status::InvalidArgument(std::string(complete ? "bad" : "truncated") + " percent escape in \"" +
                                       std::string(s) + "\": write '%' as %25");
      }
    }
    out->push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return Status::Ok();
}

Result<QueryParams> Parse(std::string_view qs, bool strict) {
  QueryParams out;
  while (!qs.empty()) {
    const size_t amp = qs.find('&');
    const std::string_view item = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    std::string key, value;
    TRACERY_RETURN_IF_ERROR(Decode(item.substr(0, eq), true, strict, &key));
    if (eq != std::string_view::npos) TRACERY_RETURN_IF_ERROR(Decode(item.substr(eq + 1), true, strict, &value));
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

}  // namespace

QueryParams ParseQueryString(std::string_view qs) { return std::move(Parse(qs, /*strict=*/false)).value(); }

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  (void)Decode(s, plus_is_space, /*strict=*/false, &out);  // lenient decoding cannot fail
  return out;
}

Result<QueryParams> ParseQueryStringStrict(std::string_view qs) { return Parse(qs, /*strict=*/true); }

Result<std::string> PercentDecodeStrict(std::string_view s, bool plus_is_space) {
  std::string out;
  TRACERY_RETURN_IF_ERROR(Decode(s, plus_is_space, /*strict=*/true, &out));
  return out;
}

}  // namespace tracery
