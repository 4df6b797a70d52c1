// Writing JSON text by hand in the demo services' responses.
#pragma once

#include <string>
#include <string_view>

namespace shop {

// `s` as a JSON string literal, quotes included (control characters,
// quotes and backslashes escaped; other bytes passed through).
std::string JsonQuote(std::string_view s);

}  // namespace shop
