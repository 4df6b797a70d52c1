// shipping: books the shipment. The method follows the customer.tier from
// the baggage: gold ships express, silver standard, bronze economy.
#include "fake_datastore.h"
#include "shop_services.h"
#include "simulation.h"
#include "tracery/trace.h"

namespace shop {
namespace {

class Shipping final : public ShopService {
 public:
  explicit Shipping(Router& router)
      : db_({DbSystem::kPostgresql, "shipping", "postgres-shipping.shop.internal", 5432, 1000}),
        tracer_(tracery::GetTracer("shop.shipping")) {
    router.Add("POST", "/shipments", [this](const RoutedRequest& r, tracery::Span& s) { return Ship(r, s); });
  }

 private:
  HttpResponse Ship(const RoutedRequest& req, tracery::Span& span) {
    auto form = ParseForm(req.raw.body());
    std::string order_id = FormValue(form, "order_id");
    auto items = ParseLineItems(FormValue(form, "items"));
    if (order_id.empty() || !items.ok() || items->empty()) {
      span.SetStatus(tracery::StatusCode::kError, "bad shipment request");
      return MakeResponse(400, "error=form fields order_id and items are required", "application/x-www-form-urlencoded");
    }
    std::string tier(tracery::CurrentContext().baggage.Get("customer.tier").value_or("bronze"));
    std::string_view method = tier == "gold" ? "express" : tier == "silver" ? "standard" : "economy";
    int64_t eta_days = tier == "gold" ? 1 : tier == "silver" ? 3 : 6;
    {
      tracery::Span quote = tracer_.StartSpan("quote shipping");
      quote.SetAttributes({{"app.shipping.method", method}, {"app.shipping.items", static_cast<int64_t>(items->size())}});
      SimulateWork(400);
    }
    db_.Query("INSERT", "shipments", "INSERT INTO shipments (order_id, method, eta_days) VALUES ($1, $2, $3)");
    span.SetAttributes({{"app.order.id", order_id}, {"app.shipping.method", method}, {"app.shipping.eta_days", eta_days}});
    return MakeResponse(200, "method=" + std::string(method) + "&eta_days=" + std::to_string(eta_days),
                        "application/x-www-form-urlencoded");
  }

  FakeDatastore db_;
  tracery::Tracer tracer_;
};

}  // namespace

std::unique_ptr<ShopService> MakeShipping(const ShopTopology&, const ShopBehaviour&, Router& router) {
  return std::make_unique<Shipping>(router);
}

}  // namespace shop
