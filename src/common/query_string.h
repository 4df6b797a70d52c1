// URL query strings ("a=1&b=x%20y&flag") decoded into (key, value) pairs, the
// one implementation behind every HTTP front end (the server's request
// parsing and the analysis API's nested search queries).
//
// Pairs keep their order and repeats; empty items ("a=1&&b=2") are skipped;
// a key without '=' has an empty value; '+' decodes to a space. The lenient
// forms keep a malformed escape ("%zz", a trailing "%4") literally, as
// browsers do; the strict forms reject it with InvalidArgument naming it.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tracery {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Lenient: malformed escapes are kept literally.
QueryParams ParseQueryString(std::string_view qs);
std::string PercentDecode(std::string_view s, bool plus_is_space);

// Strict: InvalidArgument on a malformed escape, saying which.
Result<QueryParams> ParseQueryStringStrict(std::string_view qs);
Result<std::string> PercentDecodeStrict(std::string_view s, bool plus_is_space);

}  // namespace tracery
