// recommendation: products to show next, from a (fake) Redis of candidates
// and a ranking step that, now and then, misses its cache and takes ten
// times longer.
#include "fake_datastore.h"
#include "shop_services.h"
#include "simulation.h"
#include "tracery/trace.h"

namespace shop {
namespace {

constexpr double kRankMedianUs = 1500;

class Recommendation final : public ShopService {
 public:
  Recommendation(const ShopBehaviour& behaviour, Router& router)
      : behaviour_(behaviour),
        redis_({DbSystem::kRedis, "2", "redis-recs.shop.internal", 6379, 200}),
        tracer_(tracery::GetTracer("shop.recommendation")) {
    router.Add("GET", "/recommendations", [this](const RoutedRequest& r, tracery::Span& s) { return Recommend(r, s); });
  }

 private:
  HttpResponse Recommend(const RoutedRequest& req, tracery::Span& span) {
    std::string product = FormValue(req.query, "product");
    std::string limit_text = FormValue(req.query, "limit", "4");
    size_t limit = limit_text.size() == 1 && limit_text[0] >= '1' && limit_text[0] <= '9' ? limit_text[0] - '0' : 4;
    redis_.Query("ZREVRANGE", "", "ZREVRANGE recs:" + (product.empty() ? std::string("popular") : product) + " 0 " +
                                      std::to_string(limit - 1));
    bool slow = Chance(behaviour_.recommendation_slow);
    std::string ids;
    {
      tracery::Span rank = tracer_.StartSpan("rank candidates");
      rank.SetAttribute("app.recommendation.cache_hit", !slow);
      SimulateWork(slow ? kRankMedianUs * 10 : kRankMedianUs);
      const auto& all = Catalogue();
      size_t start = PickIndex(all.size());
      for (size_t i = 0, n = 0; i < all.size() && n < limit; ++i) {
        const Product& p = all[(start + i) % all.size()];
        if (p.id == product) continue;
        if (!ids.empty()) ids.push_back(',');
        ids.append(p.id);
        ++n;
      }
    }
    span.SetAttributes({{"app.recommendation.slow_path", slow}, {"app.recommendation.count", static_cast<int64_t>(limit)}});
    return MakeResponse(200, "products=" + ids, "application/x-www-form-urlencoded");
  }

  const ShopBehaviour behaviour_;
  FakeDatastore redis_;
  tracery::Tracer tracer_;
};

}  // namespace

std::unique_ptr<ShopService> MakeRecommendation(const ShopTopology&, const ShopBehaviour& behaviour, Router& router) {
  return std::make_unique<Recommendation>(behaviour, router);
}

}  // namespace shop
