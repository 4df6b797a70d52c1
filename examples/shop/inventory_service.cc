// inventory: stock levels in a (fake) PostgreSQL. Reservations take stock
// away (restocking a product that runs low); now and then a reservation
// finds the shelf empty and fails with 409.
#include <mutex>
#include <unordered_map>

#include "fake_datastore.h"
#include "shop_services.h"
#include "simulation.h"
#include "tracery/trace.h"

namespace shop {
namespace {

constexpr int64_t kInitialStock = 500;
constexpr int64_t kRestockBelow = 20;

class Inventory final : public ShopService {
 public:
  Inventory(const ShopBehaviour& behaviour, Router& router)
      : behaviour_(behaviour), db_({DbSystem::kPostgresql, "shop", "postgres.shop.internal", 5432, 900}) {
    for (const Product& p : Catalogue()) stock_[std::string(p.id)] = kInitialStock;
    router.Add("GET", "/stock/{id}", [this](const RoutedRequest& r, tracery::Span& s) { return Stock(r, s); });
    router.Add("POST", "/reserve", [this](const RoutedRequest& r, tracery::Span& s) { return Reserve(r, s); });
  }

 private:
  static HttpResponse Form(unsigned status, std::string body) {
    return MakeResponse(status, std::move(body), "application/x-www-form-urlencoded");
  }

  HttpResponse Stock(const RoutedRequest& req, tracery::Span& span) {
    std::string id = req.PathParam("id");
    span.SetAttribute("app.product.id", id);
    db_.Query("SELECT", "inventory", "SELECT quantity FROM inventory WHERE product_id = $1");
    std::lock_guard<std::mutex> lock(mu_);
    auto it = stock_.find(id);
    if (it == stock_.end()) return Form(404, "error=no product " + id);
    return Form(200, "product=" + id + "&quantity=" + std::to_string(it->second));
  }

  HttpResponse Reserve(const RoutedRequest& req, tracery::Span& span) {
    auto form = ParseForm(req.raw.body());
    auto items = ParseLineItems(FormValue(form, "items"));
    if (!items.ok() || items->empty()) {
      span.SetStatus(tracery::StatusCode::kError, "bad reservation");
      return Form(400, "error=form field items: " + (items.ok() ? std::string("no items") : items.status().message()));
    }
    span.SetAttribute("app.order.id", FormValue(form, "order_id"));
    db_.Query("SELECT", "inventory", "SELECT product_id, quantity FROM inventory WHERE product_id = ANY($1) FOR UPDATE");
    std::string short_product;
    bool restock = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const LineItem& item : *items) {
        auto it = stock_.find(item.product_id);
        if (it == stock_.end() || it->second < item.quantity) short_product = item.product_id;
      }
      // The shelf was emptied by a concurrent order a moment ago.
      if (short_product.empty() && Chance(behaviour_.out_of_stock)) short_product = items->front().product_id;
      if (short_product.empty()) {
        for (const LineItem& item : *items) {
          int64_t& left = stock_[item.product_id];
          left -= item.quantity;
          if (left < kRestockBelow) {
            left += kInitialStock;
            restock = true;
          }
        }
      }
    }
    if (!short_product.empty()) {
      span.AddEvent("out of stock", {{"app.product.id", short_product}});
      span.SetStatus(tracery::StatusCode::kError, "out of stock: " + short_product);
      return Form(409, "error=out of stock&product=" + short_product);
    }
    db_.Query("UPDATE", "inventory", "UPDATE inventory SET quantity = quantity - $2 WHERE product_id = $1");
    if (restock) {
      db_.Query("INSERT", "restock_orders", "INSERT INTO restock_orders (product_id, quantity) VALUES ($1, $2)");
    }
    return Form(200, "status=reserved");
  }

  const ShopBehaviour behaviour_;
  FakeDatastore db_;
  std::mutex mu_;
  std::unordered_map<std::string, int64_t> stock_;  // GUARDED_BY(mu_)
};

}  // namespace

std::unique_ptr<ShopService> MakeInventory(const ShopTopology&, const ShopBehaviour& behaviour, Router& router) {
  return std::make_unique<Inventory>(behaviour, router);
}

}  // namespace shop
