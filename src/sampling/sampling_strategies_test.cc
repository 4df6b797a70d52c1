#include "sampling/sampling_strategies.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace tracery::sampling {
namespace {

TEST(StrategiesParse, ServiceOperationAndDefaultStrategies) {
  auto cfg = ParseStrategiesJson(R"({
    "service_strategies": [
      {"service": "foo", "type": "probabilistic", "param": 0.8,
       "operation_strategies": [{"operation": "op1", "type": "probabilistic", "param": 0.2}]},
      {"service": "bar", "type": "ratelimiting", "param": 5}],
    "default_strategy": {"type": "probabilistic", "param": 0.5}})");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const ServiceStrategy& foo = cfg->For("foo");
  EXPECT_EQ(foo.type, ServiceStrategy::Type::kProbabilistic);
  EXPECT_DOUBLE_EQ(foo.probability, 0.8);
  ASSERT_EQ(foo.operations.size(), 1u);
  EXPECT_EQ(foo.operations[0].operation, "op1");
  EXPECT_DOUBLE_EQ(foo.operations[0].probability, 0.2);
  EXPECT_EQ(cfg->For("bar").type, ServiceStrategy::Type::kRateLimiting);
  EXPECT_DOUBLE_EQ(cfg->For("bar").max_traces_per_second, 5);
  EXPECT_DOUBLE_EQ(cfg->For("unlisted").probability, 0.5);
}

TEST(StrategiesParse, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* expect;
  } cases[] = {
      {"not json", "not valid JSON"},
      {"[]", "top level"},
      {R"({"service_strategies":[{"service":"a","param":1.5}]})", "service_strategies[0].param"},
      {R"({"service_strategies":[{"param":0.5}]})", "missing \"service\""},
      {R"({"service_strategies":[{"service":"a","type":"weird","param":1}]})", "service_strategies[0].type"},
      {R"({"service_strategies":[{"service":"a"},{"service":"a"}]})", "listed twice"},
      {R"({"default_strategy":{"type":"probabilistic","param":0.1,"operation_strategies":[{"operation":"x","param":"hi"}]}})",
       "default_strategy.operation_strategies[0].param"},
      {R"({"service_strategies":[{"service":"a","type":"ratelimiting"}]})", "needs \"param\""},
  };
  for (const auto& c : cases) {
    auto r = ParseStrategiesJson(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
  }
}

TEST(StrategiesRender, ProbabilisticWithOperationsIsJaegerShape) {
  ServiceStrategy s;
  s.probability = 0.1;
  s.lower_bound_traces_per_second = 0.016;
  s.operations.push_back({"GET /x", 0.5});
  std::string json = RenderJaegerStrategyJson(s);
  simdjson::dom::parser p;
  auto doc = p.parse(json);
  ASSERT_EQ(doc.error(), simdjson::SUCCESS) << json;
  EXPECT_EQ(std::string_view(doc["strategyType"]), "PROBABILISTIC");
  EXPECT_DOUBLE_EQ(double(doc["probabilisticSampling"]["samplingRate"]), 0.1);
  auto os = doc["operationSampling"];
  EXPECT_DOUBLE_EQ(double(os["defaultSamplingProbability"]), 0.1);
  EXPECT_DOUBLE_EQ(double(os["defaultLowerBoundTracesPerSecond"]), 0.016);
  auto op = os["perOperationStrategies"].at(0);
  EXPECT_EQ(std::string_view(op["operation"]), "GET /x");
  EXPECT_DOUBLE_EQ(double(op["probabilisticSampling"]["samplingRate"]), 0.5);
}

TEST(StrategiesRender, RateLimitingAndFactor) {
  ServiceStrategy s;
  s.type = ServiceStrategy::Type::kRateLimiting;
  s.max_traces_per_second = 5;
  EXPECT_EQ(RenderJaegerStrategyJson(s),
            R"({"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":5}})");
  // Load shedding halves it; a positive rate never rounds to zero.
  EXPECT_NE(RenderJaegerStrategyJson(s, 0.5).find("\"maxTracesPerSecond\":3"), std::string::npos);
  EXPECT_NE(RenderJaegerStrategyJson(s, 0.01).find("\"maxTracesPerSecond\":1"), std::string::npos);
  ServiceStrategy p;
  p.probability = 0.4;
  EXPECT_NE(RenderJaegerStrategyJson(p, 0.5).find("\"samplingRate\":0.2"), std::string::npos);
}

class StrategiesFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tracery_strat_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "strategies.json").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& text, int mtime_offset_s) {
    std::ofstream(path_, std::ios::trunc) << text;
    // Distinct mtimes even when writes land within one clock tick.
    auto t = std::filesystem::file_time_type::clock::now() + std::chrono::seconds(mtime_offset_s);
    std::filesystem::last_write_time(path_, t);
  }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(StrategiesFileTest, ReloadsOnChangeAndKeepsLastGoodConfigOnBadFile) {
  Write(R"({"default_strategy":{"type":"probabilistic","param":0.25}})", 0);
  StrategiesFile f(path_);
  ASSERT_TRUE(f.Load().ok());
  EXPECT_DOUBLE_EQ(f.Current()->For("x").probability, 0.25);

  const uint64_t s = 1'000'000'000;
  Write(R"({"default_strategy":{"type":"probabilistic","param":0.75}})", 10);
  f.MaybeReload(1 * s, 5 * s);  // within the poll interval of Load: not yet
  f.MaybeReload(6 * s, 5 * s);
  EXPECT_DOUBLE_EQ(f.Current()->For("x").probability, 0.75);
  EXPECT_TRUE(f.last_error().empty());

  Write(R"({"default_strategy":{"type":"probabilistic","param":7}})", 20);
  f.MaybeReload(12 * s, 5 * s);
  EXPECT_DOUBLE_EQ(f.Current()->For("x").probability, 0.75) << "a bad file must keep the last good config";
  EXPECT_NE(f.last_error().find("default_strategy.param"), std::string::npos) << f.last_error();

  std::filesystem::remove(path_);
  f.MaybeReload(18 * s, 5 * s);
  EXPECT_DOUBLE_EQ(f.Current()->For("x").probability, 0.75);
  EXPECT_NE(f.last_error().find("cannot read"), std::string::npos) << f.last_error();
}

}  // namespace
}  // namespace tracery::sampling
