// checkout: places an order as a sequential chain — cart, inventory,
// payment, shipping — then records the order and empties the cart.
#include "fake_datastore.h"
#include "shop_services.h"
#include "simulation.h"
#include "tracery/trace.h"

namespace shop {
namespace {

std::string ErrorBody(std::string_view message) { return "error=" + std::string(message); }

class Checkout final : public ShopService {
 public:
  Checkout(const ShopTopology& topology, Router& router)
      : orders_({DbSystem::kPostgresql, "orders", "postgres.shop.internal", 5432, 1500}),
        cart_(ClientFor("cart", topology)),
        inventory_(ClientFor("inventory", topology)),
        payment_(ClientFor("payment", topology)),
        shipping_(ClientFor("shipping", topology)) {
    router.Add("POST", "/checkout/{session}",
               [this](const RoutedRequest& r, tracery::Span& s) { return PlaceOrder(r, s); });
  }

 private:
  // Fails the step: error status on the SERVER span, and `status` back.
  static HttpResponse Fail(tracery::Span& span, unsigned status, std::string_view message) {
    span.SetStatus(tracery::StatusCode::kError, message);
    return MakeResponse(status, ErrorBody(message), "application/x-www-form-urlencoded");
  }

  HttpResponse PlaceOrder(const RoutedRequest& req, tracery::Span& span) {
    std::string session = req.PathParam("session");
    // 1. The cart's content, plus a "buy now" item from the form if any.
    tracery::Result<HttpResponse> cart = cart_->Call(bhttp::verb::get, "/cart/" + session);
    if (!cart.ok() || cart->result_int() != 200) return Fail(span, 502, "cart unavailable");
    auto items = ParseLineItems(FormValue(ParseForm(cart->body()), "items"));
    if (!items.ok()) return Fail(span, 502, "cart answered " + items.status().message());
    auto form = ParseForm(req.raw.body());
    std::string buy_now = FormValue(form, "product");
    if (!buy_now.empty()) {
      if (!FindProduct(buy_now)) return Fail(span, 400, "form field product: no product '" + buy_now + "'");
      auto qty = ParseLineItems(buy_now + ":" + FormValue(form, "quantity", "1"));
      if (!qty.ok()) return Fail(span, 400, "form field quantity: " + qty.status().message());
      items->push_back(qty->front());
    }
    if (items->empty()) return Fail(span, 400, "the cart is empty");
    int64_t total_cents = 0;
    int64_t count = 0;
    for (const LineItem& item : *items) {
      const Product* p = FindProduct(item.product_id);
      if (!p) return Fail(span, 502, "cart holds unknown product " + item.product_id);
      total_cents += p->price_cents * item.quantity;
      count += item.quantity;
    }
    std::string order_id = "ord-" + std::to_string(PickIndex(1'000'000'000));
    span.SetAttributes({{"app.order.id", order_id}, {"app.order.items", count}, {"app.order.total_cents", total_cents}});
    std::string lines = FormatLineItems(*items);

    // 2. Reserve the stock.
    tracery::Result<HttpResponse> reserve =
        inventory_->Call(bhttp::verb::post, "/reserve", "order_id=" + order_id + "&items=" + lines);
    if (!reserve.ok() || reserve->result_int() >= 500) return Fail(span, 502, "inventory unavailable");
    if (reserve->result_int() == 409) {
      span.AddEvent("order rejected", {{"reason", "out of stock"}});
      return Fail(span, 409, "out of stock");
    }
    // 3. Take the payment.
    tracery::Result<HttpResponse> pay = payment_->Call(
        bhttp::verb::post, "/charge", "order_id=" + order_id + "&amount_cents=" + std::to_string(total_cents));
    if (!pay.ok() || pay->result_int() >= 500) return Fail(span, 502, "payment unavailable");
    if (pay->result_int() == 402) {
      span.AddEvent("order rejected", {{"reason", "payment declined"}});
      return Fail(span, 402, "payment declined");
    }
    // 4. Ship it.
    tracery::Result<HttpResponse> ship =
        shipping_->Call(bhttp::verb::post, "/shipments", "order_id=" + order_id + "&items=" + lines);
    if (!ship.ok() || ship->result_int() != 200) return Fail(span, 502, "shipping unavailable");
    std::string method = FormValue(ParseForm(ship->body()), "method");

    orders_.Query("INSERT", "orders",
                  "INSERT INTO orders (id, session_id, total_cents, shipping_method) VALUES ($1, $2, $3, $4)");
    (void)cart_->Call(bhttp::verb::delete_, "/cart/" + session);
    return MakeResponse(200,
                        "order_id=" + order_id + "&total_cents=" + std::to_string(total_cents) + "&shipping=" + method,
                        "application/x-www-form-urlencoded");
  }

  FakeDatastore orders_;
  std::unique_ptr<ServiceClient> cart_, inventory_, payment_, shipping_;
};

}  // namespace

std::unique_ptr<ShopService> MakeCheckout(const ShopTopology& topology, const ShopBehaviour&, Router& router) {
  return std::make_unique<Checkout>(topology, router);
}

}  // namespace shop
