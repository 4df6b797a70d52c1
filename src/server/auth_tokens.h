// Bearer tokens for ingest and query (--auth-tokens-file), tenant ids, and
// the access decision every protected request goes through.
//
// The tokens file is either JSON
//   {"tokens": [{"token": "s3cr3t", "tenant": "acme", "role": "ingest"}]}
// or lines `TOKEN TENANT [ingest|query|all]` (role defaults to all; blank
// lines and lines starting with '#' are ignored). It is re-read when its
// modification time or size changes (checked at most once a second); a file
// that no longer parses keeps the previous tokens and logs why.
//
// Tokens are kept only as SHA-256 digests; a presented token is hashed and
// looked up by its digest (a hash table probe: timing can reveal at most
// something about the digest, from which the token cannot be recovered),
// and the match is confirmed with a constant-time comparison. Logs name a token by the first 8 hex digits of its
// digest (TokenFingerprint), never by the token.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace tracery::server {

// The tenant of every request when --multi-tenancy is off.
inline constexpr std::string_view kSingleTenantId = "single-tenant";

// What a request does; a token grants one of ingest, query or all.
enum class AccessRole { kIngest, kQuery, kAll };

// OK when `tenant` matches [A-Za-z0-9_.-]{1,64} and is not "." or "..";
// otherwise InvalidArgument saying what is allowed. Tenant ids become
// directory names, so this is what keeps a tenant inside DATA_DIR/tenants.
Status ValidateTenantId(std::string_view tenant);

// The first 8 hex digits of SHA-256(token): safe to log.
std::string TokenFingerprint(std::string_view token);

struct TokenGrant {
  std::string tenant;
  AccessRole role = AccessRole::kAll;
  std::string fingerprint;  // TokenFingerprint of the token
};

struct TokenEntry {
  uint8_t sha256[32];
  TokenGrant grant;
};

// Parses a tokens file's text (JSON when it starts with '{', else lines).
// InvalidArgument names the line or field that is wrong (never the token).
Result<std::vector<TokenEntry>> ParseTokens(std::string_view text);

// Thread-safe: Authenticate may be called concurrently from every listener.
class TokenAuthenticator {
 public:
  // Reads `path` once; an unreadable or malformed file is an error (the
  // server refuses to start rather than run unauthenticated).
  static Result<std::unique_ptr<TokenAuthenticator>> Open(std::filesystem::path path);

  // The grant of `bearer_token` (the text after "Bearer "), or
  // Unauthenticated when no entry matches. Reloads the file first when it
  // changed.
  Result<TokenGrant> Authenticate(std::string_view bearer_token);

  size_t size();  // tokens currently loaded

 private:
  explicit TokenAuthenticator(std::filesystem::path path) : path_(std::move(path)) {}
  Status Load();          // REQUIRES: mu_ held
  void MaybeReload();     // REQUIRES: mu_ held

  std::filesystem::path path_;
  std::mutex mu_;
  std::vector<TokenEntry> entries_;  // GUARDED_BY(mu_)
  std::unordered_map<std::string, size_t> by_digest_;  // GUARDED_BY(mu_): digest bytes -> entries_ index
  std::filesystem::file_time_type mtime_{};
  uintmax_t file_size_bytes_ = 0;
  std::chrono::steady_clock::time_point last_check_{};
};

// How the server decides who a request acts for.
struct AccessPolicy {
  bool multi_tenancy = false;
  TokenAuthenticator* tokens = nullptr;  // not owned; null: no authentication
};

// The tenant a request acts for, given its X-Scope-OrgID and Authorization
// values (null when absent) and what it wants to do:
//  - tokens on: no/malformed Authorization or an unknown token ->
//    Unauthenticated (401); a token whose role does not cover `needed`, or
//    (multi-tenancy) whose tenant differs from X-Scope-OrgID ->
//    PermissionDenied (403).
//  - multi-tenancy on: the tenant is X-Scope-OrgID (InvalidArgument for a
//    malformed id), else the token's tenant, else Unauthenticated.
//  - multi-tenancy off: always kSingleTenantId; the header is ignored and
//    any valid token (whatever its tenant) is accepted.
Result<std::string> ResolveTenant(const AccessPolicy& policy, const std::string* org_id,
                                  const std::string* authorization, AccessRole needed);

}  // namespace tracery::server
