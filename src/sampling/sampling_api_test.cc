#include "sampling/sampling_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "sampling/test_traces.h"

namespace tracery::sampling {
namespace {

HttpRequest Get(const std::string& path, std::vector<std::pair<std::string, std::string>> query = {}) {
  HttpRequest r;
  r.method = "GET";
  r.path = path;
  r.query = std::move(query);
  return r;
}

TEST(SamplingApi, ServesJaegerShapeOnBothPaths) {
  SamplingApiOptions o;
  o.default_strategy.probability = 0.1;
  SamplingApi api(o, nullptr, nullptr, nullptr);
  for (const char* path : {"/sampling", "/api/sampling"}) {
    auto r = api.Handle(Get(path, {{"service", "checkout"}}));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->content_type, "application/json");
    simdjson::dom::parser p;
    auto doc = p.parse(r->body);
    ASSERT_EQ(doc.error(), simdjson::SUCCESS);
    EXPECT_EQ(std::string_view(doc["strategyType"]), "PROBABILISTIC");
    EXPECT_DOUBLE_EQ(double(doc["probabilisticSampling"]["samplingRate"]), 0.1);
  }
  EXPECT_FALSE(api.Handle(Get("/api/traces")).has_value()) << "other paths belong to other handlers";
}

TEST(SamplingApi, ServiceParameterMustOccurExactlyOnce) {
  SamplingApi api({}, nullptr, nullptr, nullptr);
  auto none = api.Handle(Get("/api/sampling"));
  EXPECT_EQ(none->status, 400);
  EXPECT_NE(none->body.find("'service' parameter must be provided"), std::string::npos);
  EXPECT_EQ(api.Handle(Get("/api/sampling", {{"service", "a"}, {"service", "b"}}))->status, 400);
  EXPECT_EQ(api.Handle(Get("/sampling", {{"service", ""}}))->status, 400);
  HttpRequest post = Get("/api/sampling", {{"service", "a"}});
  post.method = "POST";
  EXPECT_EQ(api.Handle(post)->status, 405);
}

TEST(SamplingApi, FileOverridesAdaptivePerServiceAndSheddingLowersRates) {
  uint64_t now = 0;
  AdaptiveSamplerOptions ao;
  ao.clock_ns = [&] { return now; };
  ao.window_ns = 60'000'000'000ULL;
  AdaptiveSampler adaptive(ao);
  model::SpanBatch b;
  for (int i = 0; i < 600; ++i) testing::AddSpan(b, i + 1, 1, 0, "adaptive-svc", "op");
  adaptive.Observe(b);
  now = 60'000'000'000ULL;
  adaptive.Advance();

  const std::string path = ::testing::TempDir() + "/sampling_api_strategies.json";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(R"({"service_strategies":[{"service":"pinned","type":"probabilistic","param":0.8}]})", f);
    std::fclose(f);
  }
  StrategiesFile file(path);
  ASSERT_TRUE(file.Load().ok());

  LoadShedderOptions so;
  so.adjust_interval_ns = 1;
  LoadShedder shedder(so);
  SamplingApiOptions o;
  o.clock_ns = [&] { return now; };
  SamplingApi api(o, &file, &adaptive, &shedder);

  auto pinned = api.Handle(Get("/api/sampling", {{"service", "pinned"}}));
  EXPECT_NE(pinned->body.find("\"samplingRate\":0.8"), std::string::npos) << pinned->body;
  auto adapted = api.Handle(Get("/api/sampling", {{"service", "adaptive-svc"}}));
  // 600 roots in 60 s at p=1: 10/s, target 1/s -> 0.1.
  EXPECT_NE(adapted->body.find(R"({"operation":"op","probabilisticSampling":{"samplingRate":0.1}})"),
            std::string::npos)
      << adapted->body;

  // Overload halves what SDKs are told.
  shedder.RecordStoreWrite(Status::ResourceExhausted("full"), 0, 1);
  shedder.RecordStoreWrite(Status::ResourceExhausted("full"), 0, 3);
  ASSERT_DOUBLE_EQ(shedder.keep_fraction(), 0.5);
  pinned = api.Handle(Get("/api/sampling", {{"service", "pinned"}}));
  EXPECT_NE(pinned->body.find("\"samplingRate\":0.4"), std::string::npos) << pinned->body;

  auto view = api.Handle(Get("/api/sampling/adaptive"));
  EXPECT_EQ(view->status, 200);
  EXPECT_NE(view->body.find("\"estimatedTracesPerSecond\":10"), std::string::npos) << view->body;
  SamplingApi no_adaptive({}, nullptr, nullptr, nullptr);
  EXPECT_EQ(no_adaptive.Handle(Get("/api/sampling/adaptive"))->status, 404);
}

}  // namespace
}  // namespace tracery::sampling
