// JSON string escaping for hand-written JSON encoders. The escaping itself is
// JsonWriter's (common/json_writer.h): one implementation, RFC 8259, with
// invalid UTF-8 bytes replaced by U+FFFD so the output is always valid JSON.
#pragma once

#include <string>
#include <string_view>

#include "common/json_writer.h"

namespace tracery {

// `s` escaped for use inside a JSON string literal (no quotes).
inline std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  AppendJsonEscaped(&out, s);
  return out;
}

}  // namespace tracery
