#include "server/query_response_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "server/query_handlers.h"

namespace tracery::server {
namespace {

// Answers /api/* with a body naming the call number; counts calls.
class CountingHandler : public HttpHandler {
 public:
  std::optional<HttpResponse> Handle(const HttpRequest& req) override {
    if (!req.path.starts_with("/api/")) return std::nullopt;
    int n = ++calls;
    if (gate) {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return open; });
    }
    if (req.path == "/api/throw") throw std::runtime_error("boom");
    if (req.path == "/api/missing") return HttpResponse::Json(404, "{}");
    return HttpResponse::Json(200, "{\"call\":" + std::to_string(n) + ",\"body\":\"" + std::string(body_bytes, 'x') + "\"}");
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
  std::atomic<int> calls{0};
  bool gate = false;
  size_t body_bytes = 0;
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
};

HttpRequest Get(std::string path, std::vector<std::pair<std::string, std::string>> query = {}) {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  return r;
}

std::string CacheHeader(const HttpResponse& r) {
  for (const auto& [k, v] : r.headers)
    if (k == "X-Tracery-Cache") return v;
  return "";
}

struct Fixture {
  CountingHandler inner;
  uint64_t now_ms = 1000;
  QueryResponseCache cache;
  explicit Fixture(QueryResponseCacheOptions o = {})
      : cache({&inner}, [&] {
          o.clock_ms = [this] { return now_ms; };
          return o;
        }()) {}
};

TEST(QueryResponseCache, IdenticalRequestWithinTtlIsAnsweredOnce) {
  Fixture f;
  auto a = f.cache.Handle(Get("/api/traces", {{"service", "a"}, {"limit", "20"}}));
  f.now_ms += 500;
  // Same parameters in another order.
  auto b = f.cache.Handle(Get("/api/traces", {{"limit", "20"}, {"service", "a"}}));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(f.inner.calls.load(), 1);
  EXPECT_EQ(a->body, b->body);
  EXPECT_EQ(CacheHeader(*a), "miss");
  EXPECT_EQ(CacheHeader(*b), "hit");
  EXPECT_EQ(f.cache.stats().hits, 1u);
}

TEST(QueryResponseCache, ExpiredResponseIsComputedAgain) {
  Fixture f;
  f.cache.Handle(Get("/api/services"));
  f.now_ms += 1000;  // ttl 1000 ms: expired
  auto r = f.cache.Handle(Get("/api/services"));
  EXPECT_EQ(f.inner.calls.load(), 2);
  EXPECT_NE(r->body.find("\"call\":2"), std::string::npos);
}

TEST(QueryResponseCache, DifferentParametersOrAcceptAreDifferentQuestions) {
  Fixture f;
  f.cache.Handle(Get("/api/traces", {{"service", "a"}}));
  f.cache.Handle(Get("/api/traces", {{"service", "b"}}));
  f.cache.Handle(Get("/api/traces", {{"service", "a"}, {"service", "b"}}));
  HttpRequest proto = Get("/api/traces", {{"service", "a"}});
  proto.headers.emplace_back("accept", "application/protobuf");
  f.cache.Handle(proto);
  // A value containing what a naive key would use as a separator.
  f.cache.Handle(Get("/api/traces", {{"service", "a&service=b"}}));
  EXPECT_EQ(f.inner.calls.load(), 5);
}

TEST(QueryResponseCache, ErrorsAreNotKept) {
  Fixture f;
  EXPECT_EQ(f.cache.Handle(Get("/api/missing"))->status, 404);
  EXPECT_EQ(f.cache.Handle(Get("/api/missing"))->status, 404);
  EXPECT_EQ(f.inner.calls.load(), 2);  // a trace not found yet is looked up again
}

TEST(QueryResponseCache, NoCacheHeaderPostAndTtlZeroBypass) {
  Fixture f;
  f.cache.Handle(Get("/api/services"));
  HttpRequest fresh = Get("/api/services");
  fresh.headers.emplace_back("cache-control", "No-Cache");
  auto r = f.cache.Handle(fresh);
  EXPECT_EQ(f.inner.calls.load(), 2);
  EXPECT_EQ(CacheHeader(*r), "");
  HttpRequest post = Get("/api/services");
  post.method = "POST";
  f.cache.Handle(post);
  f.cache.Handle(post);
  EXPECT_EQ(f.inner.calls.load(), 4);

  QueryResponseCacheOptions off;
  off.ttl_ms = 0;
  Fixture g(off);
  g.cache.Handle(Get("/api/services"));
  g.cache.Handle(Get("/api/services"));
  EXPECT_EQ(g.inner.calls.load(), 2);
}

TEST(QueryResponseCache, PathsNoInnerHandlerTakesFallThrough) {
  Fixture f;
  EXPECT_FALSE(f.cache.Handle(Get("/index.html")).has_value());  // the UI after the cache serves it
  EXPECT_FALSE(f.cache.Handle(Get("/index.html")).has_value());
}

TEST(QueryResponseCache, ConcurrentIdenticalRequestsShareOneComputation) {
  Fixture f;
  f.inner.gate = true;
  constexpr int kClients = 16;
  std::vector<std::optional<HttpResponse>> out(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] { out[i] = f.cache.Handle(Get("/api/dependencies", {{"lookback", "1h"}})); });
  }
  // Wait until the first is computing and every other one is waiting for it.
  for (int spin = 0; spin < 20000 && f.cache.stats().shared < kClients - 1; ++spin) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(f.cache.stats().shared, static_cast<uint64_t>(kClients - 1));
  f.inner.Open();
  for (auto& t : threads) t.join();
  EXPECT_EQ(f.inner.calls.load(), 1);
  for (const auto& r : out) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, out[0]->body);
  }
}

TEST(QueryResponseCache, WaitersOfAFailedComputationGetAnErrorNotAHang) {
  Fixture f;
  f.inner.gate = true;
  std::optional<HttpResponse> waiter;
  bool leader_threw = false;
  std::thread leader([&] {
    try {
      f.cache.Handle(Get("/api/throw"));
    } catch (const std::runtime_error&) {
      leader_threw = true;
    }
  });
  while (f.inner.calls.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread other([&] { waiter = f.cache.Handle(Get("/api/throw")); });
  while (f.cache.stats().shared == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  f.inner.Open();
  leader.join();
  other.join();
  EXPECT_TRUE(leader_threw);
  ASSERT_TRUE(waiter.has_value());
  EXPECT_EQ(waiter->status, 500);
  EXPECT_THROW(f.cache.Handle(Get("/api/throw")), std::runtime_error);  // nothing kept: computed again
}

TEST(QueryResponseCache, MemoryIsBoundedByEvictingLeastRecentlyUsed) {
  QueryResponseCacheOptions o;
  o.max_bytes = 9'000;
  o.max_entry_bytes = 4'000;
  Fixture f(o);
  f.inner.body_bytes = 3'000;
  f.cache.Handle(Get("/api/a"));
  f.cache.Handle(Get("/api/b"));
  f.cache.Handle(Get("/api/a"));  // a is now more recent than b
  f.cache.Handle(Get("/api/c"));  // three entries exceed 9 kB: b goes
  EXPECT_LE(f.cache.stats().bytes, 9'000u);
  int before = f.inner.calls.load();
  f.cache.Handle(Get("/api/a"));
  EXPECT_EQ(f.inner.calls.load(), before);
  f.cache.Handle(Get("/api/b"));
  EXPECT_EQ(f.inner.calls.load(), before + 1);
  // A response larger than max_entry_bytes is answered but not kept.
  f.inner.body_bytes = 5'000;
  f.cache.Handle(Get("/api/big"));
  f.cache.Handle(Get("/api/big"));
  EXPECT_EQ(f.inner.calls.load(), before + 3);
}

TEST(QueryHandlersLanes, TraceByIdAndListsAreLightSearchesAreHeavy) {
  for (const char* p : {"/", "/index.html", "/assets/app.js", "/api/traces/0af7651916cd43dd8448eb211c80319c",
                        "/api/v3/traces/0af7651916cd43dd8448eb211c80319c", "/api/v2/traces/abc", "/api/services",
                        "/api/services/frontend/operations", "/api/operations", "/api/v3/services",
                        "/api/v3/operations", "/api/echo"}) {
    EXPECT_TRUE(QueryHandlers::IsLightRequest(Get(p))) << p;
  }
  for (const char* p : {"/api/traces", "/api/v3/traces", "/api/dependencies", "/api/search", "/api/search/tags",
                        "/api/analysis/latency", "/api/traces/abc/extra", "/api/traces/"}) {
    EXPECT_FALSE(QueryHandlers::IsLightRequest(Get(p))) << p;
  }
}

}  // namespace
}  // namespace tracery::server
