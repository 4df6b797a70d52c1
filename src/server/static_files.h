// StaticFiles: serves the built web UI from a directory, with single-page
// app fallback: a GET for a path that is not a file and not under /api/
// answers index.html, so client routes like /trace/{id} load the app.
// Paths are resolved and checked to stay inside the directory.
#pragma once

#include <filesystem>

#include "common/http_types.h"

namespace tracery::server {

// The built UI directory: `configured` when set, else ui/dist found in a
// parent directory of the running binary (build/tracery → ui/dist), else
// ./ui/dist.
std::filesystem::path ResolveUiDir(const std::string& configured);

class StaticFiles : public HttpHandler {
 public:
  explicit StaticFiles(std::filesystem::path root);
  std::optional<HttpResponse> Handle(const HttpRequest& req) override;
  bool available() const { return available_; }

 private:
  std::filesystem::path root_;
  bool available_ = false;
};

}  // namespace tracery::server
