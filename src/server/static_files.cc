#include "server/static_files.h"

#include <fstream>
#include <sstream>

namespace tracery::server {
namespace {

std::string_view MimeType(const std::filesystem::path& p) {
  auto ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".map") return "application/json";
  return "application/octet-stream";
}

bool ReadFile(const std::filesystem::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

std::filesystem::path ResolveUiDir(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (auto dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
      if (std::filesystem::exists(dir / "ui" / "dist" / "index.html", ec)) return dir / "ui" / "dist";
    }
  }
  return std::filesystem::current_path(ec) / "ui" / "dist";
}

StaticFiles::StaticFiles(std::filesystem::path root) {
  std::error_code ec;
  root_ = std::filesystem::weakly_canonical(root, ec);
  available_ = !ec && std::filesystem::exists(root_ / "index.html", ec);
}

std::optional<HttpResponse> StaticFiles::Handle(const HttpRequest& req) {
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  if (req.path.rfind("/api/", 0) == 0 || req.path == "/api") return std::nullopt;
  HttpResponse r;
  if (!available_) {
    r.status = 503;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "The Tracery web UI is not built: run `npm ci && npm run build` in ui/ (scripts/build does).\n";
    return r;
  }
  std::error_code ec;
  std::filesystem::path rel = std::filesystem::path(req.path).relative_path();
  std::filesystem::path candidate = std::filesystem::weakly_canonical(root_ / rel, ec);
  // Stay inside the root: the canonical path must have root_ as a prefix.
  auto [root_end, _] = std::mismatch(root_.begin(), root_.end(), candidate.begin(), candidate.end());
  bool inside = !ec && root_end == root_.end();
  if (inside && std::filesystem::is_regular_file(candidate, ec) && ReadFile(candidate, &r.body)) {
    r.content_type = std::string(MimeType(candidate));
    if (req.path.rfind("/assets/", 0) == 0) r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
    return r;
  }
  if (!inside && req.path.find("..") != std::string::npos) {
    r.status = 404;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "not found\n";
    return r;
  }
  if (ReadFile(root_ / "index.html", &r.body)) {
    r.content_type = "text/html; charset=utf-8";
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }
  return std::nullopt;
}

}  // namespace tracery::server
