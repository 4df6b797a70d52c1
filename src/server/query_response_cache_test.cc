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

constexpr uint64_t kMs = 1'000'000;

HttpRequest Get(std::string path, std::vector<std::pair<std::string, std::string>> query = {},
                uint64_t received_ns = 0) {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  r.received_ns = received_ns;
  return r;
}

std::string CacheHeader(const HttpResponse& r) {
  for (const auto& [k, v] : r.headers)
    if (k == "X-Tracery-Cache") return v;
  return "";
}

struct Fixture {
  CountingHandler inner;
  std::atomic<uint64_t> now_ns{1000 * kMs};
  QueryResponseCache cache;
  explicit Fixture(QueryResponseCacheOptions o = {})
      : cache({&inner}, [&] {
          o.clock_ns = [this] { return now_ns.load(); };
          return o;
        }()) {}
};

// Requests queued behind a computation that started after they arrived
// take its answer: it already reflects everything acknowledged before them.
TEST(QueryResponseCache, RequestReceivedBeforeAComputationStartedReusesItsAnswer) {
  Fixture f;
  const uint64_t queued_since = f.now_ns - 300 * kMs;
  auto a = f.cache.Handle(Get("/api/traces", {{"service", "a"}, {"limit", "20"}}, queued_since));
  f.now_ns += 500 * kMs;
  // Same parameters in another order, received before the first computation began.
  auto b = f.cache.Handle(Get("/api/traces", {{"limit", "20"}, {"service", "a"}}, queued_since + 10 * kMs));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(f.inner.calls.load(), 1);
  EXPECT_EQ(a->body, b->body);
  EXPECT_EQ(CacheHeader(*a), "miss");
  EXPECT_EQ(CacheHeader(*b), "hit");
  EXPECT_EQ(f.cache.stats().hits, 1u);
}

// The guarantee users rely on: an answer is never older than the request.
// A client polling a trace until it stops growing must see every new span.
TEST(QueryResponseCache, RequestReceivedAfterAComputationStartedIsComputedAgain) {
  Fixture f;
  f.cache.Handle(Get("/api/traces/abc", {}, f.now_ns));
  f.now_ns += 1 * kMs;
  auto r = f.cache.Handle(Get("/api/traces/abc", {}, f.now_ns));
  EXPECT_EQ(f.inner.calls.load(), 2);
  EXPECT_NE(r->body.find("\"call\":2"), std::string::npos);
  EXPECT_EQ(CacheHeader(*r), "miss");
}

TEST(QueryResponseCache, MaxStalenessLetsLaterRequestsShareWithinTheBound) {
  QueryResponseCacheOptions o;
  o.max_staleness_ms = 2000;
  Fixture f(o);
  const uint64_t t0 = f.now_ns;
  f.cache.Handle(Get("/api/services", {}, t0));
  f.now_ns += 1500 * kMs;
  EXPECT_EQ(CacheHeader(*f.cache.Handle(Get("/api/services", {}, f.now_ns))), "hit");
  f.now_ns += 1000 * kMs;  // 2.5 s after the computation started
  EXPECT_EQ(CacheHeader(*f.cache.Handle(Get("/api/services", {}, f.now_ns))), "miss");
  EXPECT_EQ(f.inner.calls.load(), 2);
}

TEST(QueryResponseCache, DifferentParametersOrAcceptAreDifferentQuestions) {
  Fixture f;
  const uint64_t early = 1;
  f.cache.Handle(Get("/api/traces", {{"service", "a"}}, early));
  f.cache.Handle(Get("/api/traces", {{"service", "b"}}, early));
  f.cache.Handle(Get("/api/traces", {{"service", "a"}, {"service", "b"}}, early));
  HttpRequest proto = Get("/api/traces", {{"service", "a"}}, early);
  proto.headers.emplace_back("accept", "application/protobuf");
  f.cache.Handle(proto);
  // A value containing what a naive key would use as a separator.
  f.cache.Handle(Get("/api/traces", {{"service", "a&service=b"}}, early));
  EXPECT_EQ(f.inner.calls.load(), 5);
  f.cache.Handle(Get("/api/traces", {{"service", "b"}}, early));
  EXPECT_EQ(f.inner.calls.load(), 5);
}

TEST(QueryResponseCache, ErrorsAreNotKept) {
  Fixture f;
  EXPECT_EQ(f.cache.Handle(Get("/api/missing", {}, 1))->status, 404);
  EXPECT_EQ(f.cache.Handle(Get("/api/missing", {}, 1))->status, 404);
  EXPECT_EQ(f.inner.calls.load(), 2);  // a trace not found yet is looked up again
}

TEST(QueryResponseCache, NoCacheHeaderPostAndDisabledBypass) {
  Fixture f;
  f.cache.Handle(Get("/api/services", {}, 1));
  HttpRequest fresh = Get("/api/services", {}, 1);
  fresh.headers.emplace_back("cache-control", "No-Cache");
  auto r = f.cache.Handle(fresh);
  EXPECT_EQ(f.inner.calls.load(), 2);
  EXPECT_EQ(CacheHeader(*r), "");
  HttpRequest post = Get("/api/services", {}, 1);
  post.method = "POST";
  f.cache.Handle(post);
  f.cache.Handle(post);
  EXPECT_EQ(f.inner.calls.load(), 4);

  QueryResponseCacheOptions off;
  off.enabled = false;
  Fixture g(off);
  g.cache.Handle(Get("/api/services", {}, 1));
  g.cache.Handle(Get("/api/services", {}, 1));
  EXPECT_EQ(g.inner.calls.load(), 2);
}

TEST(QueryResponseCache, PathsNoInnerHandlerTakesFallThrough) {
  Fixture f;
  EXPECT_FALSE(f.cache.Handle(Get("/index.html", {}, 1)).has_value());  // the UI after the cache serves it
  EXPECT_FALSE(f.cache.Handle(Get("/index.html", {}, 1)).has_value());
}

TEST(QueryResponseCache, QueuedIdenticalRequestsShareOneComputationLaterOnesStartTheirOwn) {
  Fixture f;
  f.inner.gate = true;
  const uint64_t queued_since = f.now_ns - 100 * kMs;
  constexpr int kClients = 16;
  std::vector<std::optional<HttpResponse>> out(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] { out[i] = f.cache.Handle(Get("/api/dependencies", {{"lookback", "1h"}}, queued_since)); });
  }
  // Wait until the first is computing and every other one is waiting for it.
  for (int spin = 0; spin < 20000 && f.cache.stats().shared < kClients - 1; ++spin) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(f.cache.stats().shared, static_cast<uint64_t>(kClients - 1));
  // One received after that computation began must not take its answer.
  f.now_ns += 50 * kMs;
  std::optional<HttpResponse> late;
  std::thread late_client([&] { late = f.cache.Handle(Get("/api/dependencies", {{"lookback", "1h"}}, f.now_ns)); });
  while (f.inner.calls.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  f.inner.Open();
  for (auto& t : threads) t.join();
  late_client.join();
  EXPECT_EQ(f.inner.calls.load(), 2);
  for (const auto& r : out) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, out[0]->body);
  }
  ASSERT_TRUE(late.has_value());
  EXPECT_NE(late->body, out[0]->body);
}

TEST(QueryResponseCache, WaitersOfAFailedComputationGetAnErrorNotAHang) {
  Fixture f;
  f.inner.gate = true;
  std::optional<HttpResponse> waiter;
  bool leader_threw = false;
  std::thread leader([&] {
    try {
      f.cache.Handle(Get("/api/throw", {}, 1));
    } catch (const std::runtime_error&) {
      leader_threw = true;
    }
  });
  while (f.inner.calls.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread other([&] { waiter = f.cache.Handle(Get("/api/throw", {}, 1)); });
  while (f.cache.stats().shared == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  f.inner.Open();
  leader.join();
  other.join();
  EXPECT_TRUE(leader_threw);
  ASSERT_TRUE(waiter.has_value());
  EXPECT_EQ(waiter->status, 500);
  EXPECT_THROW(f.cache.Handle(Get("/api/throw", {}, 1)), std::runtime_error);  // nothing kept: computed again
}

TEST(QueryResponseCache, MemoryIsBoundedByEvictingLeastRecentlyUsed) {
  QueryResponseCacheOptions o;
  o.max_bytes = 9'000;
  o.max_entry_bytes = 4'000;
  Fixture f(o);
  f.inner.body_bytes = 3'000;
  f.cache.Handle(Get("/api/a", {}, 1));
  f.cache.Handle(Get("/api/b", {}, 1));
  f.cache.Handle(Get("/api/a", {}, 1));  // a is now more recent than b
  f.cache.Handle(Get("/api/c", {}, 1));  // three entries exceed 9 kB: b goes
  EXPECT_LE(f.cache.stats().bytes, 9'000u);
  int before = f.inner.calls.load();
  f.cache.Handle(Get("/api/a", {}, 1));
  EXPECT_EQ(f.inner.calls.load(), before);
  f.cache.Handle(Get("/api/b", {}, 1));
  EXPECT_EQ(f.inner.calls.load(), before + 1);
  // A response larger than max_entry_bytes is answered but not kept.
  f.inner.body_bytes = 5'000;
  f.cache.Handle(Get("/api/big", {}, 1));
  f.cache.Handle(Get("/api/big", {}, 1));
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
