#include "server/all_in_one.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analysis/analysis_api.h"
#include "analysis/span_metrics.h"
#include "collector/otlp_grpc_receiver.h"
#include "collector/otlp_http_receiver.h"
#include "collector/span_pipeline.h"
#include "collector/zipkin_http_receiver.h"
#include "common/metrics_registry.h"
#include "common/wall_clock.h"
#include "query/jaeger_api.h"
#include "query/jaeger_v3_api.h"
#include "query/search_params.h"
#include "query/zipkin_api.h"
#include "server/admin_handler.h"
#include "server/auth_tokens.h"
#include "server/http_server.h"
#include "server/tenant_registry.h"
#include "server/server_options.h"
#include "server/query_handlers.h"
#include "server/static_files.h"
#include "sampling/adaptive_sampler.h"
#include "sampling/load_shedder.h"
#include "sampling/sampling_api.h"
#include "sampling/sampling_strategies.h"
#include "sampling/tail_policies.h"
#include "sampling/tail_sampler.h"
#include "storage/clickhouse/clickhouse_store.h"
#include "storage/embedded_store.h"
#include "traceql/tempo_api.h"

namespace tracery::server {

namespace {



Result<std::string> ReadPem(const std::string& flag, const std::string& path) {
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(flag + ": cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool IsSamplingPath(const HttpRequest& req) { return req.path == "/sampling" || req.path.rfind("/api/sampling", 0) == 0; }
// The UI's files are public; every API path is protected.
bool IsUiPath(const HttpRequest& req) { return req.path != "/api" && req.path.rfind("/api/", 0) != 0; }

}  // namespace

struct AllInOne::Impl {
  ServerConfig config;
  MetricsRegistry& metrics = MetricsRegistry::Global();
  std::unique_ptr<storage::SpanStore> store;
  std::unique_ptr<sampling::StrategiesFile> strategies_file;
  std::unique_ptr<sampling::AdaptiveSampler> adaptive;
  std::unique_ptr<sampling::LoadShedder> shedder;
  std::unique_ptr<sampling::TailSampler> tail;
  std::unique_ptr<sampling::SamplingApi> sampling_api;
  std::unique_ptr<analysis::SpanMetricsAggregator> span_metrics;
  std::unique_ptr<collector::SpanPipeline> pipeline;
  std::unique_ptr<collector::OtlpHttpReceiver> otlp_http;
  std::unique_ptr<collector::ZipkinHttpReceiver> zipkin_ingest;
  std::unique_ptr<collector::OtlpGrpcReceiver> otlp_grpc;
  QueryHandlers queries;
  std::unique_ptr<StaticFiles> ui;
  std::unique_ptr<AdminHandler> admin;
  // Access control (--auth-tokens-file, --multi-tenancy); all null when off.
  std::unique_ptr<TokenAuthenticator> tokens;
  std::unique_ptr<TenantRegistry> tenants;
  // The single tenant's handlers per listener, and what each listener serves
  // (the same lists, or a TenantGateway in front of them).
  std::vector<HttpHandler*> single_tenant_handlers[static_cast<int>(TenantListener::kCount)];
  std::vector<HttpHandler*> listener_handlers[static_cast<int>(TenantListener::kCount)];
  std::vector<std::unique_ptr<TenantGateway>> gateways;
  std::vector<std::unique_ptr<HttpServer>> servers;
  HttpServer* otlp_http_server = nullptr;
  HttpServer* zipkin_server = nullptr;
  HttpServer* query_server = nullptr;
  HttpServer* admin_server = nullptr;

  Result<HttpServer*> Listen(const std::string& name, const std::string& addr,
                             std::vector<HttpHandler*> handlers, const TenantGateway* gateway = nullptr) {
    auto opts = ListenOptions(name, addr, config);
    if (!opts.ok()) return opts.status();
    // Credentials are checked as soon as the headers are in: a refused
    // client's body is never read into memory.
    if (gateway != nullptr) opts->admit = [gateway](const HttpRequest& req) { return gateway->Admit(req); };
    auto server = std::make_unique<HttpServer>(*opts, std::move(handlers));
    TRACERY_RETURN_IF_ERROR(server->Start());
    servers.push_back(std::move(server));
    return servers.back().get();
  }
};

AllInOne::AllInOne(ServerConfig config) : impl_(std::make_unique<Impl>()) { impl_->config = std::move(config); }

AllInOne::~AllInOne() { Stop(); }

Status AllInOne::Start() {
  Impl& m = *impl_;
  const ServerConfig& c = m.config;

  auto retention = query::ParseDuration(c.retention);
  if (!retention.ok()) return Status::InvalidArgument("--retention: " + retention.status().message());

  auto store = OpenStore(c, /*on_cluster_ddl=*/true);
  if (!store.ok()) return store.status();
  m.store = std::move(store).value();

  ingest::IngestLimits limits;
  limits.max_attributes_per_span = c.max_attributes_per_span;
  limits.max_attribute_value_bytes = c.max_attribute_value_bytes;
  m.pipeline = std::make_unique<collector::SpanPipeline>(m.store.get(), &m.metrics);

  analysis::SpanMetricsOptions mo;
  mo.dir = (std::filesystem::path(c.data_dir) / "metrics").string();
  mo.retention_ns = *retention;
  auto span_metrics = analysis::SpanMetricsAggregator::Open(mo);
  if (!span_metrics.ok()) return Status(span_metrics.status().code(), "opening span metrics: " + span_metrics.status().message());
  m.span_metrics = std::move(span_metrics).value();
  m.pipeline->AddObserver([agg = m.span_metrics.get()](const model::SpanBatch& b) { agg->Observe(b); });
  TRACERY_RETURN_IF_ERROR(StartSampling());
  auto qo = QueryOptions(c);
  if (!qo.ok()) return qo.status();
  m.queries = QueryHandlers::Build(m.store.get(), m.span_metrics.get(), *qo, WallClockNanos);
  m.otlp_http = std::make_unique<collector::OtlpHttpReceiver>(m.pipeline.get(), limits, c.max_request_bytes);
  m.zipkin_ingest = std::make_unique<collector::ZipkinHttpReceiver>(m.pipeline.get(), limits, c.max_request_bytes);
  auto ui_dir = ResolveUiDir(c.ui_dir);
  m.ui = std::make_unique<StaticFiles>(ui_dir);
  if (!m.ui->available()) spdlog::warn("web UI not found in {}: build it with scripts/build", ui_dir.string());
  m.admin = std::make_unique<AdminHandler>(&m.metrics);

  m.metrics.AddGauge("tracery_store_spans", "Spans held by the store", [s = m.store.get()] {
    return static_cast<double>(s->Stats().spans_stored);
  });
  m.metrics.AddGauge("tracery_store_disk_bytes", "Bytes the store uses on disk", [s = m.store.get()] {
    return static_cast<double>(s->Stats().bytes_on_disk);
  });

  auto fail = [&](Status st) {
    Stop();
    return st;
  };
  if (auto st = StartAccessControl(); !st.ok()) return fail(st);
  auto handlers = [&](TenantListener l) { return m.listener_handlers[static_cast<int>(l)]; };
  // The access-control gateway in front of a listener, when there is one.
  auto gateway = [&](TenantListener l) -> const TenantGateway* {
    return m.gateways.empty() ? nullptr : m.gateways[static_cast<int>(l)].get();
  };
  auto admin = m.Listen("admin", c.admin_addr, {m.admin.get()});
  if (!admin.ok()) return fail(admin.status());
  m.admin_server = *admin;
  auto otlp_http = m.Listen("otlp-http", c.otlp_http_addr, handlers(TenantListener::kOtlpHttp),
                            gateway(TenantListener::kOtlpHttp));
  if (!otlp_http.ok()) return fail(otlp_http.status());
  m.otlp_http_server = *otlp_http;
  auto zipkin =
      m.Listen("zipkin", c.zipkin_addr, handlers(TenantListener::kZipkin), gateway(TenantListener::kZipkin));
  if (!zipkin.ok()) return fail(zipkin.status());
  m.zipkin_server = *zipkin;
  auto query =
      m.Listen("query", c.query_addr, handlers(TenantListener::kQuery), gateway(TenantListener::kQuery));
  if (!query.ok()) return fail(query.status());
  m.query_server = *query;
  if (!c.sampling_addr.empty()) {
    // Jaeger SDKs' remote sampler polls the agent port, 5778.
    auto sampling = m.Listen("sampling", c.sampling_addr, {m.sampling_api.get()});
    if (!sampling.ok()) return fail(sampling.status());
  }
  if (!c.tempo_addr.empty()) {
    // Grafana's Tempo data source on Tempo's own port (TraceQL search, trace by id).
    auto tempo =
        m.Listen("tempo", c.tempo_addr, handlers(TenantListener::kTempo), gateway(TenantListener::kTempo));
    if (!tempo.ok()) return fail(tempo.status());
  }

  collector::OtlpGrpcOptions go;
  go.address = c.otlp_grpc_addr;
  go.max_receive_message_bytes = c.max_request_bytes;
  if (m.tokens || m.tenants) {
    go.resolve_pipeline = [&m](const std::string* org_id,
                               const std::string* authorization) -> Result<std::shared_ptr<collector::SpanPipeline>> {
      AccessPolicy policy{m.config.multi_tenancy, m.tokens.get()};
      auto tenant = ResolveTenant(policy, org_id, authorization, AccessRole::kIngest);
      if (!tenant.ok()) return tenant.status();
      if (!m.tenants) return std::shared_ptr<collector::SpanPipeline>(std::shared_ptr<void>(), m.pipeline.get());
      auto stack = m.tenants->Get(*tenant);
      if (!stack.ok()) return stack.status();
      collector::SpanPipeline* p = (*stack)->pipeline();
      return std::shared_ptr<collector::SpanPipeline>(std::move(stack).value(), p);
    };
  }
  auto tls_cert = ReadPem("--tls-cert", c.tls_cert);
  auto tls_key = ReadPem("--tls-key", c.tls_key);
  auto tls_ca = ReadPem("--tls-client-ca", c.tls_client_ca);
  for (auto* r : {&tls_cert, &tls_key, &tls_ca}) {
    if (!r->ok()) return fail(r->status());
  }
  go.tls_cert_pem = *tls_cert;
  go.tls_key_pem = *tls_key;
  go.tls_client_ca_pem = *tls_ca;
  m.otlp_grpc = std::make_unique<collector::OtlpGrpcReceiver>(m.pipeline.get(), limits, go);
  if (auto st = m.otlp_grpc->Start(); !st.ok()) return fail(st);

  m.admin->SetReady(true);
  spdlog::info("ready{}: OTLP gRPC {}, OTLP HTTP {}, Zipkin {}, query+UI {}, admin {}",
               c.tls_cert.empty() ? "" : " (TLS)", c.otlp_grpc_addr,
               c.otlp_http_addr, c.zipkin_addr, c.query_addr, c.admin_addr);
  return Status::Ok();
}

Status AllInOne::StartAccessControl() {
  Impl& m = *impl_;
  const ServerConfig& c = m.config;
  auto& h = m.single_tenant_handlers;
  h[static_cast<int>(TenantListener::kOtlpHttp)] = {m.otlp_http.get(), m.sampling_api.get()};
  h[static_cast<int>(TenantListener::kZipkin)] = {m.zipkin_ingest.get(), m.queries.zipkin.get()};
  h[static_cast<int>(TenantListener::kQuery)] = m.queries.QueryPort();
  h[static_cast<int>(TenantListener::kQuery)].push_back(m.ui.get());
  h[static_cast<int>(TenantListener::kTempo)] = m.queries.TempoPort();
  for (int l = 0; l < static_cast<int>(TenantListener::kCount); ++l) m.listener_handlers[l] = h[l];
  if (c.tls_cert.empty() != c.tls_key.empty()) return Status::InvalidArgument("TLS needs both --tls-cert and --tls-key");
  if (!c.tls_client_ca.empty() && c.tls_cert.empty()) {
    return Status::InvalidArgument("--tls-client-ca needs --tls-cert and --tls-key");
  }
  if (!c.auth_tokens_file.empty()) {
    auto tokens = TokenAuthenticator::Open(c.auth_tokens_file);
    if (!tokens.ok()) return Status::InvalidArgument("--auth-tokens-file: " + tokens.status().message());
    m.tokens = std::move(tokens).value();
    spdlog::info("bearer-token authentication on: {} tokens from {}", m.tokens->size(), c.auth_tokens_file);
  }
  if (c.multi_tenancy) {
    if (c.storage != "embedded") return Status::InvalidArgument("--multi-tenancy works with --storage embedded only");
    if (!c.tail_sampling_policy_file.empty()) {
      return Status::InvalidArgument("--multi-tenancy cannot be combined with --tail-sampling-policy-file yet");
    }
    auto retention = query::ParseDuration(c.retention);
    TenantStackOptions to;
    to.tenants_dir = (std::filesystem::path(c.data_dir) / "tenants").string();
    auto so = EmbeddedStoreOptionsFrom(c);
    if (!so.ok()) return so.status();
    to.store = *so;
    // Every open tenant has its own memtable: share the configured budget.
    to.store.memtable_max_bytes = std::max<uint64_t>(4ull << 20, c.memtable_bytes / std::max<uint32_t>(1, c.max_open_tenants));
    to.store.max_disk_bytes = c.tenant_max_disk_bytes;
    to.retention_ns = *retention;
    auto qo = QueryOptions(c);
    if (!qo.ok()) return qo.status();
    to.query = *qo;
    to.limits.max_attributes_per_span = c.max_attributes_per_span;
    to.limits.max_attribute_value_bytes = c.max_attribute_value_bytes;
    to.max_request_bytes = c.max_request_bytes;
    to.ingest_spans_per_second = c.tenant_ingest_rate;
    to.ingest_burst_spans = c.tenant_ingest_burst;
    to.metrics = &m.metrics;
    to.clock_ns = WallClockNanos;
    m.tenants = std::make_unique<TenantRegistry>(std::move(to), c.max_open_tenants);
    spdlog::info("multi-tenancy on: tenants in {}/tenants, tenant from X-Scope-OrgID", c.data_dir);
  } else if (c.tenant_ingest_rate > 0 || c.tenant_max_disk_bytes > 0) {
    spdlog::warn("--tenant-ingest-rate and --tenant-max-disk-bytes apply with --multi-tenancy only; use "
                 "--max-disk-bytes for the single store");
  }
  if (!m.tokens && !m.tenants) return Status::Ok();  // open, as without these flags

  AccessPolicy policy{c.multi_tenancy, m.tokens.get()};
  for (int l = 0; l < static_cast<int>(TenantListener::kCount); ++l) {
    TenantLookup lookup;
    if (m.tenants) {
      lookup = [&m, l](const std::string& tenant) -> Result<TenantHandlers> {
        auto stack = m.tenants->Get(tenant);
        if (!stack.ok()) return stack.status();
        const auto* handlers = &(*stack)->handlers(static_cast<TenantListener>(l));
        return TenantHandlers{std::move(stack).value(), handlers};
      };
    } else {
      lookup = [&m, l](const std::string&) -> Result<TenantHandlers> {
        return TenantHandlers{nullptr, &m.single_tenant_handlers[l]};
      };
    }
    std::vector<HttpHandler*> open;
    std::function<bool(const HttpRequest&)> is_open;
    if (l == static_cast<int>(TenantListener::kOtlpHttp)) {
      open = {m.sampling_api.get()};
      is_open = IsSamplingPath;
    } else if (l == static_cast<int>(TenantListener::kQuery)) {
      open = {m.ui.get()};
      is_open = IsUiPath;
    }
    m.gateways.push_back(std::make_unique<TenantGateway>(policy, std::move(lookup), std::move(open), std::move(is_open)));
    m.listener_handlers[l] = {m.gateways.back().get()};
  }
  return Status::Ok();
}

Status AllInOne::StartSampling() {
  Impl& m = *impl_;
  const ServerConfig& c = m.config;
  sampling::LoadShedderOptions lo;
  lo.memory_limit_bytes = c.memory_limit_bytes;
  m.shedder = std::make_unique<sampling::LoadShedder>(lo, &m.metrics);
  if (!c.sampling_strategies_file.empty()) {
    m.strategies_file = std::make_unique<sampling::StrategiesFile>(c.sampling_strategies_file);
    if (auto st = m.strategies_file->Load(); !st.ok()) {
      return Status::InvalidArgument("--sampling-strategies-file " + c.sampling_strategies_file + ": " + st.message());
    }
  }
  if (c.adaptive_sampling) {
    sampling::AdaptiveSamplerOptions ao;
    ao.target_traces_per_second = c.adaptive_target_tps;
    m.adaptive = std::make_unique<sampling::AdaptiveSampler>(ao, &m.metrics);
    m.pipeline->AddObserver([a = m.adaptive.get()](const model::SpanBatch& b) { a->Observe(b); });
  }
  sampling::SamplingApiOptions so;
  so.default_strategy.probability = c.default_sampling_probability;
  m.sampling_api =
      std::make_unique<sampling::SamplingApi>(so, m.strategies_file.get(), m.adaptive.get(),
                                              c.shed_load ? m.shedder.get() : nullptr);

  sampling::TailSampler* tail = nullptr;
  if (!c.tail_sampling_policy_file.empty()) {
    std::ifstream in(c.tail_sampling_policy_file);
    if (!in) return Status::InvalidArgument("--tail-sampling-policy-file: cannot read " + c.tail_sampling_policy_file);
    std::stringstream text;
    text << in.rdbuf();
    auto policies = sampling::ParseTailPolicies(text.str());
    if (!policies.ok()) return Status::InvalidArgument("--tail-sampling-policy-file: " + policies.status().message());
    auto set = sampling::TailPolicySet::Create(std::move(policies).value());
    if (!set.ok()) return Status::InvalidArgument("--tail-sampling-policy-file: " + set.status().message());
    auto wait = query::ParseDuration(c.tail_decision_wait);
    if (!wait.ok()) return Status::InvalidArgument("--tail-decision-wait: " + wait.status().message());
    sampling::TailSamplerOptions to;
    to.decision_wait_ns = *wait;
    to.max_buffered_spans = c.tail_max_buffered_spans;
    m.tail = std::make_unique<sampling::TailSampler>(
        to, std::move(set).value(), [store = m.store.get()](const model::SpanBatch& b) { return store->Write(b); },
        c.shed_load ? m.shedder.get() : nullptr, &m.metrics);
    m.tail->Start();
    tail = m.tail.get();
    spdlog::info("tail-based sampling on ({}), decision wait {}", c.tail_sampling_policy_file, c.tail_decision_wait);
  }
  m.pipeline->EnableSampling(tail, c.shed_load ? m.shedder.get() : nullptr);
  return Status::Ok();
}

void AllInOne::Stop() {
  Impl& m = *impl_;
  if (m.admin) m.admin->SetReady(false);
  if (m.otlp_grpc) m.otlp_grpc->Stop();
  for (auto& s : m.servers) s->Stop();
  m.servers.clear();
  if (m.tail) {
    // Decide and write what the tail sampler holds before the store closes.
    m.tail->Stop();
    m.tail->Flush();
    m.tail.reset();
  }
  m.otlp_http_server = m.zipkin_server = m.query_server = m.admin_server = nullptr;
  if (m.tenants) m.tenants->CloseAll();  // flushes every tenant's store
  if (m.store) {
    if (auto st = m.store->Flush(); !st.ok()) spdlog::error("flushing the store: {}", st.ToString());
    m.store.reset();
  }
  if (m.span_metrics) {
    if (auto st = m.span_metrics->FlushAll(); !st.ok()) spdlog::error("flushing span metrics: {}", st.ToString());
    m.span_metrics.reset();
  }
}

uint16_t AllInOne::otlp_http_port() const { return impl_->otlp_http_server ? impl_->otlp_http_server->port() : 0; }
int AllInOne::otlp_grpc_port() const { return impl_->otlp_grpc ? impl_->otlp_grpc->port() : 0; }
uint16_t AllInOne::zipkin_port() const { return impl_->zipkin_server ? impl_->zipkin_server->port() : 0; }
uint16_t AllInOne::query_port() const { return impl_->query_server ? impl_->query_server->port() : 0; }
uint16_t AllInOne::admin_port() const { return impl_->admin_server ? impl_->admin_server->port() : 0; }

}  // namespace tracery::server
