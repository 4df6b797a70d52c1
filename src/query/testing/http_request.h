// Requests for tests of the HTTP query APIs, built as the server would hand
// them to a handler (path already percent-decoded, query already split).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/http_types.h"

namespace tracery::query::testing {

inline HttpRequest Get(std::string path, std::vector<std::pair<std::string, std::string>> query = {}) {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  return r;
}

}  // namespace tracery::query::testing
