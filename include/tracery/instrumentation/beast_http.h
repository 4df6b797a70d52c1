// Tracing for Boost.Beast HTTP servers and clients (header-only).
//
// Server:
//   auto res = tracery::http::TraceServer(req, "GET /cart", [&](tracery::Span& span) {
//     span.SetAttribute("cart.items", 3);
//     return MakeResponse(...);   // any beast::http::response<Body>
//   });
// Client:
//   beast::http::request<http::string_body> req{...};
//   auto res = tracery::http::TraceClient(req, "cart.internal", [&](auto& traced_req) {
//     http::write(stream, traced_req); ... return response;   // exceptions mark the span error, then rethrow
//   });
#pragma once

#include <boost/beast/http.hpp>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "tracery/propagation.h"
#include "tracery/trace.h"

namespace tracery::http {

// Beast header fields as a carrier (Get is case-insensitive: Beast fields are).
template <typename Fields>
class BeastFieldsCarrier final : public TextMapCarrier {
 public:
  explicit BeastFieldsCarrier(Fields& fields) : fields_(fields) {}
  std::string_view Get(std::string_view key) const override {
    auto it = fields_.find(boost::beast::string_view(key.data(), key.size()));
    if (it == fields_.end()) return {};
    auto v = it->value();
    return std::string_view(v.data(), v.size());
  }
  void Set(std::string_view key, std::string_view value) override {
    if constexpr (!std::is_const_v<Fields>) {
      fields_.set(boost::beast::string_view(key.data(), key.size()),
                  boost::beast::string_view(value.data(), value.size()));
    }
  }
  void ForEachKey(const std::function<bool(std::string_view)>& fn) const override {
    for (const auto& f : fields_) {
      auto n = f.name_string();
      if (!fn(std::string_view(n.data(), n.size()))) return;
    }
  }

 private:
  Fields& fields_;
};

namespace detail {
inline std::string_view Path(std::string_view target) {
  size_t q = target.find('?');
  return target.substr(0, q);
}
inline std::string_view Sv(boost::beast::string_view v) { return std::string_view(v.data(), v.size()); }
}  // namespace detail

// Runs `handler(span)` inside a SERVER span named "{METHOD} {route}" that
// continues the caller's trace (global propagator) and is current on this
// thread. Records http.request.method, url.path, http.route,
// server.address, user_agent.original and http.response.status_code; 5xx
// or an exception (rethrown) sets status error. `route` is the route
// template ("/cart/{id}"); a "GET /cart" style name is accepted too.
template <typename ReqBody, typename ReqFields, typename Handler>
auto TraceServer(const boost::beast::http::request<ReqBody, ReqFields>& req, std::string_view route, Handler&& handler,
                 Tracer tracer = GetTracer("tracery.http.server")) {
  std::string_view method = detail::Sv(req.method_string());
  std::string_view route_only = route;
  if (route.size() > method.size() && route.substr(0, method.size()) == method && route[method.size()] == ' ') {
    route_only = route.substr(method.size() + 1);
  }
  const ReqFields& fields = req.base();
  BeastFieldsCarrier<const ReqFields> carrier(fields);
  Context parent = GlobalPropagator().Extract(carrier, CurrentContext());
  // "{METHOD} {route}", built on the stack when it fits (StartSpan copies it).
  char name_buf[128];
  std::string name_heap;
  std::string_view name;
  if (method.size() + 1 + route_only.size() <= sizeof(name_buf)) {
    std::memcpy(name_buf, method.data(), method.size());
    name_buf[method.size()] = ' ';
    std::memcpy(name_buf + method.size() + 1, route_only.data(), route_only.size());
    name = std::string_view(name_buf, method.size() + 1 + route_only.size());
  } else {
    name_heap.append(method).push_back(' ');
    name_heap.append(route_only);
    name = name_heap;
  }
  // Make the caller's context current first so its baggage (not only its
  // span context) is visible to the handler and propagated downstream.
  Scope parent_scope(parent);
  Span span = tracer.StartSpan(name, parent, SpanKind::kServer);
  Scope scope(span);
  if (span.IsRecording()) {
    span.SetAttribute("http.request.method", method);
    span.SetAttribute("url.path", detail::Path(detail::Sv(req.target())));
    span.SetAttribute("http.route", route_only);
    auto host = req.find(boost::beast::http::field::host);
    if (host != req.end()) {
      std::string_view h = detail::Sv(host->value());
      span.SetAttribute("server.address", h.substr(0, h.rfind(':') == std::string_view::npos ? h.size() : h.rfind(':')));
    }
    auto ua = req.find(boost::beast::http::field::user_agent);
    if (ua != req.end()) span.SetAttribute("user_agent.original", detail::Sv(ua->value()));
  }
  try {
    auto response = handler(span);
    int status = static_cast<int>(response.result_int());
    span.SetAttribute("http.response.status_code", status);
    if (status >= 500) span.SetStatus(StatusCode::kError, "");
    return response;
  } catch (const std::exception& e) {
    span.RecordException("std::exception", e.what());
    throw;
  }
}

// Runs `send(req)` inside a CLIENT span "{METHOD}" with the current
// context injected into `req`'s headers (global propagator). `send` returns
// the beast response; 5xx or an exception (rethrown) sets status error.
template <typename ReqBody, typename ReqFields, typename Send>
auto TraceClient(boost::beast::http::request<ReqBody, ReqFields>& req, std::string_view server_address, Send&& send,
                 Tracer tracer = GetTracer("tracery.http.client")) {
  std::string_view method = detail::Sv(req.method_string());
  Span span = tracer.StartSpan(method, SpanKind::kClient);
  if (span.IsRecording()) {
    span.SetAttribute("http.request.method", method);
    span.SetAttribute("server.address", server_address);
    span.SetAttribute("url.full", detail::Sv(req.target()));
  }
  Context ctx{span.context(), CurrentContext().baggage};
  BeastFieldsCarrier<ReqFields> carrier(req.base());
  GlobalPropagator().Inject(ctx, carrier);
  try {
    auto response = send(req);
    int status = static_cast<int>(response.result_int());
    span.SetAttribute("http.response.status_code", status);
    if (status >= 500) span.SetStatus(StatusCode::kError, "");
    return response;
  } catch (const std::exception& e) {
    span.RecordException("std::exception", e.what());
    throw;
  }
}

}  // namespace tracery::http
