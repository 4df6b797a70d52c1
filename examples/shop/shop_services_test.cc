#include "shop_services.h"

#include <gtest/gtest.h>

#include "fake_datastore.h"
#include "span_capture_for_test.h"

namespace shop {
namespace {

using testing::Attr;
using SpanProto = testing::otlp::trace::v1::Span;

HttpRequest Post(std::string target, std::string body, std::string baggage) {
  HttpRequest req{bhttp::verb::post, target, 11};
  req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
  if (!baggage.empty()) req.set("baggage", baggage);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

const SpanProto* Find(const std::vector<SpanProto>& spans, std::string_view name, int nth = 0) {
  for (const auto& s : spans) {
    if (s.name() == name && nth-- == 0) return &s;
  }
  return nullptr;
}

bool HasEvent(const SpanProto& s, std::string_view name) {
  for (const auto& e : s.events()) {
    if (e.name() == name) return true;
  }
  return false;
}

TEST(LineItemsTest, RoundTripsAndRejectsMalformedMembers) {
  auto items = ParseLineItems("p1:2,,p3:1");
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ(FormatLineItems(*items), "p1:2,p3:1");
  EXPECT_TRUE(ParseLineItems("")->empty());
  for (const char* bad : {"p1", ":3", "p1:0", "p1:-2", "p1:x", "p1:1001", "p1:2,p2"}) {
    auto r = ParseLineItems(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), tracery::Status::Code::kInvalidArgument) << bad;
  }
}

TEST(TopologyTest, PortsFollowTheBaseAndUnknownServicesAreRefused) {
  EXPECT_EQ(*ServicePort("frontend", 8080), 8080);
  EXPECT_EQ(*ServicePort("recommendation", 8080), 8086);
  EXPECT_FALSE(ServicePort("nope", 8080));
  EXPECT_FALSE(ServicePort("recommendation", 65533));
  Router router;
  auto bad = MakeShopService("warehouse", ShopTopology{}, ShopBehaviour{}, router);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown service 'warehouse'"), std::string::npos);
}

TEST(FakeDatastoreTest, QueryRecordsADatabaseClientSpan) {
  testing::CaptureSpans capture;
  FakeDatastore pg({DbSystem::kPostgresql, "shop", "postgres.local", 5432, 10});
  FakeDatastore redis({DbSystem::kRedis, "0", "redis.local", 6379, 10});
  pg.Query("SELECT", "inventory", "SELECT 1 FROM inventory");
  redis.Query("GET", "", "GET k");
  auto spans = capture.Spans();
  const SpanProto* sql = Find(spans, "SELECT shop.inventory");
  const SpanProto* kv = Find(spans, "GET");
  ASSERT_TRUE(sql && kv);
  EXPECT_EQ(sql->kind(), SpanProto::SPAN_KIND_CLIENT);
  EXPECT_EQ(Attr(*sql, "db.system"), "postgresql");
  EXPECT_EQ(Attr(*sql, "db.name"), "shop");
  EXPECT_EQ(Attr(*sql, "db.statement"), "SELECT 1 FROM inventory");
  EXPECT_EQ(Attr(*sql, "server.address"), "postgres.local");
  EXPECT_EQ(Attr(*sql, "server.port"), "5432");
  EXPECT_EQ(Attr(*kv, "db.system"), "redis");
  EXPECT_EQ(Attr(*kv, "db.statement"), "GET k");
}

TEST(ShippingTest, MethodFollowsTheCustomerTierInBaggage) {
  testing::CaptureSpans capture;
  Router router;
  auto svc = MakeShopService("shipping", ShopTopology{}, ShopBehaviour{}, router);
  ASSERT_TRUE(svc.ok());
  for (auto [tier, method] : {std::pair{"gold", "express"}, {"silver", "standard"}, {"bronze", "economy"}}) {
    HttpResponse res = ServeRouted(router, Post("/shipments", "order_id=o1&items=p1:1", std::string("customer.tier=") + tier), "shipping");
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(FormValue(ParseForm(res.body()), "method"), method) << tier;
  }
  auto spans = capture.Spans();
  const SpanProto* server = Find(spans, "POST /shipments");
  ASSERT_TRUE(server);
  EXPECT_EQ(Attr(*server, "customer.tier"), "gold");
  EXPECT_EQ(Attr(*server, "app.shipping.method"), "express");
  EXPECT_EQ(ServeRouted(router, Post("/shipments", "items=p1:x", ""), "shipping").result_int(), 400u);
}

TEST(PaymentTest, TransientGatewayFailureIsRetriedOnceWithAnEventAndANewClientSpan) {
  testing::CaptureSpans capture;
  ShopBehaviour always_transient;
  always_transient.payment_transient_failure = 1.0;
  always_transient.payment_decline = 0.0;
  Router router;
  auto svc = MakeShopService("payment", ShopTopology{}, always_transient, router);
  ASSERT_TRUE(svc.ok());
  HttpResponse res = ServeRouted(router, Post("/charge", "order_id=o1&amount_cents=100", "customer.tier=gold"), "payment");
  EXPECT_EQ(res.result_int(), 200u);
  auto spans = capture.Spans();
  const SpanProto* server = Find(spans, "POST /charge");
  const SpanProto* first = Find(spans, "POST", 0);
  const SpanProto* second = Find(spans, "POST", 1);
  ASSERT_TRUE(server && first && second);
  EXPECT_TRUE(HasEvent(*server, "retry"));
  EXPECT_EQ(first->status().code(), testing::otlp::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(Attr(*second, "http.request.resend_count"), "1");
  EXPECT_EQ(second->parent_span_id(), server->span_id());
  EXPECT_EQ(Attr(*server, "app.payment.fraud_check"), "skipped");  // gold
  EXPECT_TRUE(Find(spans, "INSERT payments.payments"));
}

TEST(PaymentTest, DeclineIs402WithAnExceptionEventAndErrorStatus) {
  testing::CaptureSpans capture;
  ShopBehaviour always_decline;
  always_decline.payment_transient_failure = 0.0;
  always_decline.payment_decline = 1.0;
  Router router;
  auto svc = MakeShopService("payment", ShopTopology{}, always_decline, router);
  ASSERT_TRUE(svc.ok());
  HttpResponse res = ServeRouted(router, Post("/charge", "order_id=o1&amount_cents=100", "customer.tier=bronze"), "payment");
  EXPECT_EQ(res.result_int(), 402u);
  auto spans = capture.Spans();
  const SpanProto* server = Find(spans, "POST /charge");
  ASSERT_TRUE(server);
  EXPECT_TRUE(HasEvent(*server, "exception"));
  EXPECT_EQ(server->status().code(), testing::otlp::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_TRUE(Find(spans, "fraud check"));  // not gold
  EXPECT_EQ(ServeRouted(router, Post("/charge", "order_id=o1&amount_cents=-5", ""), "payment").result_int(), 400u);
}

TEST(InventoryTest, OutOfStockIs409WithAnEvent) {
  testing::CaptureSpans capture;
  ShopBehaviour empty_shelves;
  empty_shelves.out_of_stock = 1.0;
  Router router;
  auto svc = MakeShopService("inventory", ShopTopology{}, empty_shelves, router);
  ASSERT_TRUE(svc.ok());
  std::string product(Catalogue()[0].id);
  HttpResponse res = ServeRouted(router, Post("/reserve", "order_id=o1&items=" + product + ":1", ""), "inventory");
  EXPECT_EQ(res.result_int(), 409u);
  const auto spans = capture.Spans();
  const SpanProto* server = Find(spans, "POST /reserve");
  ASSERT_TRUE(server);
  EXPECT_TRUE(HasEvent(*server, "out of stock"));
  EXPECT_EQ(ServeRouted(router, Post("/reserve", "items=", ""), "inventory").result_int(), 400u);
  HttpRequest unknown{bhttp::verb::get, "/stock/NOPE", 11};
  EXPECT_EQ(ServeRouted(router, unknown, "inventory").result_int(), 404u);
}

TEST(RecommendationTest, SlowPathIsMarkedAndTakesLonger) {
  testing::CaptureSpans capture;
  ShopBehaviour always_slow;
  always_slow.recommendation_slow = 1.0;
  Router router;
  auto svc = MakeShopService("recommendation", ShopTopology{}, always_slow, router);
  ASSERT_TRUE(svc.ok());
  HttpRequest req{bhttp::verb::get, "/recommendations?limit=3", 11};
  HttpResponse res = ServeRouted(router, req, "recommendation");
  EXPECT_EQ(res.result_int(), 200u);
  auto ids = FormValue(ParseForm(res.body()), "products");
  EXPECT_EQ(std::count(ids.begin(), ids.end(), ','), 2);
  auto spans = capture.Spans();
  const SpanProto* rank = Find(spans, "rank candidates");
  const SpanProto* server = Find(spans, "GET /recommendations");
  ASSERT_TRUE(rank && server);
  EXPECT_EQ(Attr(*server, "app.recommendation.slow_path"), "true");
  // Median 15 ms on the slow path; the log-normal draw stays above 3 ms.
  EXPECT_GT(rank->end_time_unix_nano() - rank->start_time_unix_nano(), 3'000'000u);
}

}  // namespace
}  // namespace shop
