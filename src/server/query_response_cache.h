// QueryResponseCache: an HttpHandler in front of the query APIs that
// answers identical GET requests with one computation, without ever
// answering with data older than the request.
//
// A query storm is mostly the same few questions asked by many people and
// dashboards at once (the service list, "recent errors of checkout", the
// dependency graph), and they wait in line behind each other on a bounded
// worker pool. A computation that starts after a request arrived sees every
// span acknowledged before that request, so its response is as fresh as
// that request needs. Hence the rule: a response computed from a start at
// time S may answer any identical request received at or before
// S + max_staleness. With the default max_staleness 0, no client can tell
// a shared answer from its own:
//  - single flight: a request identical to one being computed, received
//    before that computation started, waits for it and shares its answer;
//  - reuse: a request dequeued after such a computation finished takes its
//    kept response.
// A request received later starts a computation of its own. A positive
// max_staleness (--query-cache-staleness) trades freshness for load: e.g.
// 5 s lets a wall of dashboards refreshing the same panels share answers.
// `Cache-Control: no-cache` (or no-store) always bypasses both.
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
  bool enabled = true;                  // false: every request is computed on its own
  uint64_t max_staleness_ms = 0;        // see above; 0: never older than the request
  size_t max_bytes = 64u << 20;         // bodies and keys held, all entries
  size_t max_entry_bytes = 8u << 20;    // a larger response is shared in flight but not kept
  // Monotonic clock, the one HttpRequest::received_ns uses (steady_clock
  // when unset).
  std::function<uint64_t()> clock_ns;
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
    uint64_t shared = 0;     // waited for an identical computation in flight
    uint64_t misses = 0;     // computed
    uint64_t bypassed = 0;   // not cacheable (not GET, no-cache, cache off)
    uint64_t entries = 0;
    uint64_t bytes = 0;
  };
  Stats stats() const;

 private:
  using Result = std::shared_ptr<const std::optional<HttpResponse>>;
  // One computation in progress; waiters block until `done`.
  struct Flight {
    uint64_t started_ns = 0;
    bool done = false;
    Result result;
  };
  struct Entry {
    Result result;
    uint64_t started_ns = 0;  // when the computation that produced it began
    size_t bytes = 0;
    std::list<std::string>::iterator lru;  // position in lru_ (front: most recent)
  };

  std::optional<HttpResponse> Compute(const HttpRequest& req);
  // REQUIRES: mu_ held.
  void Insert(const std::string& key, Result result, uint64_t started_ns);
  void Erase(std::unordered_map<std::string, Entry>::iterator it);  // REQUIRES: mu_ held
  uint64_t NowNs() const;
  static std::optional<HttpResponse> Tagged(const std::optional<HttpResponse>& r, const char* how);

  const std::vector<HttpHandler*> inner_;
  const QueryResponseCacheOptions options_;
  const uint64_t max_staleness_ns_;
  mutable std::mutex mu_;
  std::condition_variable flight_done_;
  // The newest computation of each key (an older one still running is
  // referenced only by its own waiters).
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
