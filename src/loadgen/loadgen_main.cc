// tracery-loadgen: the project's own load generator.
//
//   tracery-loadgen ingest --endpoint http://127.0.0.1:4318 --protocol http --rate 0 --duration 30s
//   tracery-loadgen query  --endpoint http://127.0.0.1:16686 --ids ids.txt --requests 2000
//
// `ingest` synthesises realistic traffic (TraceSynthesizer), pre-encodes a
// pool of OTLP ExportTraceServiceRequests once, and replays it with fresh
// trace ids and current timestamps patched into the encoded bytes, so the
// sender spends its CPU on sending rather than encoding. It reports what was
// acknowledged. `query` measures trace-by-id and search latency.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "ingest/otlp_protobuf.h"
#include "loadgen/trace_synthesizer.h"

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace tracery::loadgen {
namespace {

uint64_t NowUnixNanos() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// One pre-encoded request and where its trace ids and timestamps sit.
struct EncodedRequest {
  std::string bytes;
  size_t spans = 0;
  std::vector<uint32_t> trace_id_offsets;   // 16-byte ids (spans and links)
  std::vector<uint32_t> timestamp_offsets;  // fixed64 little-endian nanos
  std::vector<model::TraceId> trace_ids;
  std::vector<uint32_t> trace_span_counts;  // spans of trace_ids[i] in this request
};

uint64_t LoadLE64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Finds, in one pass, every fixed64 span/event timestamp and every 16-byte
// trace id of `batch` inside its encoding.
void IndexOffsets(const model::SpanBatch& batch, EncodedRequest* req) {
  std::unordered_set<uint64_t> times;
  std::unordered_set<uint64_t> id_prefixes;
  for (const auto& s : batch.spans) {
    times.insert(s.start_time_unix_nano);
    times.insert(s.end_time_unix_nano);
    for (const auto& e : s.events) times.insert(e.time_unix_nano);
    uint64_t p;
    std::memcpy(&p, s.trace_id.bytes.data(), 8);
    id_prefixes.insert(p);
  }
  const std::string& b = req->bytes;
  for (size_t i = 0; i + 9 <= b.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(b[i]);
    // Span.start (field 7) / Span.end (field 8) / Event.time (field 1): fixed64.
    if ((c == 0x39 || c == 0x41 || c == 0x09) && times.count(LoadLE64(&b[i + 1]))) {
      req->timestamp_offsets.push_back(static_cast<uint32_t>(i + 1));
      i += 8;
      continue;
    }
    // trace_id: tag 0x0a (field 1, length-delimited), length 16.
    if (c == 0x0a && i + 18 <= b.size() && static_cast<unsigned char>(b[i + 1]) == 16 &&
        id_prefixes.count(LoadLE64(&b[i + 2]))) {
      req->trace_id_offsets.push_back(static_cast<uint32_t>(i + 2));
      i += 17;
    }
  }
}

std::vector<EncodedRequest> BuildPool(const SynthesizerOptions& so, size_t pool_traces, size_t spans_per_request,
                                      uint64_t base_ns) {
  TraceSynthesizer synth(so);
  std::vector<EncodedRequest> pool;
  model::SpanBatch current;
  std::vector<model::TraceId> ids;
  std::vector<uint32_t> counts;
  auto flush = [&] {
    if (current.spans.empty()) return;
    EncodedRequest req;
    // One ResourceSpans per service, as a collector forwarding traffic sends.
    model::SpanBatch grouped;
    for (auto& part : TraceSynthesizer::SplitByService(current))
      for (const auto& s : part.spans) grouped.AppendFrom(part, s);
    req.bytes = ingest::EncodeOtlpProtobuf(grouped);
    req.spans = grouped.spans.size();
    req.trace_ids = ids;
    req.trace_span_counts = counts;
    IndexOffsets(grouped, &req);
    pool.push_back(std::move(req));
    current = model::SpanBatch();
    ids.clear();
    counts.clear();
  };
  for (size_t t = 0; t < pool_traces; ++t) {
    // Spread trace starts over the last minute.
    const size_t spans_before = current.spans.size();
    ids.push_back(synth.AppendTrace(base_ns - (pool_traces - t) * 60'000'000'000ull / pool_traces, &current));
    counts.push_back(static_cast<uint32_t>(current.spans.size() - spans_before));
    if (current.spans.size() >= spans_per_request) flush();
  }
  flush();
  return pool;
}

// Rewrites a copy of `req` for replay `round`: trace ids XORed with a
// round-specific key, timestamps shifted by `shift_ns`.
void Patch(const EncodedRequest& req, uint64_t round, uint64_t shift_ns, std::string* out) {
  *out = req.bytes;
  uint64_t key = (round + 1) * 0x9E3779B97F4A7C15ULL;
  for (uint32_t off : req.trace_id_offsets) {
    uint64_t v = LoadLE64(&(*out)[off]) ^ key;
    std::memcpy(&(*out)[off], &v, 8);
  }
  for (uint32_t off : req.timestamp_offsets) {
    uint64_t v = LoadLE64(&(*out)[off]) + shift_ns;
    std::memcpy(&(*out)[off], &v, 8);
  }
}

model::TraceId PatchedId(const model::TraceId& id, uint64_t round) {
  model::TraceId out = id;
  uint64_t v;
  std::memcpy(&v, out.bytes.data(), 8);
  v ^= (round + 1) * 0x9E3779B97F4A7C15ULL;
  std::memcpy(out.bytes.data(), &v, 8);
  return out;
}

struct Endpoint {
  std::string host;
  std::string port;
  std::string path_prefix;
};

bool ParseEndpoint(const std::string& url, Endpoint* ep) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  ep->path_prefix = slash == std::string::npos ? "" : rest.substr(slash);
  while (!ep->path_prefix.empty() && ep->path_prefix.back() == '/') ep->path_prefix.pop_back();
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) return false;
  ep->host = hostport.substr(0, colon);
  ep->port = hostport.substr(colon + 1);
  return !ep->host.empty() && !ep->port.empty();
}

// A keep-alive HTTP/1.1 client connection (reconnects on failure).
class HttpConnection {
 public:
  explicit HttpConnection(Endpoint ep) : ep_(std::move(ep)) { stream_.emplace(ioc_); }

  // Returns the HTTP status, or -1 on a transport error.
  int Request(http::verb verb, const std::string& target, const std::string& body, const char* content_type,
              std::string* response_body = nullptr) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!connected_) {
          asio::ip::tcp::resolver resolver(ioc_);
          stream_->connect(resolver.resolve(ep_.host, ep_.port));
          stream_->socket().set_option(asio::ip::tcp::no_delay(true));
          connected_ = true;
        }
        http::request<http::string_body> req{verb, target, 11};
        req.set(http::field::host, ep_.host);
        if (content_type) req.set(http::field::content_type, content_type);
        req.keep_alive(true);
        req.body() = body;
        req.prepare_payload();
        http::write(*stream_, req);
        beast::flat_buffer buf;
        http::response_parser<http::string_body> parser;
        parser.body_limit(1ull << 30);
        http::read(*stream_, buf, parser);
        auto& res = parser.get();
        if (response_body) *response_body = std::move(res.body());
        if (!res.keep_alive()) Reset();
        return static_cast<int>(res.result_int());
      } catch (const std::exception&) {
        Reset();
      }
    }
    return -1;
  }

 private:
  void Reset() {
    beast::error_code ec;
    stream_->socket().close(ec);
    stream_.emplace(ioc_);
    connected_ = false;
  }
  Endpoint ep_;
  asio::io_context ioc_;
  std::optional<beast::tcp_stream> stream_;
  bool connected_ = false;
};

struct Stats {
  std::atomic<uint64_t> requests{0}, acked_spans{0}, refused_spans{0}, failed_spans{0}, sent_spans{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
};

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  return v[idx];
}

int RunIngest(const std::string& endpoint, const std::string& protocol, double rate, double duration_s,
              int connections, const SynthesizerOptions& so, size_t pool_traces, size_t spans_per_request,
              const std::string& ids_file, double ids_share, const std::string& span_counts_file) {
  uint64_t base_ns = NowUnixNanos();
  auto t0 = Clock::now();
  std::vector<EncodedRequest> pool = BuildPool(so, pool_traces, spans_per_request, base_ns);
  size_t pool_spans = 0, pool_bytes = 0;
  for (auto& r : pool) pool_spans += r.spans, pool_bytes += r.bytes.size();
  std::cerr << "loadgen: pool of " << pool.size() << " requests, " << pool_spans << " spans, "
            << pool_bytes / std::max<size_t>(pool_spans, 1) << " OTLP bytes/span, built in "
            << std::chrono::duration<double>(Clock::now() - t0).count() << " s\n";

  Endpoint ep;
  std::string grpc_target;
  if (protocol == "http") {
    if (!ParseEndpoint(endpoint, &ep)) {
      std::cerr << "loadgen: --endpoint must look like http://host:port, got " << endpoint << "\n";
      return 2;
    }
  } else {
    grpc_target = endpoint.rfind("http://", 0) == 0 ? endpoint.substr(7) : endpoint;
  }

  Stats stats;
  std::atomic<uint64_t> next_request{0};
  std::ofstream ids_out;
  std::mutex ids_mu;
  if (!ids_file.empty()) ids_out.open(ids_file);
  std::ofstream counts_out;
  if (!span_counts_file.empty()) counts_out.open(span_counts_file);
  auto deadline = Clock::now() + std::chrono::duration<double>(duration_s);
  auto start = Clock::now();
  double per_conn_rate = rate > 0 ? rate / connections : 0;

  auto worker = [&](int index) {
    std::unique_ptr<HttpConnection> conn;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<grpc::GenericStub> stub;
    if (protocol == "http") {
      conn = std::make_unique<HttpConnection>(ep);
    } else {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", index);  // separate connections
      args.SetMaxSendMessageSize(64 << 20);
      channel = grpc::CreateCustomChannel(grpc_target, grpc::InsecureChannelCredentials(), args);
      stub = std::make_unique<grpc::GenericStub>(channel);
    }
    std::string body;
    auto next_send = Clock::now();
    std::vector<double> lat;
    while (Clock::now() < deadline) {
      uint64_t n = next_request.fetch_add(1);
      const EncodedRequest& req = pool[n % pool.size()];
      uint64_t round = n / pool.size();
      Patch(req, round, NowUnixNanos() - base_ns, &body);
      if (per_conn_rate > 0) {
        std::this_thread::sleep_until(next_send);
        next_send += std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(static_cast<double>(req.spans) / per_conn_rate));
      }
      auto t = Clock::now();
      bool ok = false, refused = false;
      if (conn) {
        int status = conn->Request(http::verb::post, ep.path_prefix + "/v1/traces", body, "application/x-protobuf");
        ok = status == 200;
        refused = status == 429 || status == 503;
      } else {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        grpc::Slice slice(body);
        grpc::ByteBuffer request(&slice, 1), response;
        std::promise<grpc::Status> done;
        stub->UnaryCall(&ctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", grpc::StubOptions(),
                        &request, &response, [&](grpc::Status s) { done.set_value(s); });
        grpc::Status st = done.get_future().get();
        ok = st.ok();
        refused = st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                  st.error_code() == grpc::StatusCode::UNAVAILABLE;
      }
      lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
      stats.requests++;
      stats.sent_spans += req.spans;
      if (ok) {
        stats.acked_spans += req.spans;
        if (ids_out.is_open() && ids_share > 0) {
          std::lock_guard<std::mutex> lock(ids_mu);
          size_t every = static_cast<size_t>(std::max(1.0, 1.0 / ids_share));
          for (size_t i = 0; i < req.trace_ids.size(); i += every)
            ids_out << PatchedId(req.trace_ids[i], round).ToHex() << "\n";
        }
        if (counts_out.is_open()) {
          std::lock_guard<std::mutex> lock(ids_mu);
          for (size_t i = 0; i < req.trace_ids.size(); ++i)
            counts_out << PatchedId(req.trace_ids[i], round).ToHex() << " " << req.trace_span_counts[i] << "\n";
        }
      } else if (refused) {
        stats.refused_spans += req.spans;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      } else {
        stats.failed_spans += req.spans;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    std::lock_guard<std::mutex> lock(stats.mu);
    stats.latencies_ms.insert(stats.latencies_ms.end(), lat.begin(), lat.end());
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i) threads.emplace_back(worker, i);
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "{\"protocol\":\"%s\",\"seconds\":%.2f,\"requests\":%llu,\"sent_spans\":%llu,\"acked_spans\":%llu,"
      "\"refused_spans\":%llu,\"failed_spans\":%llu,\"acked_spans_per_s\":%.0f,\"otlp_bytes_per_span\":%.1f,"
      "\"request_latency_ms\":{\"p50\":%.2f,\"p99\":%.2f}}\n",
      protocol.c_str(), elapsed, (unsigned long long)stats.requests.load(),
      (unsigned long long)stats.sent_spans.load(), (unsigned long long)stats.acked_spans.load(),
      (unsigned long long)stats.refused_spans.load(), (unsigned long long)stats.failed_spans.load(),
      static_cast<double>(stats.acked_spans.load()) / elapsed,
      static_cast<double>(pool_bytes) / static_cast<double>(std::max<size_t>(pool_spans, 1)),
      Percentile(stats.latencies_ms, 0.5), Percentile(stats.latencies_ms, 0.99));
  return stats.failed_spans.load() > 0 && stats.acked_spans.load() == 0 ? 1 : 0;
}

int RunQuery(const std::string& endpoint, const std::string& ids_file, int requests,
             const std::vector<std::string>& searches) {
  Endpoint ep;
  if (!ParseEndpoint(endpoint, &ep)) {
    std::cerr << "loadgen: --endpoint must look like http://host:port\n";
    return 2;
  }
  std::vector<std::string> ids;
  std::ifstream in(ids_file);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ids.push_back(line);
  HttpConnection conn(ep);
  std::mt19937_64 rng(7);
  auto measure = [&](const std::string& name, int n, const std::function<std::string()>& target) {
    std::vector<double> lat;
    int bad = 0;
    for (int i = 0; i < n; ++i) {
      auto t = Clock::now();
      std::string body;
      int status = conn.Request(http::verb::get, target(), "", nullptr, &body);
      lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
      if (status != 200) bad++;
    }
    std::printf("{\"query\":\"%s\",\"requests\":%d,\"non_200\":%d,\"p50_ms\":%.2f,\"p95_ms\":%.2f,\"p99_ms\":%.2f}\n",
                name.c_str(), n, bad, Percentile(lat, 0.5), Percentile(lat, 0.95), Percentile(lat, 0.99));
  };
  if (!ids.empty()) {
    measure("trace_by_id", requests, [&] { return ep.path_prefix + "/api/traces/" + ids[rng() % ids.size()]; });
  }
  for (const auto& s : searches) {
    measure("search " + s, std::max(1, requests / 10), [&] { return ep.path_prefix + "/api/traces?" + s; });
  }
  return 0;
}

}  // namespace
}  // namespace tracery::loadgen

int main(int argc, char** argv) {
  using namespace tracery::loadgen;
  CLI::App app{"tracery-loadgen: realistic trace traffic and query load for Tracery"};
  app.require_subcommand(1);

  auto* ingest = app.add_subcommand("ingest", "Send synthetic OTLP traffic and report what was acknowledged");
  std::string endpoint = "http://127.0.0.1:4318", protocol = "http", ids_file, span_counts_file;
  double rate = 0, duration_s = 10, ids_share = 0.001;
  int connections = 4;
  size_t pool_traces = 20000, spans_per_request = 512;
  SynthesizerOptions so;
  ingest->add_option("--endpoint", endpoint, "OTLP endpoint (http://host:4318 or host:4317 for grpc)");
  ingest->add_option("--protocol", protocol, "http or grpc")->check(CLI::IsMember({"http", "grpc"}));
  ingest->add_option("--rate", rate, "Spans per second to offer; 0 = as fast as acknowledged");
  ingest->add_option("--duration", duration_s, "Seconds to run");
  ingest->add_option("--connections", connections, "Concurrent connections");
  ingest->add_option("--services", so.services, "Services in the synthetic topology (2-1000)");
  ingest->add_option("--min-spans", so.min_spans_per_trace, "Smallest trace");
  ingest->add_option("--max-spans", so.max_spans_per_trace, "Largest trace");
  ingest->add_option("--error-rate", so.error_rate, "Share of traces with an error");
  ingest->add_option("--seed", so.seed, "Random seed");
  ingest->add_option("--pool-traces", pool_traces, "Distinct traces pre-encoded and replayed with fresh ids");
  ingest->add_option("--batch-spans", spans_per_request, "Spans per export request");
  ingest->add_option("--save-ids", ids_file, "Append a sample of acknowledged trace ids to this file");
  ingest->add_option("--save-ids-share", ids_share, "Share of acknowledged trace ids saved");
  ingest->add_option("--save-span-counts", span_counts_file,
                     "Write 'trace-id span-count' for every acknowledged trace to this file (completeness checks)");

  auto* query = app.add_subcommand("query", "Measure trace-by-id and search latency");
  std::string qendpoint = "http://127.0.0.1:16686";
  int requests = 1000;
  std::vector<std::string> searches;
  query->add_option("--endpoint", qendpoint, "Query API base URL");
  query->add_option("--ids", ids_file, "File of trace ids (from ingest --save-ids)");
  query->add_option("--requests", requests, "Trace-by-id requests (searches run a tenth as many)");
  query->add_option("--search", searches, "Search query strings, e.g. 'service=frontend&lookback=1h&limit=20'");

  CLI11_PARSE(app, argc, argv);
  if (*ingest) {
    return RunIngest(endpoint, protocol, rate, duration_s, std::max(1, connections), so, pool_traces,
                     spans_per_request, ids_file, ids_share, span_counts_file);
  }
  return RunQuery(qendpoint, ids_file, requests, searches);
}
