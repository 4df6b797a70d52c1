#include "query/search_params.h"

#include <gtest/gtest.h>

namespace tracery::query {
namespace {

constexpr uint64_t kNowNs = 1'700'000'000'000'000'000ULL;

HttpRequest Req(std::vector<std::pair<std::string, std::string>> q) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/api/traces";
  r.query = std::move(q);
  return r;
}

TEST(ParseDurationTest, GoStyleDurations) {
  EXPECT_EQ(*ParseDuration("1.5ms"), 1'500'000u);
  EXPECT_EQ(*ParseDuration("300us"), 300'000u);
  EXPECT_EQ(*ParseDuration("300\xC2\xB5s"), 300'000u);
  EXPECT_EQ(*ParseDuration("5s"), 5'000'000'000u);
  EXPECT_EQ(*ParseDuration("1h30m"), 5400'000'000'000u);
  EXPECT_EQ(*ParseDuration("1m30.5s"), 90'500'000'000u);
  EXPECT_EQ(*ParseDuration("250ns"), 250u);
  EXPECT_EQ(*ParseDuration("0"), 0u);
}

// Moved from analysis (ParseGoDurationNs), which now calls ParseDuration.
TEST(ParseDurationTest, UnitsAndErrorsTheAnalysisApiReliesOn) {
  EXPECT_EQ(*ParseDuration("1h"), 3600'000'000'000ULL);
  EXPECT_EQ(*ParseDuration("1m30s"), 90'000'000'000ULL);
  EXPECT_EQ(*ParseDuration("1.5ms"), 1'500'000ULL);
  EXPECT_EQ(*ParseDuration("250us"), 250'000ULL);
  EXPECT_EQ(*ParseDuration("2d"), 172'800'000'000'000ULL);
  for (const char* bad : {"", "x", "5", "1.2.3s", "h", "-1s", "1y"}) EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
}

TEST(ParseDurationTest, RejectsMalformed) {
  for (const char* bad : {"", "1.2xs", "10", "ms", "-1s", "1..2s", "1s2", "1e3s", "99999999999999h"}) {
    auto r = ParseDuration(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    }
  }
}

TEST(ParseTraceQueryTest, DefaultsToLastHourTwentyTracesNoConditions) {
  auto q = ParseTraceQuery(Req({}), kNowNs);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->start_time_max_ns, kNowNs);
  EXPECT_EQ(q->start_time_min_ns, kNowNs - 3600ULL * 1'000'000'000ULL);
  EXPECT_EQ(q->limit, 20u);
  EXPECT_TRUE(q->span_conditions.empty());
  EXPECT_EQ(q->order, storage::TraceOrder::kMostRecent);
}

TEST(ParseTraceQueryTest, JaegerParametersBecomeOneSpanCondition) {
  auto q = ParseTraceQuery(Req({{"service", "frontend"},
                                {"operation", "GET /"},
                                {"tags", R"({"http.status_code":"500","retry":true,"n":3})"},
                                {"tag", "region:eu:west"},
                                {"minDuration", "1.5ms"},
                                {"maxDuration", "2s"},
                                {"spanKind", "server"},
                                {"errors", "true"},
                                {"start", "1000"},
                                {"end", "5000"},
                                {"limit", "50"}}),
                           kNowNs);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->span_conditions.size(), 1u);
  const auto& c = q->span_conditions[0];
  EXPECT_EQ(c.service, "frontend");
  EXPECT_EQ(c.operation, "GET /");
  ASSERT_EQ(c.tags.size(), 4u);
  EXPECT_EQ(c.tags[0].key, "http.status_code");
  EXPECT_EQ(c.tags[0].value, "500");
  EXPECT_EQ(c.tags[1].value, "true");
  EXPECT_EQ(c.tags[2].value, "3");
  EXPECT_EQ(c.tags[3].key, "region");
  EXPECT_EQ(c.tags[3].value, "eu:west");
  EXPECT_EQ(c.min_duration_ns, 1'500'000u);
  EXPECT_EQ(c.max_duration_ns, 2'000'000'000u);
  EXPECT_EQ(c.kind, model::SpanKind::kServer);
  EXPECT_TRUE(c.error_only);
  EXPECT_EQ(q->start_time_min_ns, 1'000'000u);
  EXPECT_EQ(q->start_time_max_ns, 5'000'000u);
  EXPECT_EQ(q->limit, 50u);
}

TEST(ParseTraceQueryTest, TraceryExtensions) {
  auto q = ParseTraceQuery(
      Req({{"orderBy", "longest"},
           {"cursor", "abc"},
           {"minTraceDuration", "1s"},
           {"maxTraceDuration", "1h30m"},
           {"lookback", "2d"},
           {"limit", "100000"},
           {"span", R"({"service":"db","tags":{"db.system":"postgres"},"minDuration":"10ms","error":true})"},
           {"span", R"({"operation":"charge","spanKind":"client"})"}}),
      kNowNs);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->order, storage::TraceOrder::kLongestFirst);
  EXPECT_EQ(q->cursor, "abc");
  EXPECT_EQ(q->min_trace_duration_ns, 1'000'000'000u);
  EXPECT_EQ(q->max_trace_duration_ns, 5400'000'000'000u);
  EXPECT_EQ(q->start_time_min_ns, kNowNs - 2 * 86400ULL * 1'000'000'000ULL);
  EXPECT_EQ(q->limit, 1500u);  // capped
  ASSERT_EQ(q->span_conditions.size(), 2u);
  EXPECT_EQ(q->span_conditions[0].service, "db");
  ASSERT_EQ(q->span_conditions[0].tags.size(), 1u);
  EXPECT_EQ(q->span_conditions[0].tags[0].value, "postgres");
  EXPECT_EQ(q->span_conditions[0].min_duration_ns, 10'000'000u);
  EXPECT_TRUE(q->span_conditions[0].error_only);
  EXPECT_EQ(q->span_conditions[1].operation, "charge");
  EXPECT_EQ(q->span_conditions[1].kind, model::SpanKind::kClient);
}

TEST(ParseTraceQueryTest, EndWithoutStartUsesLookbackBeforeEnd) {
  auto q = ParseTraceQuery(Req({{"end", "10000000000"}, {"lookback", "1m"}}), kNowNs);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->start_time_max_ns, 10'000'000'000'000u);
  EXPECT_EQ(q->start_time_min_ns, 10'000'000'000'000u - 60'000'000'000u);
}

TEST(ParseTraceQueryTest, EveryBadParameterIsNamed) {
  struct Case {
    std::string key, value, expected_prefix;
  };
  std::vector<Case> cases = {
      {"minDuration", "1.2xs", "minDuration: cannot parse \"1.2xs\" as a duration"},
      {"maxDuration", "fast", "maxDuration: "},
      {"minTraceDuration", "1", "minTraceDuration: "},
      {"maxTraceDuration", "x", "maxTraceDuration: "},
      {"start", "yesterday", "start: "},
      {"end", "-5", "end: "},
      {"limit", "ten", "limit: "},
      {"lookback", "1y", "lookback: "},
      {"orderBy", "random", "orderBy: "},
      {"spanKind", "sideways", "spanKind: "},
      {"errors", "maybe", "errors: "},
      {"tags", "{not json", "tags: "},
      {"tags", "[1,2]", "tags: "},
      {"tags", R"({"a":{"b":1}})", "tags: "},
      {"tag", "novalue", "tag: "},
      {"span", R"({"colour":"red"})", "span: "},
      {"span", R"({"minDuration":"soon"})", "span.minDuration: "},
      {"span", "3", "span: "},
  };
  for (const auto& c : cases) {
    auto q = ParseTraceQuery(Req({{c.key, c.value}}), kNowNs);
    ASSERT_FALSE(q.ok()) << c.key << "=" << c.value;
    EXPECT_EQ(q.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(q.status().message().rfind(c.expected_prefix, 0), 0u) << q.status().message();
  }
}

// Untrusted input: arbitrary bytes in every parameter either parse or yield
// InvalidArgument naming a parameter; nothing crashes or hangs.
TEST(ParseTraceQueryTest, ArbitraryBytesNeverCrash) {
  const char* keys[] = {"service", "tags", "tag", "minDuration", "maxDuration", "start", "end",
                        "lookback", "limit", "orderBy", "span", "spanKind", "errors", "minTraceDuration"};
  const std::string seeds[] = {"{\"a\":", "1h30", "\xff\xfe", "{\"tags\":{\"k\":[1]}}", "9999999999999999999999",
                               "1.5.5ms", "{}", ":", "\0", "1e309s", "[{}]", "{\"error\":\"yes\"}"};
  uint64_t rng = 42;
  auto next = [&] { return rng = rng * 6364136223846793005ULL + 1442695040888963407ULL; };
  for (int i = 0; i < 5000; ++i) {
    std::string value = seeds[next() % std::size(seeds)];
    const size_t extra = next() % 4;
    for (size_t k = 0; k < extra; ++k) value.push_back(static_cast<char>(next() >> 56));
    const std::string key = keys[next() % std::size(keys)];
    auto q = ParseTraceQuery(Req({{key, value}}), kNowNs);
    if (!q.ok()) {
      EXPECT_EQ(q.status().code(), Status::Code::kInvalidArgument);
      EXPECT_FALSE(q.status().message().empty());
    }
  }
}

TEST(ParseTraceQueryTest, StartAfterEndIsRejected) {
  auto q = ParseTraceQuery(Req({{"start", "5000"}, {"end", "1000"}}), kNowNs);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("start"), std::string::npos);
}

}  // namespace
}  // namespace tracery::query
