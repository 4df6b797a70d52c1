#include "server/tenant_registry.h"

#include "server/query_handlers.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "analysis/analysis_api.h"
#include "analysis/span_metrics.h"
#include "collector/otlp_http_receiver.h"
#include "collector/zipkin_http_receiver.h"
#include "query/jaeger_api.h"
#include "query/jaeger_v3_api.h"
#include "query/search_params.h"
#include "query/zipkin_api.h"
#include "server/http_server.h"
#include "server/ingest_rate_limiter.h"
#include "traceql/tempo_api.h"

namespace tracery::server {

namespace {

// The tenant's store as its pipeline sees it: refuses batches over the
// tenant's ingest rate (ResourceExhausted, retryable, nothing kept) and
// feeds span metrics only with spans that were durably written, so a
// refused and retried batch is counted once.
class TenantIngestStore final : public storage::SpanStore {
 public:
  TenantIngestStore(std::string tenant, storage::SpanStore* inner, analysis::SpanMetricsAggregator* metrics,
                    double spans_per_second, double burst_spans, std::function<uint64_t()> clock_ns)
      : tenant_(std::move(tenant)),
        inner_(inner),
        metrics_(metrics),
        limiter_(spans_per_second, burst_spans),
        clock_ns_(std::move(clock_ns)) {}

  Status Write(const model::SpanBatch& batch) override {
    if (uint64_t wait_s = limiter_.TryAcquire(batch.spans.size(), clock_ns_()); wait_s > 0) {
      return Status::ResourceExhausted("tenant '" + tenant_ + "' is over its ingest rate limit; retry after " +
                                       std::to_string(wait_s) + " s or ask the operator to raise --tenant-ingest-rate");
    }
    TRACERY_RETURN_IF_ERROR(inner_->Write(batch));
    metrics_->Observe(batch);
    return Status::Ok();
  }
  Result<model::SpanBatch> GetTrace(const model::TraceId& id, size_t max_spans) override {
    return inner_->GetTrace(id, max_spans);
  }
  Result<storage::FindResult> FindTraces(const storage::TraceQuery& q) override { return inner_->FindTraces(q); }
  Result<std::vector<std::string>> GetServices() override { return inner_->GetServices(); }
  Result<std::vector<storage::Operation>> GetOperations(const std::string& service,
                                                        std::optional<model::SpanKind> kind) override {
    return inner_->GetOperations(service, kind);
  }
  Result<std::vector<storage::DependencyLink>> GetDependencies(uint64_t start_ns, uint64_t end_ns) override {
    return inner_->GetDependencies(start_ns, end_ns);
  }
  Status ScanSpans(uint64_t start_ns, uint64_t end_ns,
                   const std::function<bool(const model::SpanBatch&)>& fn) override {
    return inner_->ScanSpans(start_ns, end_ns, fn);
  }
  Status Flush() override { return inner_->Flush(); }
  storage::StoreStats Stats() override { return inner_->Stats(); }

 private:
  std::string tenant_;
  storage::SpanStore* inner_;
  analysis::SpanMetricsAggregator* metrics_;
  IngestRateLimiter limiter_;
  std::function<uint64_t()> clock_ns_;
};

}  // namespace

struct TenantStack::Parts {
  std::unique_ptr<storage::EmbeddedStore> store;
  std::unique_ptr<analysis::SpanMetricsAggregator> span_metrics;
  std::unique_ptr<TenantIngestStore> ingest_store;
  std::unique_ptr<collector::SpanPipeline> pipeline;
  std::unique_ptr<collector::OtlpHttpReceiver> otlp_http;
  std::unique_ptr<collector::ZipkinHttpReceiver> zipkin_ingest;
  QueryHandlers queries;
};

Result<std::unique_ptr<TenantStack>> TenantStack::Open(const std::string& tenant, const TenantStackOptions& o) {
  TRACERY_RETURN_IF_ERROR(ValidateTenantId(tenant));
  std::unique_ptr<TenantStack> stack(new TenantStack());
  stack->tenant_ = tenant;
  stack->parts_ = std::make_unique<Parts>();
  Parts& p = *stack->parts_;
  auto dir = std::filesystem::path(o.tenants_dir) / tenant;

  storage::EmbeddedStoreOptions so = o.store;
  so.data_dir = dir.string();
  auto store = storage::EmbeddedStore::Open(so);
  if (!store.ok()) {
    return Status(store.status().code(), "opening the store of tenant '" + tenant + "': " + store.status().message());
  }
  p.store = std::move(store).value();

  analysis::SpanMetricsOptions mo;
  mo.dir = (dir / "metrics").string();
  mo.retention_ns = o.retention_ns;
  mo.cache_hours = 24;  // per tenant: many tenants share the process's memory
  auto metrics = analysis::SpanMetricsAggregator::Open(mo);
  if (!metrics.ok()) {
    return Status(metrics.status().code(),
                  "opening span metrics of tenant '" + tenant + "': " + metrics.status().message());
  }
  p.span_metrics = std::move(metrics).value();
  p.ingest_store = std::make_unique<TenantIngestStore>(tenant, p.store.get(), p.span_metrics.get(),
                                                       o.ingest_spans_per_second, o.ingest_burst_spans, o.clock_ns);
  p.pipeline = std::make_unique<collector::SpanPipeline>(p.ingest_store.get(), o.metrics);
  p.otlp_http = std::make_unique<collector::OtlpHttpReceiver>(p.pipeline.get(), o.limits, o.max_request_bytes);
  p.zipkin_ingest = std::make_unique<collector::ZipkinHttpReceiver>(p.pipeline.get(), o.limits, o.max_request_bytes);
  p.queries = QueryHandlers::Build(p.store.get(), p.span_metrics.get(), o.query, o.clock_ns);

  auto& h = stack->handlers_;
  h[static_cast<int>(TenantListener::kOtlpHttp)] = {p.otlp_http.get()};
  h[static_cast<int>(TenantListener::kZipkin)] = {p.zipkin_ingest.get(), p.queries.zipkin.get()};
  h[static_cast<int>(TenantListener::kQuery)] = p.queries.QueryPort();
  h[static_cast<int>(TenantListener::kTempo)] = p.queries.TempoPort();
  spdlog::info("tenant '{}' open in {}", tenant, dir.string());
  return stack;
}

TenantStack::~TenantStack() {
  if (!parts_) return;
  if (parts_->store) {
    if (auto st = parts_->store->Flush(); !st.ok()) spdlog::error("flushing tenant '{}': {}", tenant_, st.ToString());
  }
  if (parts_->span_metrics) {
    if (auto st = parts_->span_metrics->FlushAll(); !st.ok()) {
      spdlog::error("flushing span metrics of tenant '{}': {}", tenant_, st.ToString());
    }
  }
  // Handlers go before the stores they point into.
  parts_->queries = QueryHandlers();
  parts_->zipkin_ingest.reset();
  parts_->otlp_http.reset();
  parts_->pipeline.reset();
  parts_->ingest_store.reset();
  parts_->span_metrics.reset();
  parts_->store.reset();
}

collector::SpanPipeline* TenantStack::pipeline() const { return parts_->pipeline.get(); }

TenantRegistry::TenantRegistry(TenantStackOptions options, size_t max_open_tenants)
    : options_(std::move(options)), max_open_(std::max<size_t>(1, max_open_tenants)) {}

TenantRegistry::~TenantRegistry() { CloseAll(); }

Result<std::shared_ptr<TenantStack>> TenantRegistry::Get(const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = by_name_.find(tenant); it != by_name_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return lru_.front();
  }
  // Close idle stacks (held only by us) from the least recently used end.
  // A stack in use is never closed: closing happens under mu_, so the same
  // tenant cannot be reopened while its store is still being flushed.
  for (auto it = lru_.end(); lru_.size() >= max_open_ && it != lru_.begin();) {
    --it;
    if (it->use_count() == 1) {
      spdlog::info("closing idle tenant '{}' (over --max-open-tenants {})", (*it)->tenant(), max_open_);
      by_name_.erase((*it)->tenant());
      it = lru_.erase(it);
    }
  }
  if (lru_.size() >= max_open_) {
    return Status::Unavailable("too many tenants are busy at once (--max-open-tenants " + std::to_string(max_open_) +
                               "); retry shortly");
  }
  auto stack = TenantStack::Open(tenant, options_);
  if (!stack.ok()) return stack.status();
  lru_.push_front(std::shared_ptr<TenantStack>(std::move(stack).value()));
  by_name_[tenant] = lru_.begin();
  return lru_.front();
}

size_t TenantRegistry::open_tenants() {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

void TenantRegistry::CloseAll() {
  std::lock_guard<std::mutex> lock(mu_);
  by_name_.clear();
  lru_.clear();
}

HttpResponse AccessError(const Status& st) {
  int http = 500;
  switch (st.code()) {
    case Status::Code::kInvalidArgument: http = 400; break;
    case Status::Code::kUnauthenticated: http = 401; break;
    case Status::Code::kPermissionDenied: http = 403; break;
    case Status::Code::kResourceExhausted: http = 429; break;
    case Status::Code::kUnavailable: http = 503; break;
    default: break;
  }
  HttpResponse r = JsonError(http, st.message());
  if (http == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tracery\"");
  if (http == 503 || http == 429) r.headers.emplace_back("Retry-After", "1");
  return r;
}

TenantGateway::TenantGateway(AccessPolicy policy, TenantLookup lookup, std::vector<HttpHandler*> open_handlers,
                             std::function<bool(const HttpRequest&)> is_open)
    : policy_(policy), lookup_(std::move(lookup)), open_handlers_(std::move(open_handlers)), is_open_(std::move(is_open)) {}

AccessRole TenantGateway::RoleOf(const HttpRequest& req) {
  bool span_path = req.path == "/v1/traces" || req.path == "/api/v2/spans" || req.path == "/api/v1/spans";
  return req.method == "POST" && span_path ? AccessRole::kIngest : AccessRole::kQuery;
}

std::optional<HttpResponse> TenantGateway::Admit(const HttpRequest& req) const {
  if (is_open_ && is_open_(req)) return std::nullopt;
  auto tenant = ResolveTenant(policy_, req.Header("x-scope-orgid"), req.Header("authorization"), RoleOf(req));
  if (!tenant.ok()) return AccessError(tenant.status());
  return std::nullopt;
}

std::optional<HttpResponse> TenantGateway::Handle(const HttpRequest& req) {
  if (is_open_ && is_open_(req)) {
    for (HttpHandler* h : open_handlers_) {
      if (auto r = h->Handle(req)) return r;
    }
  }
  auto tenant = ResolveTenant(policy_, req.Header("x-scope-orgid"), req.Header("authorization"), RoleOf(req));
  if (!tenant.ok()) return AccessError(tenant.status());
  auto handlers = lookup_(*tenant);
  if (!handlers.ok()) return AccessError(handlers.status());
  for (HttpHandler* h : *handlers->handlers) {
    if (auto r = h->Handle(req)) return r;
  }
  return std::nullopt;
}

}  // namespace tracery::server
