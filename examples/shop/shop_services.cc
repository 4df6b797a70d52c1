#include "shop_services.h"

#include <charconv>

namespace shop {

std::optional<uint16_t> ServicePort(std::string_view service, uint16_t base_port) {
  for (size_t i = 0; i < kServiceNames.size(); ++i) {
    if (kServiceNames[i] == service) {
      uint32_t port = static_cast<uint32_t>(base_port) + static_cast<uint32_t>(i);
      if (port > 65535) return std::nullopt;
      return static_cast<uint16_t>(port);
    }
  }
  return std::nullopt;
}

tracery::Result<std::unique_ptr<ShopService>> MakeShopService(std::string_view service, const ShopTopology& topology,
                                                              const ShopBehaviour& behaviour, Router& router) {
  if (!ServicePort(service, topology.base_port) || topology.base_port > 65535 - (kServiceNames.size() - 1)) {
    std::string known;
    for (std::string_view n : kServiceNames) known.append(known.empty() ? "" : ", ").append(n);
    return tracery::Status::InvalidArgument("unknown service '" + std::string(service) + "' (one of: " + known +
                                            "), or base port too high");
  }
  if (service == "frontend") return MakeFrontend(topology, behaviour, router);
  if (service == "checkout") return MakeCheckout(topology, behaviour, router);
  if (service == "cart") return MakeCart(topology, behaviour, router);
  if (service == "payment") return MakePayment(topology, behaviour, router);
  if (service == "inventory") return MakeInventory(topology, behaviour, router);
  if (service == "shipping") return MakeShipping(topology, behaviour, router);
  return MakeRecommendation(topology, behaviour, router);
}

tracery::Result<std::vector<LineItem>> ParseLineItems(std::string_view text) {
  std::vector<LineItem> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view member = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (member.empty()) continue;
    size_t colon = member.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return tracery::Status::InvalidArgument("line item '" + std::string(member) + "' is not product:quantity");
    }
    std::string_view qty = member.substr(colon + 1);
    int64_t n = 0;
    auto [p, ec] = std::from_chars(qty.data(), qty.data() + qty.size(), n);
    if (ec != std::errc() || p != qty.data() + qty.size() || n <= 0 || n > 1000) {
      return tracery::Status::InvalidArgument("line item '" + std::string(member) +
                                              "': quantity must be an integer from 1 to 1000");
    }
    out.push_back(LineItem{std::string(member.substr(0, colon)), n});
  }
  return out;
}

std::string FormatLineItems(const std::vector<LineItem>& items) {
  std::string out;
  for (const LineItem& item : items) {
    if (!out.empty()) out.push_back(',');
    out.append(item.product_id).push_back(':');
    out.append(std::to_string(item.quantity));
  }
  return out;
}

const std::vector<Product>& Catalogue() {
  static const std::vector<Product> kProducts = {
      {"OLJCESPC7Z", "Vintage Typewriter", 6799},  {"66VCHSJNUP", "Film Camera", 24599},
      {"1YMWWN1N4O", "Home Barista Kit", 12499},   {"L9ECAV7KIM", "Terrarium", 3649},
      {"2ZYFJ3GM2N", "Roof Binoculars", 20999},    {"0PUK6V6EV0", "Candle Holder", 1895},
      {"LS4PSXUNUM", "Metal Camping Mug", 2450},   {"9SIQT8TOJO", "City Bike", 78950},
      {"6E92ZMYYFZ", "Air Plant", 1230},           {"HQTGWGPNH4", "The Comet Book", 1299},
  };
  return kProducts;
}

const Product* FindProduct(std::string_view id) {
  for (const Product& p : Catalogue()) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::unique_ptr<ServiceClient> ClientFor(std::string_view peer, const ShopTopology& topology) {
  return std::make_unique<ServiceClient>(std::string(peer), topology.host, *ServicePort(peer, topology.base_port));
}

}  // namespace shop
