// The demo shop's seven services. Each is a Router filled with its routes
// plus the state behind them (clients for the services it calls, fake
// datastores, its data), owned by a ShopService.
//
//   frontend (base port)      GET /, GET /product/{id}, POST /cart, POST /checkout
//   checkout (base + 1)       POST /checkout/{session}: cart -> inventory -> payment -> shipping
//   cart (base + 2)           GET|DELETE /cart/{session}, POST /cart/{session}/items (asks inventory)
//   payment (base + 3)        POST /charge (external gateway with one retry; declines)
//   inventory (base + 4)      GET /stock/{id}, POST /reserve (out of stock now and then)
//   shipping (base + 5)       POST /shipments (method by customer.tier)
//   recommendation (base + 6) GET /recommendations (a slow path now and then)
//
// Bodies between services are form-encoded (`items=p1:2,p3:1`); the
// frontend answers JSON. The frontend puts customer.tier and session.id in
// W3C baggage (keeping values a caller already sent); every service records
// them on its SERVER span, and payment and shipping act on the tier.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http_service.h"

namespace shop {

inline constexpr std::array<std::string_view, 7> kServiceNames = {
    "frontend", "checkout", "cart", "payment", "inventory", "shipping", "recommendation"};

// The port of `service` for a shop whose frontend listens on base_port;
// nullopt for an unknown name or a port past 65535.
std::optional<uint16_t> ServicePort(std::string_view service, uint16_t base_port);

struct ShopTopology {
  std::string host = "127.0.0.1";
  uint16_t base_port = 8080;
};

// How often things go wrong (probabilities per call). One place, so the
// demo's character is easy to read and to change.
struct ShopBehaviour {
  double payment_transient_failure = 0.06;  // first gateway attempt fails (503); payment retries once
  double payment_decline = 0.03;            // card declined -> 402 (gold: a third of this)
  double out_of_stock = 0.02;               // a reservation fails -> 409
  double recommendation_slow = 0.05;        // ranking takes 10x longer
};

// A running service's state; the router's handlers point into it, so it
// must outlive every request served through that router.
class ShopService {
 public:
  virtual ~ShopService() = default;
};

// Adds the routes of `service` to `router`. Construct after
// tracery::sdk::InitFromEnv() (datastores take their tracer at
// construction). InvalidArgument for an unknown service name.
tracery::Result<std::unique_ptr<ShopService>> MakeShopService(std::string_view service, const ShopTopology& topology,
                                                              const ShopBehaviour& behaviour, Router& router);

// A cart or order line list, as carried between services: "p1:2,p3:1".
struct LineItem {
  std::string product_id;
  int64_t quantity = 0;
};
// Malformed members (no ':', a quantity that is not a positive integer up
// to 1000) make the whole list InvalidArgument, naming the member.
tracery::Result<std::vector<LineItem>> ParseLineItems(std::string_view text);
std::string FormatLineItems(const std::vector<LineItem>& items);

struct Product {
  std::string_view id;
  std::string_view name;
  int64_t price_cents;
};
// The shop's catalogue (fixed).
const std::vector<Product>& Catalogue();
const Product* FindProduct(std::string_view id);

// The services, one per file (frontend_service.cc, ...).
std::unique_ptr<ShopService> MakeFrontend(const ShopTopology&, const ShopBehaviour&, Router&);
std::unique_ptr<ShopService> MakeCheckout(const ShopTopology&, const ShopBehaviour&, Router&);
std::unique_ptr<ShopService> MakeCart(const ShopTopology&, const ShopBehaviour&, Router&);
std::unique_ptr<ShopService> MakePayment(const ShopTopology&, const ShopBehaviour&, Router&);
std::unique_ptr<ShopService> MakeInventory(const ShopTopology&, const ShopBehaviour&, Router&);
std::unique_ptr<ShopService> MakeShipping(const ShopTopology&, const ShopBehaviour&, Router&);
std::unique_ptr<ShopService> MakeRecommendation(const ShopTopology&, const ShopBehaviour&, Router&);

// A client for `peer` in `topology` (server.address on its spans is the peer's name).
std::unique_ptr<ServiceClient> ClientFor(std::string_view peer, const ShopTopology& topology);

}  // namespace shop
