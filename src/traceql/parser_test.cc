#include "traceql/parser.h"

#include <gtest/gtest.h>

#include "traceql/lexer.h"

namespace tracery::traceql {
namespace {

TEST(TraceQLLexer, DurationsInNanoseconds) {
  auto t = Tokenize("1.5ms 2s 100us 1m 1m30s 7ns 1h");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::vector<int64_t> want = {1'500'000, 2'000'000'000, 100'000, 60'000'000'000, 90'000'000'000, 7,
                               3'600'000'000'000};
  ASSERT_EQ(t->size(), want.size() + 1);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*t)[i].type, TokenType::kDuration) << i;
    EXPECT_EQ((*t)[i].int_value, want[i]) << i;
  }
}

TEST(TraceQLLexer, AttributesAndStrings) {
  auto t = Tokenize(R"(span.http.status_code resource.service.name .x span."foo bar" "a\"b" -3 2.5)");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)[0].type, TokenType::kAttribute);
  EXPECT_EQ((*t)[0].text, "http.status_code");
  EXPECT_EQ((*t)[0].scope, static_cast<uint8_t>(AttributeScope::kSpan));
  EXPECT_EQ((*t)[1].text, "service.name");
  EXPECT_EQ((*t)[1].scope, static_cast<uint8_t>(AttributeScope::kResource));
  EXPECT_EQ((*t)[2].text, "x");
  EXPECT_EQ((*t)[2].scope, static_cast<uint8_t>(AttributeScope::kAny));
  EXPECT_EQ((*t)[3].text, "foo bar");
  EXPECT_EQ((*t)[4].type, TokenType::kString);
  EXPECT_EQ((*t)[4].text, "a\"b");
  EXPECT_EQ((*t)[5].int_value, -3);
  EXPECT_DOUBLE_EQ((*t)[6].float_value, 2.5);
}

// Queries taken from the shapes in Tempo's TraceQL documentation.
TEST(TraceQLParser, AcceptsDocumentedQueries) {
  const char* queries[] = {
      "{}",
      "{ }",
      "{ true }",
      R"({ span.http.status_code >= 200 && span.http.status_code < 300 } | count() > 2)",
      R"({ resource.service.name = "frontend" && name = "POST /api/orders" })",
      R"({ .service.name = "frontend" } && { .service.name = "backend" })",
      R"({ status = error })",
      R"({ kind = server && duration > 1.5s })",
      R"({ name =~ "GET /api/.*" && .http.method !~ "POST|PUT" })",
      R"({ resource.service.name = "frontend" } >> { status = error })",
      R"({ .a = 1 } > { .b = 2 })",
      R"({ .a = 1 } ~ { .b = 2 })",
      R"({ .a = 1 } << { .b = 2 })",
      R"({ .a = 1 } < { .b = 2 })",
      R"(({ .a = 1 } || { .b = 2 }) >> { .c = 3 })",
      R"({ rootServiceName = "cart" && traceDuration > 1s })",
      R"({ .x = nil } | by(resource.service.name) | avg(duration) > 20ms)",
      R"({ } | select(span.http.url, resource.service.name, statusMessage))",
      R"({ status = error } | { duration > 1ms } | max(duration) >= 1s | min(.n) < 3 | sum(.n) > 1.5)",
      R"({ span."foo bar" = "baz" && !(.x = false) && statusMessage != "" })",
      R"({ span:name = "a" && span:duration > 1ms && trace:rootService = "svc" })",
      R"({ kind = unspecified || kind = internal || kind = producer || kind = consumer || kind = client })",
      R"({ status = ok || status = unset })",
  };
  for (const char* q : queries) {
    auto r = ParseTraceQL(q);
    EXPECT_TRUE(r.ok()) << q << " -> " << r.status().message();
  }
}

TEST(TraceQLParser, TreeShape) {
  auto r = ParseTraceQL(R"({ .a = "x" } && { .b = 1 } >> { .c = 2 } | count() > 2)");
  ASSERT_TRUE(r.ok()) << r.status().message();
  // `>>` binds tighter than `&&`.
  ASSERT_EQ(r->spansets->op, SpansetOp::kAnd);
  EXPECT_EQ(r->spansets->lhs->op, SpansetOp::kFilter);
  EXPECT_EQ(r->spansets->rhs->op, SpansetOp::kDescendant);
  const FieldExpr& f = *r->spansets->lhs->filter;
  EXPECT_EQ(f.op, FieldOp::kEq);
  EXPECT_EQ(f.lhs->op, FieldOp::kAttribute);
  EXPECT_EQ(f.lhs->text, "a");
  EXPECT_EQ(f.rhs->literal.type, Value::Type::kString);
  EXPECT_EQ(f.rhs->literal.s, "x");
  ASSERT_EQ(r->stages.size(), 1u);
  EXPECT_EQ(r->stages[0].kind, StageKind::kAggregateFilter);
  EXPECT_EQ(r->stages[0].fn, AggregateFn::kCount);
  EXPECT_EQ(r->stages[0].compare, FieldOp::kGt);
  EXPECT_EQ(r->stages[0].threshold.i, 2);
}

TEST(TraceQLParser, FieldPrecedenceAndOverOr) {
  auto r = ParseTraceQL(R"({ .a = 1 || .b = 2 && .c = 3 })");
  ASSERT_TRUE(r.ok());
  const FieldExpr& f = *r->spansets->filter;
  EXPECT_EQ(f.op, FieldOp::kOr);
  EXPECT_EQ(f.rhs->op, FieldOp::kAnd);
}

struct BadQuery {
  const char* query;
  const char* message;
};

TEST(TraceQLParser, RejectsMalformedQueriesWithPosition) {
  const BadQuery cases[] = {
      {R"({ .a = "x" )", "TraceQL: expected '}', found end of query at column 12"},
      {R"({ .a = "x" } | count( > 2)", "TraceQL: expected ')', found '>' at column 23"},
      {R"({ status = 200 })", "TraceQL: status compares with error, ok or unset at column 12"},
      {R"({ foo = "x" })", "TraceQL: unknown identifier 'foo'; attributes need a scope: span.foo, resource.foo or .foo at column 3"},
      {R"({ .a = "x)", "TraceQL: unterminated string at column 8"},
      {R"({ name =~ "(" })", "TraceQL: invalid regular expression: missing ): ( at column 11"},
      {R"({ .a })", "TraceQL: a filter needs a condition such as .a = <value> at column 3"},
      {R"({ .a = 1 } | frob() > 1)", "TraceQL: unknown pipeline function 'frob' at column 14"},
      {R"({ .a = 1 } }})", "TraceQL: expected '|' or end of query, found '}' at column 12"},
      {R"({ .a == 1 })", "TraceQL: '==' is not an operator, use '=' at column 6"},
      {R"({ duration > 5xs })", "TraceQL: unknown duration unit at column 15"},
      {R"(.a = 1)", "TraceQL: expected '{' or '(', found an attribute at column 1"},
      {"", "TraceQL: expected '{' or '(', found end of query at column 1"},
      {R"({ .a = 1 } | count() > "x")", "TraceQL: expected a number or duration, found a string at column 24"},
      {R"({ name =~ .x })", "TraceQL: a regular expression must be a string literal at column 11"},
  };
  for (const BadQuery& c : cases) {
    auto r = ParseTraceQL(c.query);
    ASSERT_FALSE(r.ok()) << c.query;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message) << c.query;
  }
}

TEST(TraceQLParser, DeepNestingIsAnErrorNotACrash) {
  std::string q = "{ " + std::string(10000, '(') + ".a = 1" + std::string(10000, ')') + " }";
  auto r = ParseTraceQL(q);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested too deeply"), std::string::npos);
  std::string q2 = std::string(10000, '(') + "{}" + std::string(10000, ')');
  EXPECT_FALSE(ParseTraceQL(q2).ok());
}

TEST(TraceQLParser, ArbitraryBytesNeverCrash) {
  std::string junk;
  uint32_t x = 12345;
  for (int round = 0; round < 2000; ++round) {
    junk.clear();
    for (int i = 0; i < 40; ++i) {
      x = x * 1103515245 + 12345;
      const char alphabet[] = "{}()|&!=~<>.\"` abcz019msu,-";
      junk.push_back(alphabet[(x >> 16) % (sizeof(alphabet) - 1)]);
    }
    (void)ParseTraceQL(junk);
  }
}

}  // namespace
}  // namespace tracery::traceql
