#include "server/query_response_cache.h"

#include <algorithm>
#include <chrono>

#include "server/http_server.h"

namespace tracery::server {

namespace {

// Length-prefixed, so no parameter value can forge another key.
void AppendField(std::string* key, std::string_view s) {
  key->append(std::to_string(s.size()));
  key->push_back(':');
  key->append(s);
}

bool HasNoCache(const HttpRequest& req) {
  const std::string* cc = req.Header("cache-control");
  if (cc == nullptr) return false;
  std::string lower = *cc;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("no-cache") != std::string::npos || lower.find("no-store") != std::string::npos;
}

}  // namespace

QueryResponseCache::QueryResponseCache(std::vector<HttpHandler*> inner, QueryResponseCacheOptions options)
    : inner_(std::move(inner)), options_(std::move(options)), max_staleness_ns_(options_.max_staleness_ms * 1'000'000) {
  if (options_.metrics != nullptr) {
    const std::string name = "tracery_query_cache_requests_total";
    const std::string help = "Query API GET requests by how the response cache answered them";
    hits_counter_ = options_.metrics->GetCounter(name, help, "result=\"hit\"");
    shared_counter_ = options_.metrics->GetCounter(name, help, "result=\"shared\"");
    misses_counter_ = options_.metrics->GetCounter(name, help, "result=\"miss\"");
  }
}

std::string QueryResponseCache::KeyOf(const HttpRequest& req) {
  if (req.method != "GET" || HasNoCache(req)) return std::string();
  std::vector<const std::pair<std::string, std::string>*> params;
  params.reserve(req.query.size());
  for (const auto& p : req.query) params.push_back(&p);
  std::stable_sort(params.begin(), params.end(), [](auto* a, auto* b) { return *a < *b; });
  std::string key;
  AppendField(&key, req.path);
  for (const auto* p : params) {
    AppendField(&key, p->first);
    AppendField(&key, p->second);
  }
  const std::string* accept = req.Header("accept");
  key.push_back('|');
  AppendField(&key, accept ? *accept : std::string_view());
  return key;
}

uint64_t QueryResponseCache::NowNs() const {
  if (options_.clock_ns) return options_.clock_ns();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

std::optional<HttpResponse> QueryResponseCache::Compute(const HttpRequest& req) {
  for (HttpHandler* h : inner_) {
    if (auto resp = h->Handle(req)) return resp;
  }
  return std::nullopt;
}

std::optional<HttpResponse> QueryResponseCache::Tagged(const std::optional<HttpResponse>& r, const char* how) {
  if (!r) return std::nullopt;
  HttpResponse out = *r;
  out.headers.emplace_back("X-Tracery-Cache", how);
  return out;
}

std::optional<HttpResponse> QueryResponseCache::Handle(const HttpRequest& req) {
  std::string key = options_.enabled ? KeyOf(req) : std::string();
  if (key.empty()) {
    {
      std::lock_guard lock(mu_);
      stats_.bypassed++;
    }
    return Compute(req);
  }
  const uint64_t now_ns = NowNs();
  const uint64_t received_ns = req.received_ns != 0 ? std::min(req.received_ns, now_ns) : now_ns;
  // A computation started at `started_ns` saw everything acknowledged
  // before this request arrived (give or take max_staleness).
  auto fresh_enough = [&](uint64_t started_ns) { return started_ns + max_staleness_ns_ >= received_ns; };

  std::unique_lock lock(mu_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (fresh_enough(it->second.started_ns)) {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      stats_.hits++;
      if (hits_counter_) hits_counter_->Add();
      Result result = it->second.result;
      lock.unlock();
      return Tagged(*result, "hit");
    }
  }
  if (auto it = flights_.find(key); it != flights_.end() && fresh_enough(it->second->started_ns)) {
    std::shared_ptr<Flight> flight = it->second;
    stats_.shared++;
    if (shared_counter_) shared_counter_->Add();
    flight_done_.wait(lock, [&] { return flight->done; });
    Result result = flight->result;
    lock.unlock();
    return Tagged(*result, "shared");
  }
  auto flight = std::make_shared<Flight>();
  flight->started_ns = now_ns;
  flights_[key] = flight;
  stats_.misses++;
  if (misses_counter_) misses_counter_->Add();
  lock.unlock();

  auto finish = [&](Result result) {
    // REQUIRES: lock held.
    if (auto it = flights_.find(key); it != flights_.end() && it->second == flight) flights_.erase(it);
    flight->done = true;
    flight->result = std::move(result);
    flight_done_.notify_all();
  };
  Result result;
  try {
    result = std::make_shared<const std::optional<HttpResponse>>(Compute(req));
  } catch (...) {
    // The waiters get an error rather than waiting forever; this request
    // rethrows to HttpServer::Dispatch, which logs it and answers 500.
    lock.lock();
    finish(std::make_shared<const std::optional<HttpResponse>>(
        JsonError(500, "internal error while answering an identical request")));
    throw;
  }
  lock.lock();
  finish(result);
  if (result->has_value() && (*result)->status == 200 && (*result)->body.size() <= options_.max_entry_bytes) {
    Insert(key, result, flight->started_ns);
  }
  lock.unlock();
  return Tagged(*result, "miss");
}

void QueryResponseCache::Insert(const std::string& key, Result result, uint64_t started_ns) {
  // Body, key twice (map and LRU list) and the bookkeeping around them.
  const size_t bytes = (*result)->body.size() + 2 * key.size() + 256;
  if (bytes > options_.max_bytes) return;
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (it->second.started_ns > started_ns) return;  // a fresher answer is kept already
    Erase(it);
  }
  while (bytes_ + bytes > options_.max_bytes && !lru_.empty()) Erase(entries_.find(lru_.back()));
  lru_.push_front(key);
  entries_.emplace(key, Entry{std::move(result), started_ns, bytes, lru_.begin()});
  bytes_ += bytes;
}

void QueryResponseCache::Erase(std::unordered_map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

QueryResponseCache::Stats QueryResponseCache::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.entries = entries_.size();
  s.bytes = bytes_;
  return s;
}

}  // namespace tracery::server
