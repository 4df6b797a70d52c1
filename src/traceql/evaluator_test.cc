#include "traceql/evaluator.h"

#include <gtest/gtest.h>

#include "traceql/parser.h"

namespace tracery::traceql {
namespace {

using model::AnyValue;
using model::SpanKind;
using model::StatusCode;

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kT0 = 1'700'000'000'000'000'000ULL;

// A = GET / (frontend, server, 100ms)
// ├── B = call-cart (frontend, client, 40ms)
// │   └── C = cart.get (cart, server, 30ms, ERROR)
// │       └── D = db.query (cart, client, 10ms, db.system=redis)
// └── E = call-pay (frontend, client, 20ms)
//     └── F = pay (payment, server, 15ms, http.status_code=500)
model::SpanBatch ShopTrace() {
  model::SpanBatch b;
  for (const char* svc : {"frontend", "cart", "payment"}) {
    model::Resource r;
    r.attributes.push_back({"service.name", AnyValue::String(svc)});
    b.resources.push_back(r);
  }
  b.scopes.emplace_back();
  auto add = [&](uint64_t id, uint64_t parent, const char* name, uint32_t res, SpanKind kind,
                 uint64_t start_ms, uint64_t dur_ms) -> model::Span& {
    model::Span s;
    s.trace_id = model::TraceId::FromHighLow(1, 2);
    s.span_id.value = id;
    s.parent_span_id.value = parent;
    s.name = name;
    s.resource_index = res;
    s.kind = kind;
    s.start_time_unix_nano = kT0 + start_ms * kMs;
    s.end_time_unix_nano = s.start_time_unix_nano + dur_ms * kMs;
    b.spans.push_back(s);
    return b.spans.back();
  };
  add(1, 0, "GET /", 0, SpanKind::kServer, 0, 100);
  add(2, 1, "call-cart", 0, SpanKind::kClient, 5, 40);
  add(3, 2, "cart.get", 1, SpanKind::kServer, 8, 30).status_code = StatusCode::kError;
  add(4, 3, "db.query", 1, SpanKind::kClient, 10, 10).attributes.push_back({"db.system", AnyValue::String("redis")});
  add(5, 1, "call-pay", 0, SpanKind::kClient, 50, 20);
  add(6, 5, "pay", 2, SpanKind::kServer, 52, 15).attributes.push_back({"http.status_code", AnyValue::Int(500)});
  return b;
}

enum { A = 0, B, C, D, E, F };

std::vector<std::vector<uint32_t>> Matched(const std::string& q, const model::SpanBatch& trace) {
  auto parsed = ParseTraceQL(q);
  EXPECT_TRUE(parsed.ok()) << q << ": " << parsed.status().message();
  if (!parsed.ok()) return {};
  Evaluator ev(*parsed);
  std::vector<std::vector<uint32_t>> out;
  for (const Spanset& s : ev.Evaluate(trace)) out.push_back(s.spans);
  return out;
}

using Sets = std::vector<std::vector<uint32_t>>;

TEST(TraceQLEvaluator, Filters) {
  auto t = ShopTrace();
  EXPECT_EQ(Matched("{}", t), (Sets{{A, B, C, D, E, F}}));
  EXPECT_EQ(Matched("{ true }", t), (Sets{{A, B, C, D, E, F}}));
  EXPECT_EQ(Matched("{ false }", t), Sets{});
  EXPECT_EQ(Matched(R"({ resource.service.name = "cart" })", t), (Sets{{C, D}}));
  EXPECT_EQ(Matched(R"({ .service.name = "cart" && kind = client })", t), (Sets{{D}}));
  EXPECT_EQ(Matched(R"({ span.service.name = "cart" })", t), Sets{});
  EXPECT_EQ(Matched("{ status = error }", t), (Sets{{C}}));
  EXPECT_EQ(Matched("{ status != error && duration >= 30ms }", t), (Sets{{A, B}}));
  EXPECT_EQ(Matched("{ .http.status_code >= 500 || status = error }", t), (Sets{{C, F}}));
  EXPECT_EQ(Matched("{ .http.status_code = 500.0 }", t), (Sets{{F}}));
  EXPECT_EQ(Matched(R"({ .http.status_code = "500" })", t), Sets{});
  EXPECT_EQ(Matched(R"({ name =~ "call-.*" })", t), (Sets{{B, E}}));
  EXPECT_EQ(Matched(R"({ name =~ "call" })", t), Sets{}) << "regexes are fully anchored";
  EXPECT_EQ(Matched(R"({ name !~ "call-.*" && kind = client })", t), (Sets{{D}}));
  EXPECT_EQ(Matched("{ .db.system != nil }", t), (Sets{{D}}));
  EXPECT_EQ(Matched(R"({ span.db.system = nil && resource.service.name = "cart" })", t), (Sets{{C}}));
  EXPECT_EQ(Matched("{ !(kind = client) && duration < 20ms }", t), (Sets{{F}}));
  EXPECT_EQ(Matched(R"({ rootServiceName = "frontend" && rootName = "GET /" && traceDuration >= 100ms && name = "pay" })", t),
            (Sets{{F}}));
  EXPECT_EQ(Matched("{ traceDuration > 100ms }", t), Sets{});
}

TEST(TraceQLEvaluator, StructuralOperators) {
  auto t = ShopTrace();
  EXPECT_EQ(Matched(R"({ resource.service.name = "frontend" } >> { status = error })", t), (Sets{{C}}));
  EXPECT_EQ(Matched(R"({ name = "GET /" } > { kind = client })", t), (Sets{{B, E}}));
  EXPECT_EQ(Matched(R"({ name = "GET /" } >> { kind = client })", t), (Sets{{B, D, E}}));
  EXPECT_EQ(Matched(R"({ name = "GET /" } > { name = "pay" })", t), Sets{}) << "a grandchild is not a child";
  EXPECT_EQ(Matched(R"({ name = "call-cart" } ~ { })", t), (Sets{{E}}));
  EXPECT_EQ(Matched(R"({ kind = client } ~ { kind = client })", t), (Sets{{B, E}}));
  EXPECT_EQ(Matched(R"({ name = "cart.get" } ~ { })", t), Sets{}) << "an only child has no sibling";
  EXPECT_EQ(Matched("{ status = error } << { }", t), (Sets{{A, B}}));
  EXPECT_EQ(Matched("{ status = error } < { }", t), (Sets{{B}}));
  EXPECT_EQ(Matched(R"(({ name = "call-cart" } || { name = "call-pay" }) > { kind = server })", t), (Sets{{C, F}}));
}

TEST(TraceQLEvaluator, SpansetAndOrAcrossDifferentSpans) {
  auto t = ShopTrace();
  EXPECT_EQ(Matched(R"({ .db.system = "redis" } && { span.http.status_code = 500 })", t), (Sets{{D, F}}));
  EXPECT_EQ(Matched(R"({ .db.system = "redis" } && { name = "nope" })", t), Sets{});
  EXPECT_EQ(Matched(R"({ .db.system = "redis" } || { name = "nope" })", t), (Sets{{D}}));
  // The same two conditions on one span match nothing.
  EXPECT_EQ(Matched(R"({ .db.system = "redis" && span.http.status_code = 500 })", t), Sets{});
}

TEST(TraceQLEvaluator, AggregatesAndBy) {
  auto t = ShopTrace();
  EXPECT_EQ(Matched(R"({ resource.service.name = "frontend" } | count() > 2)", t), (Sets{{A, B, E}}));
  EXPECT_EQ(Matched(R"({ resource.service.name = "frontend" } | count() > 3)", t), Sets{});
  EXPECT_EQ(Matched("{ kind = client } | max(duration) >= 40ms", t), (Sets{{B, D, E}}));
  EXPECT_EQ(Matched("{ kind = client } | min(duration) > 10ms", t), Sets{});
  EXPECT_EQ(Matched("{ kind = client } | sum(duration) = 70ms", t), (Sets{{B, D, E}}));
  EXPECT_EQ(Matched("{ } | by(resource.service.name)", t), (Sets{{A, B, E}, {C, D}, {F}}));
  // frontend averages 53.3ms, cart exactly 20ms, payment 15ms.
  EXPECT_EQ(Matched("{ } | by(resource.service.name) | avg(duration) > 20ms", t), (Sets{{A, B, E}}));
  EXPECT_EQ(Matched("{ } | by(resource.service.name) | avg(duration) >= 20ms", t), (Sets{{A, B, E}, {C, D}}));
  EXPECT_EQ(Matched("{ } | { kind = server } | count() = 3", t), (Sets{{A, C, F}}));

  auto q = ParseTraceQL("{ } | by(resource.service.name) | count() > 1");
  ASSERT_TRUE(q.ok());
  Evaluator ev(*q);
  auto sets = ev.Evaluate(t);
  ASSERT_EQ(sets.size(), 2u);
  ASSERT_EQ(sets[1].attributes.size(), 2u);
  EXPECT_EQ(sets[1].attributes[0].key, "by(resource.service.name)");
  EXPECT_EQ(sets[1].attributes[0].value, AnyValue::String("cart"));
  EXPECT_EQ(sets[1].attributes[1].key, "count()");
  EXPECT_EQ(sets[1].attributes[1].value, AnyValue::Int(2));
}

TEST(TraceQLEvaluator, DuplicateSpansCountOnce) {
  auto t = ShopTrace();
  t.spans.push_back(t.spans[D]);  // a store may return a span twice
  EXPECT_EQ(Matched(R"({ .db.system = "redis" })", t), (Sets{{D}}));
  EXPECT_EQ(Matched("{ } | count() = 6", t), (Sets{{A, B, C, D, E, F}}));
}

TEST(TraceQLEvaluator, ParentCycleDoesNotHang) {
  model::SpanBatch b;
  b.resources.emplace_back();
  b.scopes.emplace_back();
  model::Span x, y;
  x.span_id.value = 1;
  x.parent_span_id.value = 2;
  y.span_id.value = 2;
  y.parent_span_id.value = 1;
  b.spans = {x, y};
  EXPECT_EQ(Matched("{ } >> { }", b), Sets{});
  EXPECT_EQ(Matched("{ } << { }", b), Sets{});
  EXPECT_EQ(Matched("{ }", b), (Sets{{0, 1}}));
  EXPECT_EQ(Matched("{ }", model::SpanBatch{}), Sets{});
}

TEST(TraceQLEvaluator, DisplayedFieldsAreComparedAndSelectedOnes) {
  auto q = ParseTraceQL(R"({ .a = 1 && span.b = 2 && .a > 0 } | select(resource.c, statusMessage))");
  ASSERT_TRUE(q.ok());
  std::vector<std::string> names;
  for (const FieldExpr* f : DisplayedFields(*q)) names.push_back(f->FieldName());
  EXPECT_EQ(names, (std::vector<std::string>{".a", "span.b", "resource.c", "statusMessage"}));
}

}  // namespace
}  // namespace tracery::traceql
