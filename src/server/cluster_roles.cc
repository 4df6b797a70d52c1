#include "server/cluster_roles.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analysis/analysis_api.h"
#include "cluster/forward_receiver.h"
#include "cluster/membership.h"
#include "cluster/peer_client.h"
#include "cluster/span_router.h"
#include "cluster/wal_staged_store.h"
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
#include "sampling/load_shedder.h"
#include "sampling/tail_policies.h"
#include "sampling/tail_sampler.h"
#include "server/admin_handler.h"
#include "server/http_server.h"
#include "server/server_options.h"
#include "server/query_handlers.h"
#include "server/static_files.h"
#include "storage/clickhouse/clickhouse_store.h"
#include "storage/embedded_store.h"
#include "traceql/tempo_api.h"

namespace tracery::server {

void AddClusterFlags(CLI::App* cmd, ClusterConfig* c) {
  cmd->add_option("--cluster-self", c->self, "This collector's cluster address host:port, as peers reach it")
      ->envname("TRACERY_CLUSTER_SELF");
  cmd->add_option("--cluster-members", c->members, "Collectors of the cluster: host:port,host:port,...")
      ->envname("TRACERY_CLUSTER_MEMBERS");
  cmd->add_option("--cluster-dns", c->dns, "DNS name whose A records are the collectors (NAME or NAME:PORT)")
      ->envname("TRACERY_CLUSTER_DNS");
  cmd->add_option("--cluster-listen-addr", c->listen_addr, "Cluster port listen address (default 0.0.0.0:<self port>)");
  cmd->add_option("--cluster-wal-dir", c->wal_dir, "Staging WAL directory (default <data-dir>/staging-wal)");
  cmd->add_option("--cluster-check-interval-ms", c->check_interval_ms, "Health check period per member");
  cmd->add_option("--cluster-failures-to-leave", c->failures_to_leave, "Failed checks before a member leaves the ring");
}

namespace {



struct Listeners {
  std::vector<std::unique_ptr<HttpServer>> servers;
  Status Listen(const ServerConfig& c, const std::string& name, const std::string& addr,
                std::vector<HttpHandler*> handlers) {
    auto o = ListenOptions(name, addr, c);
    if (!o.ok()) return o.status();
    if (name == "cluster-listen") {
      // Collector-to-collector forwarding speaks plaintext HTTP (a private
      // network between the collectors; docs/cluster.md).
      o->tls_cert_file.clear();
      o->tls_key_file.clear();
      o->tls_client_ca_file.clear();
    }
    auto server = std::make_unique<HttpServer>(*o, std::move(handlers));
    TRACERY_RETURN_IF_ERROR(server->Start());
    servers.push_back(std::move(server));
    return Status::Ok();
  }
  void StopAll() {
    for (auto& s : servers) s->Stop();
    servers.clear();
  }
};

}  // namespace

// ---------------------------------------------------------------- collector

struct CollectorRole::Impl {
  ServerConfig config;
  ClusterConfig cluster;
  MetricsRegistry& metrics = MetricsRegistry::Global();
  std::unique_ptr<storage::SpanStore> store;
  std::unique_ptr<sampling::LoadShedder> shedder;
  std::unique_ptr<sampling::TailSampler> tail;
  std::unique_ptr<cluster::PeerClient> peers;
  std::unique_ptr<cluster::Membership> membership;
  std::unique_ptr<cluster::SpanRouter> router;
  std::unique_ptr<collector::SpanPipeline> pipeline;        // receivers: routes
  std::unique_ptr<collector::SpanPipeline> local_pipeline;  // forwarded by peers: no routing
  std::unique_ptr<cluster::ForwardReceiver> forward_receiver;
  std::unique_ptr<collector::OtlpHttpReceiver> otlp_http;
  std::unique_ptr<collector::ZipkinHttpReceiver> zipkin;
  std::unique_ptr<collector::OtlpGrpcReceiver> otlp_grpc;
  std::unique_ptr<AdminHandler> admin;
  Listeners listeners;

  Status StartTailSampling();
};

CollectorRole::CollectorRole(ServerConfig config, ClusterConfig cluster) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->cluster = std::move(cluster);
}
CollectorRole::~CollectorRole() { Stop(); }

Status CollectorRole::Impl::StartTailSampling() {
  const ServerConfig& c = config;
  if (c.tail_sampling_policy_file.empty()) return Status::Ok();
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
  tail = std::make_unique<sampling::TailSampler>(
      to, std::move(set).value(), [s = store.get()](const model::SpanBatch& b) { return s->Write(b); }, shedder.get(),
      &metrics);
  tail->Start();
  return Status::Ok();
}

Status CollectorRole::Start() {
  Impl& m = *impl_;
  const ServerConfig& c = m.config;
  const ClusterConfig& cc = m.cluster;
  auto fail = [&](Status st) {
    Stop();
    return st;
  };

  auto inner = OpenStore(c, /*on_cluster_ddl=*/false);
  if (!inner.ok()) return inner.status();
  cluster::WalStagedStoreOptions wo;
  wo.dir = cc.wal_dir.empty() ? (std::filesystem::path(c.data_dir) / "staging-wal").string() : cc.wal_dir;
  auto staged = cluster::WalStagedStore::Open(wo, std::move(inner).value());
  if (!staged.ok()) return Status(staged.status().code(), "staging WAL in " + wo.dir + ": " + staged.status().message());
  m.store = std::move(staged).value();

  sampling::LoadShedderOptions lo;
  lo.memory_limit_bytes = c.memory_limit_bytes;
  m.shedder = std::make_unique<sampling::LoadShedder>(lo, &m.metrics);
  if (auto st = m.StartTailSampling(); !st.ok()) return fail(st);
  m.pipeline = std::make_unique<collector::SpanPipeline>(m.store.get(), &m.metrics);
  m.pipeline->EnableSampling(m.tail.get(), m.shedder.get());
  m.local_pipeline = std::make_unique<collector::SpanPipeline>(m.store.get(), &m.metrics);
  m.local_pipeline->EnableSampling(m.tail.get(), m.shedder.get());

  if (!cc.self.empty()) {
    cluster::MembershipOptions mo;
    mo.self = cc.self;
    auto members = cluster::ParseMemberList(cc.members);
    if (!members.ok()) return fail(Status::InvalidArgument("--cluster-members: " + members.status().message()));
    auto self_ok = cluster::ParseMemberList(cc.self);
    if (!self_ok.ok() || self_ok->size() != 1) {
      return fail(Status::InvalidArgument("--cluster-self: expected host:port, got '" + cc.self + "'"));
    }
    mo.static_members = *members;
    mo.dns_name = cc.dns;
    mo.check_interval_ms = cc.check_interval_ms;
    mo.failures_to_leave = cc.failures_to_leave;
    m.peers = std::make_unique<cluster::PeerClient>();
    m.membership = std::make_unique<cluster::Membership>(
        mo, [p = m.peers.get()](const std::string& member) { return p->Healthy(member); }, cluster::ResolveARecords,
        &m.metrics);
    cluster::SpanRouterOptions ro;
    if (auto wait = query::ParseDuration(c.tail_decision_wait); wait.ok()) {
      ro.recently_owned_ttl_ms = *wait / 1'000'000 + 5'000;
    }
    m.router = std::make_unique<cluster::SpanRouter>(ro, m.membership.get(), m.peers.get(), &m.metrics);
    m.pipeline->SetRouter([r = m.router.get()](model::SpanBatch* b) { return r->Route(b); });
    m.forward_receiver = std::make_unique<cluster::ForwardReceiver>(m.local_pipeline.get(), m.router.get());
    std::string listen = cc.listen_addr;
    if (listen.empty()) listen = "0.0.0.0:" + cc.self.substr(cc.self.rfind(':') + 1);
    if (auto st = m.listeners.Listen(c, "cluster-listen", listen, {m.forward_receiver.get()}); !st.ok()) return fail(st);
  } else if (!cc.members.empty() || !cc.dns.empty()) {
    return fail(Status::InvalidArgument("--cluster-members/--cluster-dns need --cluster-self (this collector's address)"));
  }

  ingest::IngestLimits limits;
  limits.max_attributes_per_span = c.max_attributes_per_span;
  limits.max_attribute_value_bytes = c.max_attribute_value_bytes;
  m.otlp_http = std::make_unique<collector::OtlpHttpReceiver>(m.pipeline.get(), limits, c.max_request_bytes);
  m.zipkin = std::make_unique<collector::ZipkinHttpReceiver>(m.pipeline.get(), limits, c.max_request_bytes);
  m.admin = std::make_unique<AdminHandler>(&m.metrics);
  m.metrics.AddGauge("tracery_staging_wal_bytes", "Acknowledged span bytes not yet in the storage backend",
                     [s = static_cast<cluster::WalStagedStore*>(m.store.get())] {
                       return static_cast<double>(s->staged_bytes());
                     });
  if (auto st = m.listeners.Listen(c, "admin", c.admin_addr, {m.admin.get()}); !st.ok()) return fail(st);
  if (auto st = m.listeners.Listen(c, "otlp-http", c.otlp_http_addr, {m.otlp_http.get()}); !st.ok()) return fail(st);
  if (auto st = m.listeners.Listen(c, "zipkin", c.zipkin_addr, {m.zipkin.get()}); !st.ok()) return fail(st);
  collector::OtlpGrpcOptions go;
  go.address = c.otlp_grpc_addr;
  go.max_receive_message_bytes = c.max_request_bytes;
  m.otlp_grpc = std::make_unique<collector::OtlpGrpcReceiver>(m.pipeline.get(), limits, go);
  if (auto st = m.otlp_grpc->Start(); !st.ok()) return fail(st);

  // Peers may forward to us from now on; then learn who is up.
  if (m.forward_receiver) m.forward_receiver->SetReady(true);
  if (m.membership) m.membership->Start();
  m.admin->SetReady(true);
  spdlog::info("collector ready: OTLP gRPC {}, OTLP HTTP {}, Zipkin {}, admin {}, cluster {}", c.otlp_grpc_addr,
               c.otlp_http_addr, c.zipkin_addr, c.admin_addr, cc.self.empty() ? "off" : cc.self);
  return Status::Ok();
}

void CollectorRole::Stop() {
  Impl& m = *impl_;
  if (m.admin) m.admin->SetReady(false);
  if (m.forward_receiver) m.forward_receiver->SetReady(false);
  if (m.otlp_grpc) m.otlp_grpc->Stop();
  m.listeners.StopAll();
  if (m.membership) m.membership->Stop();
  if (m.tail) {
    m.tail->Stop();
    m.tail->Flush();
    m.tail.reset();
  }
  if (m.store) {
    if (auto st = m.store->Flush(); !st.ok()) spdlog::warn("delivering the staging WAL: {}", st.ToString());
    m.store.reset();
  }
}

// ---------------------------------------------------------------- query

struct QueryRole::Impl {
  ServerConfig config;
  MetricsRegistry& metrics = MetricsRegistry::Global();
  std::unique_ptr<storage::SpanStore> store;
  QueryHandlers queries;
  std::unique_ptr<StaticFiles> ui;
  std::unique_ptr<AdminHandler> admin;
  Listeners listeners;
};

QueryRole::QueryRole(ServerConfig config) : impl_(std::make_unique<Impl>()) { impl_->config = std::move(config); }
QueryRole::~QueryRole() { Stop(); }

namespace {
std::vector<HttpHandler*> QueryPortWithUi(const QueryHandlers& q, HttpHandler* ui) {
  auto h = q.QueryPort();
  h.push_back(ui);
  return h;
}
}  // namespace

Status QueryRole::Start() {
  Impl& m = *impl_;
  const ServerConfig& c = m.config;
  auto store = OpenStore(c, /*on_cluster_ddl=*/false);
  if (!store.ok()) return store.status();
  m.store = std::move(store).value();
  auto fail = [&](Status st) {
    Stop();
    return st;
  };
  auto qo = QueryOptions(c);
  if (!qo.ok()) return fail(qo.status());
  // Ingest-time span metrics live on the collectors: the metrics routes answer 503 here.
  m.queries = QueryHandlers::Build(m.store.get(), nullptr, *qo, WallClockNanos);
  auto ui_dir = ResolveUiDir(c.ui_dir);
  m.ui = std::make_unique<StaticFiles>(ui_dir);
  if (!m.ui->available()) spdlog::warn("web UI not found in {}: build it with scripts/build", ui_dir.string());
  m.admin = std::make_unique<AdminHandler>(&m.metrics);
  if (auto st = m.listeners.Listen(c, "admin", c.admin_addr, {m.admin.get()}); !st.ok()) return fail(st);
  if (auto st = m.listeners.Listen(c, "query", c.query_addr,
                                   QueryPortWithUi(m.queries, m.ui.get()));
      !st.ok()) {
    return fail(st);
  }
  if (auto st = m.listeners.Listen(c, "zipkin", c.zipkin_addr, {m.queries.zipkin.get()}); !st.ok()) return fail(st);
  if (!c.tempo_addr.empty()) {
    if (auto st = m.listeners.Listen(c, "tempo", c.tempo_addr, m.queries.TempoPort()); !st.ok()) return fail(st);
  }
  m.admin->SetReady(true);
  spdlog::info("query ready: query+UI {}, Zipkin API {}, admin {}", c.query_addr, c.zipkin_addr, c.admin_addr);
  return Status::Ok();
}

void QueryRole::Stop() {
  Impl& m = *impl_;
  if (m.admin) m.admin->SetReady(false);
  m.listeners.StopAll();
  m.store.reset();
}

}  // namespace tracery::server
