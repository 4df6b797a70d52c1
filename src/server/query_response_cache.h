// QueryResponseCache: an HttpHandler in front of the query APIs that
// answers identical GET requests once.
//
// A query storm is mostly the same few questions asked by many people and
// dashboards at once (the service list, "recent errors of checkout", the
// dependency graph). Two mechanisms make each distinct question cost one
// computation:
//  - single flight: a request identical to one being computed waits for
//    that computation and shares its response instead of starting another;
//  - freshness window: a 200 response is reused for `ttl_ms` after it was
//    computed. Results may therefore be up to ttl_ms older than the store
//    (spans acknowledged in the last ttl_ms may be missing from a reused
//    search). A client that must not see that sends `Cache-Control:
//    no-cache` (or no-store), which bypasses both mechanisms.
//
// Identical means: method GET, the same path, the same query parameters
// (in any order) and the same Accept header. Responses other than 200 are
// never kept (a trace not found yet is looked up again), nor bodies larger
// than max_entry_bytes. Memory is bounded by max_bytes (least recently used
// entries are dropped first).
//
// Tenancy: one cache per tenant's handler set (QueryHandlers), behind the
// authentication gateway, so tenants never share entries.
//
// Thread-safety: Handle may be called concurrently from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/http_types.h"
#include "common/metrics_registry.h"

namespace tracery::server {

struct QueryResponseCacheOptions {
  uint64_t ttl_ms = 1000;               // 0 turns the cache (and single flight) off
  size_t max_bytes = 64u << 20;         // bodies and keys held, all entries
  size_t max_entry_bytes = 8u << 20;    // a larger response is not kept
  std::function<uint64_t()> clock_ms;   // monotonic; steady_clock when unset
  MetricsRegistry* metrics = nullptr;   // counters tracery_query_cache_*; none when null
};

class QueryResponseCache : public HttpHandler {
 public:
  // `inner` are offered each request in turn, as HttpServer::Dispatch
  // does; they are not owned and must outlive the cache.
  QueryResponseCache(std::vector<HttpHandler*> inner, QueryResponseCacheOptions options);

  std::optional<HttpResponse> Handle(const HttpRequest& req) override;

  // The key identical requests share; empty when `req` is not cacheable.
  static std::string KeyOf(const HttpRequest& req);

  struct Stats {
    uint64_t hits = 0;       // answered from a kept response
    uint64_t shared = 0;     // waited for an identical request in flight
    uint64_t misses = 0;     // computed
    uint64_t bypassed = 0;   // not cacheable (not GET, no-cache, cache off)
    uint64_t entries = 0;
    uint64_t bytes = 0;
  };
  Stats stats() const;

 private:
  // One computation in progress; waiters block on `done`.
  struct Flight {
    bool done = false;
    std::shared_ptr<const std::optional<HttpResponse>> result;
  };
  struct Entry {
    std::shared_ptr<const std::optional<HttpResponse>> result;
    uint64_t expires_ms = 0;
    size_t bytes = 0;
    std::list<std::string>::iterator lru;  // position in lru_ (front: most recent)
  };

  std::optional<HttpResponse> Compute(const HttpRequest& req);
  // REQUIRES: mu_ held.
  void Insert(const std::string& key, std::shared_ptr<const std::optional<HttpResponse>> result, uint64_t now_ms);
  void Erase(std::unordered_map<std::string, Entry>::iterator it);  // REQUIRES: mu_ held
  uint64_t NowMs() const;
  static std::optional<HttpResponse> Tagged(const std::optional<HttpResponse>& r, const char* how);

  const std::vector<HttpHandler*> inner_;
  const QueryResponseCacheOptions options_;
  mutable std::mutex mu_;
  std::condition_variable flight_done_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;  // GUARDED_BY(mu_)
  std::unordered_map<std::string, Entry> entries_;                    // GUARDED_BY(mu_)
  std::list<std::string> lru_;                                        // GUARDED_BY(mu_)
  size_t bytes_ = 0;                                                  // GUARDED_BY(mu_)
  Stats stats_;                                                       // GUARDED_BY(mu_)
  Counter* hits_counter_ = nullptr;
  Counter* shared_counter_ = nullptr;
  Counter* misses_counter_ = nullptr;
};

}  // namespace tracery::server
