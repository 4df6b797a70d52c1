// payment: charges the card through an external payment gateway (simulated
// in-process: a CLIENT span and a realistic latency). A transient gateway
// failure is retried once, with an event and a second CLIENT span; a
// declined card is a 402 with an exception event. Gold customers skip the
// fraud check.
#include <charconv>

#include "fake_datastore.h"
#include "shop_services.h"
#include "simulation.h"
#include "tracery/trace.h"

namespace shop {
namespace {

constexpr double kGatewayMedianUs = 6000;
constexpr double kFraudCheckMedianUs = 2500;

class Payment final : public ShopService {
 public:
  Payment(const ShopBehaviour& behaviour, Router& router)
      : behaviour_(behaviour),
        payments_({DbSystem::kPostgresql, "payments", "postgres-payments.shop.internal", 5432, 1200}),
        tracer_(tracery::GetTracer("shop.payment")) {
    router.Add("POST", "/charge", [this](const RoutedRequest& r, tracery::Span& s) { return Charge(r, s); });
  }

 private:
  static HttpResponse Form(unsigned status, std::string body) {
    return MakeResponse(status, std::move(body), "application/x-www-form-urlencoded");
  }

  // One call to the gateway: true when it answered 201, false on a 503.
  bool CallGateway(int attempt, bool fail) {
    tracery::Span call = tracer_.StartSpan("POST", tracery::SpanKind::kClient);
    call.SetAttributes({{"http.request.method", "POST"},
                        {"server.address", "api.paygate.example"},
                        {"server.port", int64_t{443}},
                        {"url.full", "https://api.paygate.example/v1/charges"}});
    if (attempt > 1) call.SetAttribute("http.request.resend_count", attempt - 1);
    SimulateWork(fail ? kGatewayMedianUs / 2 : kGatewayMedianUs);
    call.SetAttribute("http.response.status_code", fail ? 503 : 201);
    if (fail) call.SetStatus(tracery::StatusCode::kError, "payment gateway answered 503 Service Unavailable");
    return !fail;
  }

  HttpResponse Charge(const RoutedRequest& req, tracery::Span& span) {
    auto form = ParseForm(req.raw.body());
    std::string order_id = FormValue(form, "order_id");
    std::string amount = FormValue(form, "amount_cents");
    int64_t amount_cents = 0;
    auto [p, ec] = std::from_chars(amount.data(), amount.data() + amount.size(), amount_cents);
    if (order_id.empty() || ec != std::errc() || p != amount.data() + amount.size() || amount_cents <= 0) {
      span.SetStatus(tracery::StatusCode::kError, "bad charge request");
      return Form(400, "error=form fields order_id and amount_cents (a positive integer) are required");
    }
    std::string tier(tracery::CurrentContext().baggage.Get("customer.tier").value_or("bronze"));
    span.SetAttributes({{"app.order.id", order_id}, {"app.payment.amount_cents", amount_cents}});

    if (tier == "gold") {
      span.SetAttribute("app.payment.fraud_check", "skipped");
    } else {
      tracery::Span check = tracer_.StartSpan("fraud check");
      check.SetAttribute("customer.tier", tier);
      SimulateWork(kFraudCheckMedianUs);
      span.SetAttribute("app.payment.fraud_check", "passed");
    }

    // The gateway: one retry after a transient failure.
    bool charged = CallGateway(1, Chance(behaviour_.payment_transient_failure));
    if (!charged) {
      span.AddEvent("retry", {{"attempt", int64_t{2}}, {"reason", "payment gateway answered 503"}});
      charged = CallGateway(2, false);
    }
    double decline = behaviour_.payment_decline * (tier == "gold" ? 1.0 / 3 : 1.0);
    if (Chance(decline)) {
      span.RecordException("PaymentDeclined", "card declined: insufficient funds for order " + order_id);
      return Form(402, "error=card declined");
    }
    payments_.Query("INSERT", "payments",
                    "INSERT INTO payments (order_id, amount_cents, status) VALUES ($1, $2, 'captured')");
    span.SetAttribute("app.payment.status", "captured");
    return Form(200, "status=captured&transaction_id=tx-" + std::to_string(PickIndex(1'000'000'000)));
  }

  const ShopBehaviour behaviour_;
  FakeDatastore payments_;
  tracery::Tracer tracer_;
};

}  // namespace

std::unique_ptr<ShopService> MakePayment(const ShopTopology&, const ShopBehaviour& behaviour, Router& router) {
  return std::make_unique<Payment>(behaviour, router);
}

}  // namespace shop
