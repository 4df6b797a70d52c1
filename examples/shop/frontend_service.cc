// frontend: the shop's entry point. Identifies the shopper (session cookie
// or baggage), puts customer.tier and session.id into W3C baggage, and
// fans out to the services behind it.
#include <functional>
#include <future>

#include "fake_datastore.h"
#include "json_text.h"
#include "shop_services.h"
#include "simulation.h"
#include "tracery/trace.h"

namespace shop {
namespace {

std::string RandomHex(size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(digits, '0');
  for (char& c : out) c = kHex[PickIndex(16)];
  return out;
}

std::string_view CookieValue(const HttpRequest& req, std::string_view name) {
  auto it = req.find(bhttp::field::cookie);
  if (it == req.end()) return {};
  std::string_view cookies(it->value().data(), it->value().size());
  while (!cookies.empty()) {
    size_t semi = cookies.find(';');
    std::string_view c = cookies.substr(0, semi);
    cookies = semi == std::string_view::npos ? std::string_view{} : cookies.substr(semi + 1);
    while (!c.empty() && c.front() == ' ') c.remove_prefix(1);
    if (c.size() > name.size() && c.substr(0, name.size()) == name && c[name.size()] == '=') {
      return c.substr(name.size() + 1);
    }
  }
  return {};
}

// Maps a downstream answer (or failure) onto the frontend's answer.
HttpResponse Relay(const tracery::Result<HttpResponse>& res, std::string_view what, tracery::Span& span) {
  if (!res.ok()) {
    span.SetStatus(tracery::StatusCode::kError, res.status().message());
    return MakeResponse(502, "{\"error\":" + JsonQuote(std::string(what) + ": " + res.status().message()) + "}");
  }
  unsigned status = res->result_int();
  if (status >= 500) return MakeResponse(502, "{\"error\":" + JsonQuote(std::string(what) + " failed") + "}");
  return MakeResponse(status, "{\"status\":" + std::to_string(status) + ",\"result\":" + JsonQuote(res->body()) + "}");
}

class Frontend final : public ShopService {
 public:
  Frontend(const ShopTopology& topology, Router& router)
      : sessions_({DbSystem::kRedis, "0", "redis-sessions.shop.internal", 6379, 250}),
        recommendation_(ClientFor("recommendation", topology)),
        cart_(ClientFor("cart", topology)),
        checkout_(ClientFor("checkout", topology)),
        inventory_(ClientFor("inventory", topology)) {
    router.Add("GET", "/", [this](const RoutedRequest& r, tracery::Span& s) { return Home(r, s); });
    router.Add("GET", "/product/{id}", [this](const RoutedRequest& r, tracery::Span& s) { return ProductPage(r, s); });
    router.Add("POST", "/cart", [this](const RoutedRequest& r, tracery::Span& s) { return AddToCart(r, s); });
    router.Add("POST", "/checkout", [this](const RoutedRequest& r, tracery::Span& s) { return Checkout(r, s); });
  }

 private:
  // The current context with the shopper's baggage added: values the caller
  // sent win; otherwise the session comes from the cookie (or is new) and
  // the tier from the session store.
  tracery::Context ShopperContext(const RoutedRequest& req, tracery::Span& span) {
    tracery::Context ctx = tracery::CurrentContext();
    std::string session(ctx.baggage.Get("session.id").value_or(std::string_view{}));
    if (session.empty()) session = std::string(CookieValue(req.raw, "session"));
    if (session.empty()) session = RandomHex(16);
    std::string tier(ctx.baggage.Get("customer.tier").value_or(std::string_view{}));
    if (tier.empty()) {
      sessions_.Query("HGET", "", "HGET customer:" + session + " tier");
      // A stable tier per session: 15% gold, 35% silver, 50% bronze.
      size_t h = std::hash<std::string>{}(session) % 100;
      tier = h < 15 ? "gold" : h < 50 ? "silver" : "bronze";
    }
    ctx.baggage = ctx.baggage.Set("session.id", session).Set("customer.tier", tier);
    span.SetAttribute("customer.tier", tier);
    span.SetAttribute("session.id", session);
    return ctx;
  }

  HttpResponse Home(const RoutedRequest& req, tracery::Span& span) {
    tracery::Context ctx = ShopperContext(req, span);
    tracery::Scope scope(ctx);
    std::string session(*ctx.baggage.Get("session.id"));
    // Fan-out: recommendations and the cart at once, each on its own thread
    // with the context handed over explicitly.
    auto recs = std::async(std::launch::async, [this, ctx] {
      tracery::Scope s(ctx);
      return recommendation_->Call(bhttp::verb::get, "/recommendations?limit=4");
    });
    auto cart = std::async(std::launch::async, [this, ctx, session] {
      tracery::Scope s(ctx);
      return cart_->Call(bhttp::verb::get, "/cart/" + session);
    });
    tracery::Result<HttpResponse> r = recs.get();
    tracery::Result<HttpResponse> c = cart.get();
    if (!r.ok() || r->result_int() >= 500) return Relay(r, "recommendation", span);
    if (!c.ok() || c->result_int() >= 500) return Relay(c, "cart", span);
    return MakeResponse(200, "{\"recommendations\":" + JsonQuote(r->body()) + ",\"cart\":" + JsonQuote(c->body()) + "}");
  }

  HttpResponse ProductPage(const RoutedRequest& req, tracery::Span& span) {
    tracery::Context ctx = ShopperContext(req, span);
    tracery::Scope scope(ctx);
    std::string id = req.PathParam("id");
    const Product* product = FindProduct(id);
    span.SetAttribute("app.product.id", id);
    if (!product) return MakeResponse(404, "{\"error\":" + JsonQuote("no product '" + id + "'") + "}");
    auto stock = std::async(std::launch::async, [this, ctx, id] {
      tracery::Scope s(ctx);
      return inventory_->Call(bhttp::verb::get, "/stock/" + id);
    });
    auto recs = std::async(std::launch::async, [this, ctx, id] {
      tracery::Scope s(ctx);
      return recommendation_->Call(bhttp::verb::get, "/recommendations?limit=4&product=" + id);
    });
    tracery::Result<HttpResponse> st = stock.get();
    tracery::Result<HttpResponse> r = recs.get();
    if (!st.ok() || st->result_int() >= 500) return Relay(st, "inventory", span);
    if (!r.ok() || r->result_int() >= 500) return Relay(r, "recommendation", span);
    return MakeResponse(200, "{\"product\":" + JsonQuote(product->name) + ",\"price_cents\":" +
                                 std::to_string(product->price_cents) + ",\"stock\":" + JsonQuote(st->body()) +
                                 ",\"recommendations\":" + JsonQuote(r->body()) + "}");
  }

  HttpResponse AddToCart(const RoutedRequest& req, tracery::Span& span) {
    tracery::Context ctx = ShopperContext(req, span);
    tracery::Scope scope(ctx);
    auto form = ParseForm(req.raw.body());
    std::string product = FormValue(form, "product");
    std::string quantity = FormValue(form, "quantity", "1");
    if (!FindProduct(product)) {
      return MakeResponse(400, "{\"error\":" + JsonQuote("form field product: no product '" + product + "'") + "}");
    }
    std::string session(*ctx.baggage.Get("session.id"));
    return Relay(cart_->Call(bhttp::verb::post, "/cart/" + session + "/items",
                             "product=" + product + "&quantity=" + quantity),
                 "cart", span);
  }

  HttpResponse Checkout(const RoutedRequest& req, tracery::Span& span) {
    tracery::Context ctx = ShopperContext(req, span);
    tracery::Scope scope(ctx);
    std::string session(*ctx.baggage.Get("session.id"));
    return Relay(checkout_->Call(bhttp::verb::post, "/checkout/" + session, req.raw.body()), "checkout", span);
  }

  FakeDatastore sessions_;
  std::unique_ptr<ServiceClient> recommendation_, cart_, checkout_, inventory_;
};

}  // namespace

std::unique_ptr<ShopService> MakeFrontend(const ShopTopology& topology, const ShopBehaviour&, Router& router) {
  return std::make_unique<Frontend>(topology, router);
}

}  // namespace shop
