// Multi-tenancy (--multi-tenancy): one complete stack per tenant — its own
// EmbeddedStore in DATA_DIR/tenants/<tenant>/, its own span metrics, ingest
// pipeline, receivers and query handlers (Jaeger, Jaeger v3, Zipkin, Tempo,
// analysis) bound to that store — so no query path can see another tenant's
// data by construction.
//
// TenantRegistry opens stacks lazily and keeps at most `max_open_tenants`
// open, closing (flushing) the least recently used idle one past that.
// TenantGateway is the HttpHandler a listener serves: it authenticates the
// request, resolves its tenant and hands it to that tenant's handlers.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collector/span_pipeline.h"
#include "common/http_types.h"
#include "common/metrics_registry.h"
#include "common/status.h"
#include "ingest/decode_result.h"
#include "query/query_api_options.h"
#include "server/auth_tokens.h"
#include "storage/embedded_store.h"

namespace tracery::server {

// The listeners that serve tenant data; each gets its own handler list.
enum class TenantListener { kOtlpHttp = 0, kZipkin, kQuery, kTempo, kCount };

struct TenantStackOptions {
  std::string tenants_dir;                 // DATA_DIR/tenants
  storage::EmbeddedStoreOptions store;     // data_dir is set per tenant; max_disk_bytes is the per-tenant quota
  uint64_t retention_ns = 0;               // span metrics retention (the store's is in `store`)
  query::QueryApiOptions query;
  ingest::IngestLimits limits;
  size_t max_request_bytes = 16 << 20;
  double ingest_spans_per_second = 0;      // 0: no per-tenant rate limit
  double ingest_burst_spans = 0;           // 0: one second's worth
  MetricsRegistry* metrics = nullptr;        // not owned; required
  std::function<uint64_t()> clock_ns;        // required
};

// Everything one tenant needs. Thread-safe like the handlers it holds.
class TenantStack {
 public:
  static Result<std::unique_ptr<TenantStack>> Open(const std::string& tenant, const TenantStackOptions& options);
  ~TenantStack();  // flushes the store and span metrics

  const std::string& tenant() const { return tenant_; }
  const std::vector<HttpHandler*>& handlers(TenantListener l) const { return handlers_[static_cast<int>(l)]; }
  collector::SpanPipeline* pipeline() const;

  struct Parts;  // defined in tenant_registry.cc

 private:
  TenantStack() = default;
  std::string tenant_;
  std::unique_ptr<Parts> parts_;
  std::vector<HttpHandler*> handlers_[static_cast<int>(TenantListener::kCount)];
};

// Thread-safe.
class TenantRegistry {
 public:
  TenantRegistry(TenantStackOptions options, size_t max_open_tenants);
  ~TenantRegistry();

  // The open stack of `tenant` (a validated id), opening it when needed.
  // The returned pointer keeps the stack open while held. Unavailable when
  // max_open_tenants stacks are all in use and none can be closed.
  Result<std::shared_ptr<TenantStack>> Get(const std::string& tenant);

  size_t open_tenants();
  void CloseAll();  // for shutdown; REQUIRES: no request in flight

 private:
  TenantStackOptions options_;
  size_t max_open_;
  std::mutex mu_;
  // Most recently used at the front.
  std::list<std::shared_ptr<TenantStack>> lru_;                                        // GUARDED_BY(mu_)
  std::map<std::string, std::list<std::shared_ptr<TenantStack>>::iterator> by_name_;  // GUARDED_BY(mu_)
};

// Handlers a resolved request is dispatched to, kept alive by `lease`.
struct TenantHandlers {
  std::shared_ptr<const void> lease;
  const std::vector<HttpHandler*>* handlers = nullptr;
};
using TenantLookup = std::function<Result<TenantHandlers>(const std::string& tenant)>;

// The access-controlled front of one listener. A request for which
// `is_open(req)` holds (the UI's files, sampling strategies) goes to
// `open_handlers` without credentials; every other request is resolved with
// ResolveTenant (ingest role for POSTs of spans, query role otherwise) and
// dispatched to its tenant's handlers. Refusals are JSON errors: 400 bad
// tenant id, 401 (with WWW-Authenticate) no/unknown token, 403 wrong tenant
// or role, 503 tenant cannot be opened.
class TenantGateway : public HttpHandler {
 public:
  TenantGateway(AccessPolicy policy, TenantLookup lookup, std::vector<HttpHandler*> open_handlers,
                std::function<bool(const HttpRequest&)> is_open);
  std::optional<HttpResponse> Handle(const HttpRequest& req) override;

  // The credential check of Handle without dispatching or opening a tenant:
  // a refusal (400/401/403) for a request that Handle would refuse, nullopt
  // otherwise. Needs the request's headers only, so the HTTP server calls it
  // before reading a body (HttpServerOptions::admit). Thread-safe.
  std::optional<HttpResponse> Admit(const HttpRequest& req) const;

  // The role a request needs: kIngest for span submissions, else kQuery.
  static AccessRole RoleOf(const HttpRequest& req);

 private:
  AccessPolicy policy_;
  TenantLookup lookup_;
  std::vector<HttpHandler*> open_handlers_;
  std::function<bool(const HttpRequest&)> is_open_;
};

// An HTTP error for a refused request (status from the Status code).
HttpResponse AccessError(const Status& st);

}  // namespace tracery::server
