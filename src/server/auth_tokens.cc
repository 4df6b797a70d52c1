#include "server/auth_tokens.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>

namespace tracery::server {

namespace {

void Sha256(std::string_view s, uint8_t out[32]) {
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out);
}

Result<AccessRole> ParseRole(std::string_view r) {
  if (r == "ingest") return AccessRole::kIngest;
  if (r == "query") return AccessRole::kQuery;
  if (r == "all") return AccessRole::kAll;
  return Status::InvalidArgument("role must be ingest, query or all, got '" + std::string(r) + "'");
}

Result<TokenEntry> MakeEntry(std::string_view token, std::string_view tenant, std::string_view role) {
  if (token.empty()) return Status::InvalidArgument("empty token");
  if (auto st = ValidateTenantId(tenant); !st.ok()) return st;
  auto parsed_role = ParseRole(role);
  if (!parsed_role.ok()) return parsed_role.status();
  TokenEntry e;
  Sha256(token, e.sha256);
  e.grant.tenant = std::string(tenant);
  e.grant.role = *parsed_role;
  e.grant.fingerprint = TokenFingerprint(token);
  return e;
}

Result<std::vector<TokenEntry>> ParseJsonTokens(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc)) {
    return Status::InvalidArgument(std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::array tokens;
  if (doc["tokens"].get_array().get(tokens)) {
    return Status::InvalidArgument("expected {\"tokens\": [{\"token\":..., \"tenant\":..., \"role\":...}]}");
  }
  std::vector<TokenEntry> out;
  size_t i = 0;
  for (simdjson::dom::element t : tokens) {
    std::string_view token, tenant, role = "all";
    if (t["token"].get_string().get(token) || t["tenant"].get_string().get(tenant)) {
      return Status::InvalidArgument("tokens[" + std::to_string(i) + "]: needs string fields token and tenant");
    }
    if (auto r = t["role"]; !r.error() && r.get_string().get(role)) {
      return Status::InvalidArgument("tokens[" + std::to_string(i) + "]: role must be a string");
    }
    auto e = MakeEntry(token, tenant, role);
    if (!e.ok()) return Status::InvalidArgument("tokens[" + std::to_string(i) + "]: " + e.status().message());
    out.push_back(std::move(e).value());
    ++i;
  }
  return out;
}

Result<std::vector<TokenEntry>> ParseLineTokens(std::string_view text) {
  std::vector<TokenEntry> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream words(line);
    std::string token, tenant, role = "all", extra;
    if (!(words >> token) || token[0] == '#') continue;
    if (!(words >> tenant)) {
      return Status::InvalidArgument("line " + std::to_string(line_no) + ": expected `TOKEN TENANT [ingest|query|all]`");
    }
    words >> role;
    if (words >> extra) {
      return Status::InvalidArgument("line " + std::to_string(line_no) + ": unexpected text after the role");
    }
    auto e = MakeEntry(token, tenant, role);
    if (!e.ok()) return Status::InvalidArgument("line " + std::to_string(line_no) + ": " + e.status().message());
    out.push_back(std::move(e).value());
  }
  return out;
}

bool Covers(AccessRole granted, AccessRole needed) { return granted == AccessRole::kAll || granted == needed; }

const char* RoleName(AccessRole r) {
  return r == AccessRole::kIngest ? "ingest" : r == AccessRole::kQuery ? "query" : "all";
}

}  // namespace

Status ValidateTenantId(std::string_view tenant) {
  bool ok = !tenant.empty() && tenant.size() <= 64 && tenant != "." && tenant != "..";
  for (char c : tenant) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                c == '-');
  }
  if (ok) return Status::Ok();
  return Status::InvalidArgument(
      "invalid tenant id: use 1 to 64 characters from A-Z a-z 0-9 _ . - (and not '.' or '..')");
}

std::string TokenFingerprint(std::string_view token) {
  uint8_t digest[32];
  Sha256(token, digest);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 4; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

Result<std::vector<TokenEntry>> ParseTokens(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return ParseJsonTokens(text);
  return ParseLineTokens(text);
}

Result<std::unique_ptr<TokenAuthenticator>> TokenAuthenticator::Open(std::filesystem::path path) {
  std::unique_ptr<TokenAuthenticator> auth(new TokenAuthenticator(std::move(path)));
  std::lock_guard<std::mutex> lock(auth->mu_);
  TRACERY_RETURN_IF_ERROR(auth->Load());
  return auth;
}

Status TokenAuthenticator::Load() {
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(path_, ec);
  auto size = ec ? 0 : std::filesystem::file_size(path_, ec);
  std::ifstream in(path_, std::ios::binary);
  if (ec || !in) return Status::IOError("cannot read the tokens file " + path_.string());
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = ParseTokens(text.str());
  if (!parsed.ok()) return Status::InvalidArgument("tokens file " + path_.string() + ": " + parsed.status().message());
  entries_ = std::move(parsed).value();
  by_digest_.clear();
  for (size_t i = 0; i < entries_.size(); ++i) {
    // The first of duplicate tokens wins.
    by_digest_.emplace(std::string(reinterpret_cast<const char*>(entries_[i].sha256), 32), i);
  }
  mtime_ = mtime;
  file_size_bytes_ = size;
  return Status::Ok();
}

void TokenAuthenticator::MaybeReload() {
  auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < std::chrono::seconds(1)) return;
  last_check_ = now;
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(path_, ec);
  auto size = ec ? 0 : std::filesystem::file_size(path_, ec);
  if (ec || (mtime == mtime_ && size == file_size_bytes_)) return;
  if (auto st = Load(); !st.ok()) {
    spdlog::error("keeping the previous {} tokens: {}", entries_.size(), st.message());
    mtime_ = mtime;  // do not retry a bad file every second; the next edit reloads
    file_size_bytes_ = size;
  } else {
    spdlog::info("reloaded {} tokens from {}", entries_.size(), path_.string());
  }
}

Result<TokenGrant> TokenAuthenticator::Authenticate(std::string_view bearer_token) {
  uint8_t digest[32];
  Sha256(bearer_token, digest);
  std::lock_guard<std::mutex> lock(mu_);
  MaybeReload();
  const TokenEntry* match = nullptr;
  if (auto it = by_digest_.find(std::string(reinterpret_cast<const char*>(digest), sizeof digest));
      it != by_digest_.end() && CRYPTO_memcmp(entries_[it->second].sha256, digest, sizeof digest) == 0) {
    match = &entries_[it->second];
  }
  if (match == nullptr) return Status::Unauthenticated("unknown bearer token: check the token in your client's configuration");
  return match->grant;
}

size_t TokenAuthenticator::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

Result<std::string> ResolveTenant(const AccessPolicy& policy, const std::string* org_id,
                                  const std::string* authorization, AccessRole needed) {
  std::optional<TokenGrant> grant;
  if (policy.tokens != nullptr) {
    if (authorization == nullptr) {
      return Status::Unauthenticated("missing credentials: send `Authorization: Bearer <token>`");
    }
    std::string_view value(*authorization);
    constexpr std::string_view kBearer = "bearer ";
    bool is_bearer = value.size() > kBearer.size();
    for (size_t i = 0; is_bearer && i < kBearer.size(); ++i) {
      is_bearer = std::tolower(static_cast<unsigned char>(value[i])) == kBearer[i];
    }
    if (!is_bearer) return Status::Unauthenticated("malformed Authorization header: expected `Bearer <token>`");
    std::string_view token = value.substr(kBearer.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    auto g = policy.tokens->Authenticate(token);
    if (!g.ok()) return g.status();
    grant = std::move(g).value();
    if (!Covers(grant->role, needed)) {
      spdlog::warn("token {} (role {}) refused for {}", grant->fingerprint, RoleName(grant->role), RoleName(needed));
      return Status::PermissionDenied(std::string("this token may not ") +
                                      (needed == AccessRole::kIngest ? "send spans" : "query") + " (its role is " +
                                      RoleName(grant->role) + ")");
    }
  }
  if (!policy.multi_tenancy) return std::string(kSingleTenantId);
  if (org_id == nullptr) {
    if (grant) return grant->tenant;
    return Status::Unauthenticated("missing X-Scope-OrgID header: multi-tenancy is on, so every request names its tenant");
  }
  TRACERY_RETURN_IF_ERROR(ValidateTenantId(*org_id));
  if (grant && grant->tenant != *org_id) {
    spdlog::warn("token {} of tenant {} refused for tenant {}", grant->fingerprint, grant->tenant, *org_id);
    return Status::PermissionDenied("this token does not belong to tenant '" + *org_id + "'");
  }
  return *org_id;
}

}  // namespace tracery::server
