// cart: the shoppers' carts, kept in a (fake) Redis. Adding an item first
// asks inventory whether the product is in stock.
#include <map>
#include <mutex>
#include <unordered_map>

#include "fake_datastore.h"
#include "shop_services.h"
#include "tracery/trace.h"

namespace shop {
namespace {

// Carts beyond this many are forgotten (Redis would expire them).
constexpr size_t kMaxCarts = 20000;

class Cart final : public ShopService {
 public:
  Cart(const ShopTopology& topology, Router& router)
      : redis_({DbSystem::kRedis, "1", "redis-cart.shop.internal", 6379, 300}),
        inventory_(ClientFor("inventory", topology)) {
    router.Add("GET", "/cart/{session}", [this](const RoutedRequest& r, tracery::Span& s) { return Get(r, s); });
    router.Add("POST", "/cart/{session}/items", [this](const RoutedRequest& r, tracery::Span& s) { return Add(r, s); });
    router.Add("DELETE", "/cart/{session}", [this](const RoutedRequest& r, tracery::Span& s) { return Clear(r, s); });
  }

 private:
  static HttpResponse Form(unsigned status, std::string body) {
    return MakeResponse(status, std::move(body), "application/x-www-form-urlencoded");
  }

  std::string Snapshot(const std::string& session) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<LineItem> items;
    auto it = carts_.find(session);
    if (it != carts_.end()) {
      for (const auto& [product, qty] : it->second) items.push_back(LineItem{product, qty});
    }
    return FormatLineItems(items);
  }

  HttpResponse Get(const RoutedRequest& req, tracery::Span& span) {
    std::string session = req.PathParam("session");
    redis_.Query("HGETALL", "", "HGETALL cart:" + session);
    std::string items = Snapshot(session);
    span.SetAttribute("app.cart.empty", items.empty());
    return Form(200, "items=" + items);
  }

  HttpResponse Add(const RoutedRequest& req, tracery::Span& span) {
    std::string session = req.PathParam("session");
    auto form = ParseForm(req.raw.body());
    std::string product = FormValue(form, "product");
    auto line = ParseLineItems(product + ":" + FormValue(form, "quantity", "1"));
    if (product.empty() || !line.ok() || !FindProduct(product)) {
      span.SetStatus(tracery::StatusCode::kError, "bad item");
      return Form(400, "error=form fields product (a catalogue id) and quantity (1 to 1000) are required");
    }
    span.SetAttributes({{"app.product.id", product}, {"app.product.quantity", line->front().quantity}});
    tracery::Result<HttpResponse> stock = inventory_->Call(bhttp::verb::get, "/stock/" + product);
    if (!stock.ok() || stock->result_int() != 200) {
      span.SetStatus(tracery::StatusCode::kError, "inventory unavailable");
      return Form(502, "error=inventory unavailable");
    }
    redis_.Query("HINCRBY", "", "HINCRBY cart:" + session + " " + product + " " + std::to_string(line->front().quantity));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (carts_.size() >= kMaxCarts && !carts_.count(session)) carts_.clear();
      carts_[session][product] += line->front().quantity;
    }
    return Form(200, "items=" + Snapshot(session));
  }

  HttpResponse Clear(const RoutedRequest& req, tracery::Span&) {
    std::string session = req.PathParam("session");
    redis_.Query("DEL", "", "DEL cart:" + session);
    std::lock_guard<std::mutex> lock(mu_);
    carts_.erase(session);
    return Form(200, "items=");
  }

  FakeDatastore redis_;
  std::unique_ptr<ServiceClient> inventory_;
  std::mutex mu_;
  std::unordered_map<std::string, std::map<std::string, int64_t>> carts_;  // GUARDED_BY(mu_)
};

}  // namespace

std::unique_ptr<ShopService> MakeCart(const ShopTopology& topology, const ShopBehaviour&, Router& router) {
  return std::make_unique<Cart>(topology, router);
}

}  // namespace shop
