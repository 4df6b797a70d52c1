// Helpers for tests that parse API output with simdjson and assert fields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

namespace tracery::query::testing {

// Owns the parser so the returned element stays valid.
class ParsedJson {
 public:
  explicit ParsedJson(const std::string& text) {
    error_ = parser_.parse(simdjson::padded_string(text)).get(root_);
  }
  bool ok() const { return error_ == simdjson::SUCCESS; }
  simdjson::dom::element root() const { return root_; }

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  simdjson::error_code error_;
};

inline std::string Str(simdjson::dom::element e) {
  std::string_view v;
  if (e.get_string().get(v) != simdjson::SUCCESS) return "<not a string: " + simdjson::minify(e) + ">";
  return std::string(v);
}

// The object in array `arr` whose field `field` equals `value` (as a
// string); the NO_SUCH_FIELD error when there is none.
inline simdjson::simdjson_result<simdjson::dom::element> FindBy(simdjson::dom::element arr, std::string_view field, std::string_view value) {
  simdjson::dom::array a;
  if (arr.get_array().get(a) != simdjson::SUCCESS) return simdjson::INCORRECT_TYPE;
  for (simdjson::dom::element e : a) {
    simdjson::dom::element f;
    if (e[field].get(f) == simdjson::SUCCESS && f.is_string() && Str(f) == value) return e;
  }
  return simdjson::NO_SUCH_FIELD;
}

}  // namespace tracery::query::testing
