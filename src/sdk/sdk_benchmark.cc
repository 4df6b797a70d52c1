// Figures for the SDK's hot paths. Run: build/bench/tracery_sdk_bench
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "otlp_encoder.h"
#include "propagation/header_grammar.h"
#include "otlp_exporters.h"
#include "span_record.h"
#include "tracery/propagation.h"
#include "tracery/sdk.h"

namespace {

tracery::sdk::SdkOptions BenchOptions() {
  tracery::sdk::SdkOptions o;
  // A queue deep enough that the benchmark loop never outruns the drain
  // thread (dropped_queue_full must stay 0, or the figure flatters us).
  o.batch.max_queue_size = 1 << 16;
  o.batch.max_export_batch_size = 512;
  o.batch.schedule_delay_ms = 10;
  return o;
}

// No exporter: the background thread drains and recycles records, so this
// measures the application-thread cost including the queue push.
void BM_SpanStartEndWithScope(benchmark::State& state) {
  tracery::TracerProvider provider(BenchOptions(), nullptr, tracery::MakeAlwaysOnSampler());
  tracery::Tracer tracer = provider.GetTracer("bench");
  for (auto _ : state) {
    tracery::Span span = tracer.StartSpan("operation");
    tracery::Scope scope(span);
    benchmark::DoNotOptimize(span.context());
  }
  state.counters["dropped_queue_full"] = static_cast<double>(provider.Stats().dropped_queue_full);
}
BENCHMARK(BM_SpanStartEndWithScope);

// What tracery::http::TraceServer / TraceClient pay per request to get
// their tracer (a provider with the shop's handful of scopes).
void BM_GetTracerExistingScope(benchmark::State& state) {
  tracery::TracerProvider provider(BenchOptions(), nullptr, tracery::MakeAlwaysOnSampler());
  for (const char* name : {"shop.datastore", "shop.payment", "tracery.http.client"}) provider.GetTracer(name);
  provider.GetTracer("tracery.http.server");
  for (auto _ : state) {
    tracery::Tracer tracer = provider.GetTracer("tracery.http.server");
    benchmark::DoNotOptimize(tracer);
  }
}
BENCHMARK(BM_GetTracerExistingScope);

void BM_UnsampledSpan(benchmark::State& state) {
  tracery::TracerProvider provider(BenchOptions(), nullptr,
                                   tracery::MakeParentBasedSampler(tracery::MakeAlwaysOffSampler()));
  tracery::Tracer tracer = provider.GetTracer("bench");
  for (auto _ : state) {
    tracery::Span span = tracer.StartSpan("operation");
    benchmark::DoNotOptimize(span.context());
  }
}
BENCHMARK(BM_UnsampledSpan);

// Spans as a service thread makes them for one request: a SERVER span with
// eight attributes and two CLIENT spans with four, after other work has
// pushed the SDK's records and code out of the caches (8 MB written between
// iterations, not timed). In the demo shop, perf puts most of the SDK's
// application-thread time on the first touches of recycled records; the
// hot-cache benchmarks above do not see that.
void BM_SpanBurstColdCache(benchmark::State& state) {
  tracery::TracerProvider provider(BenchOptions(), nullptr, tracery::MakeAlwaysOnSampler());
  tracery::Tracer tracer = provider.GetTracer("bench");
  std::vector<char> other_work(8 << 20);
  for (auto _ : state) {
    for (size_t i = 0; i < other_work.size(); i += 64) other_work[i]++;
    benchmark::ClobberMemory();
    const auto start = std::chrono::steady_clock::now();
    {
      tracery::Span server = tracer.StartSpan("GET /cart/{id}", tracery::SpanKind::kServer);
      tracery::Scope scope(server);
      server.SetAttribute("http.request.method", "GET");
      server.SetAttribute("url.path", "/cart/4f2a9c1e7b3d5a60");
      server.SetAttribute("http.route", "/cart/{id}");
      server.SetAttribute("server.address", "127.0.0.1");
      server.SetAttribute("user_agent.original", "tracery-demo-shop");
      server.SetAttribute("customer.tier", "gold");
      server.SetAttribute("session.id", "4f2a9c1e7b3d5a60");
      for (int call = 0; call < 2; ++call) {
        tracery::Span client = tracer.StartSpan("GET", tracery::SpanKind::kClient);
        client.SetAttribute("http.request.method", "GET");
        client.SetAttribute("server.address", "inventory");
        client.SetAttribute("url.full", "/stock/OLJCESPC7Z");
        client.SetAttribute("http.response.status_code", 200);
      }
      server.SetAttribute("http.response.status_code", 200);
    }
    const auto end = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
  }
  state.counters["dropped_queue_full"] = static_cast<double>(provider.Stats().dropped_queue_full);
}
BENCHMARK(BM_SpanBurstColdCache)->UseManualTime()->Iterations(3000);

void BM_SpanTenAttributes(benchmark::State& state) {
  tracery::TracerProvider provider(BenchOptions(), nullptr, tracery::MakeAlwaysOnSampler());
  tracery::Tracer tracer = provider.GetTracer("bench");
  for (auto _ : state) {
    tracery::Span span = tracer.StartSpan("operation");
    span.SetAttribute("http.request.method", "GET");
    span.SetAttribute("url.path", "/api/cart/items");
    span.SetAttribute("http.route", "/api/cart/{id}");
    span.SetAttribute("http.response.status_code", 200);
    span.SetAttribute("server.address", "cart.internal");
    span.SetAttribute("server.port", 8080);
    span.SetAttribute("user_agent.original", "curl/8.0");
    span.SetAttribute("cache.hit", true);
    span.SetAttribute("db.rows", int64_t{42});
    span.SetAttribute("load", 0.75);
  }
  state.counters["dropped_queue_full"] = static_cast<double>(provider.Stats().dropped_queue_full);
}
BENCHMARK(BM_SpanTenAttributes);

// A fixed two-slot carrier, so the figure is the propagator's cost rather than a map's.
class FixedCarrier final : public tracery::TextMapCarrier {
 public:
  std::string_view Get(std::string_view key) const override {
    if (key == "traceparent") return traceparent;
    return {};
  }
  void Set(std::string_view key, std::string_view value) override {
    if (key == "traceparent") traceparent.assign(value.data(), value.size());
  }
  std::string traceparent;
};

void BM_TraceparentInject(benchmark::State& state) {
  tracery::W3CTraceContextPropagator prop;
  tracery::Context ctx;
  ctx.span_context.trace_id = {0x0af7651916cd43ddULL, 0x8448eb211c80319cULL};
  ctx.span_context.span_id = {0xb7ad6b7169203331ULL};
  ctx.span_context.trace_flags = 1;
  FixedCarrier carrier;
  carrier.traceparent.reserve(64);
  for (auto _ : state) {
    prop.Inject(ctx, carrier);
    benchmark::DoNotOptimize(carrier.traceparent.data());
  }
}
BENCHMARK(BM_TraceparentInject);

void BM_TraceparentExtract(benchmark::State& state) {
  tracery::W3CTraceContextPropagator prop;
  FixedCarrier carrier;
  carrier.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  tracery::Context empty;
  for (auto _ : state) {
    tracery::Context ctx = prop.Extract(carrier, empty);
    benchmark::DoNotOptimize(ctx.span_context.span_id);
  }
}
BENCHMARK(BM_TraceparentExtract);

// What a server extracts per request with the default OTEL_PROPAGATORS
// (tracecontext,baggage) from headers carrying both, into an empty context.
class ServerCarrier final : public tracery::TextMapCarrier {
 public:
  std::string_view Get(std::string_view key) const override {
    if (key == "traceparent") return "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    if (key == "baggage") return "customer.tier=gold,session.id=4f2a9c1e7b3d5a60";
    return {};
  }
  void Set(std::string_view, std::string_view) override {}
};

void BM_CompositeExtractWithBaggage(benchmark::State& state) {
  std::unique_ptr<tracery::TextMapPropagator> prop = tracery::MakePropagator({"tracecontext", "baggage"});
  ServerCarrier carrier;
  tracery::Context empty;
  for (auto _ : state) {
    tracery::Context ctx = prop->Extract(carrier, empty);
    benchmark::DoNotOptimize(ctx.span_context.span_id);
  }
}
BENCHMARK(BM_CompositeExtractWithBaggage);

// The three ways of decoding the 16 hex digits of an id that were compared
// for traceparent extraction (the SDK uses the SWAR one,
// internal::DecodeLowerHex16). Each iteration decodes the three ids of a
// traceparent.
constexpr std::string_view kHexIds = "0af7651916cd43dd8448eb211c80319cb7ad6b7169203331";

bool DecodeHex16Branchy(const char* p, uint64_t* out) {  // the decoder before: a range test per digit
  uint64_t v = 0;
  for (int i = 0; i < 16; ++i) {
    const char c = p[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

constexpr auto kHexTable = [] {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0xFF;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<uint8_t>(c - 'a' + 10);
  return t;
}();
bool DecodeHex16Table(const char* p, uint64_t* out) {
  uint64_t v = 0;
  uint8_t bad = 0;
  for (int i = 0; i < 16; ++i) {
    const uint8_t d = kHexTable[static_cast<uint8_t>(p[i])];
    bad |= d;
    v = (v << 4) | (d & 0xF);
  }
  *out = v;
  return (bad & 0x80) == 0;
}

template <bool (*Decode)(const char*, uint64_t*)>
void BM_DecodeHex16(benchmark::State& state) {
  std::string ids(kHexIds);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ids.data());
    uint64_t a = 0, b = 0, c = 0;
    bool ok = Decode(ids.data(), &a) & Decode(ids.data() + 16, &b) & Decode(ids.data() + 32, &c);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(a + b + c);
  }
}
BENCHMARK(BM_DecodeHex16<DecodeHex16Branchy>)->Name("BM_DecodeHex16Branchy");
BENCHMARK(BM_DecodeHex16<DecodeHex16Table>)->Name("BM_DecodeHex16Table");
BENCHMARK(BM_DecodeHex16<tracery::internal::DecodeLowerHex16>)->Name("BM_DecodeHex16Swar");

// A batch of 512 typical spans (6 attributes, one event), as the processor sends them.
std::vector<tracery::internal::SpanRecord*> TypicalBatch(const tracery::internal::InstrumentationScope* scope) {
  using namespace tracery::internal;
  std::vector<SpanRecord*> spans;
  for (int i = 0; i < 512; ++i) {
    auto* r = new SpanRecord();
    r->scope = scope;
    r->trace_id = {0x5bd66ef5095369c7ULL * (i + 1), 0x9e3779b97f4a7c15ULL * (i + 3)};
    r->span_id = {0xbf58476d1ce4e5b9ULL * (i + 7)};
    r->parent_span_id = {0x94d049bb133111ebULL * (i + 11)};
    r->has_parent = true;
    r->sampled = true;
    r->start_unix_ns = 1700000000000000000ull + 1000003ull * i;
    r->end_unix_ns = r->start_unix_ns + 12345 + 17 * i;
    r->name_off = r->Store("GET /api/cart");
    r->name_len = 13;
    auto add = [&](std::string_view k, tracery::AttributeValue v) { r->SetAttribute(k, v); };
    add("http.request.method", "GET");
    add("url.path", "/api/cart/items");
    add("http.route", "/api/cart/{id}");
    add("http.response.status_code", 200);
    add("server.address", "cart.internal");
    add("cache.hit", true);
    StoredEvent& e = r->events.emplace_back();
    e.time_unix_ns = r->start_unix_ns + 10;
    e.name_off = r->Store("retry");
    e.name_len = 5;
    spans.push_back(r);
  }
  return spans;
}

// The exporter thread's gzip cost per span (the OTLP/HTTP exporter
// compresses each encoded batch when compression is gzip).
void BM_ExportGzipPerSpan(benchmark::State& state) {
  using namespace tracery::internal;
  tracery::sdk::ResourceOptions ro;
  ro.service_name = "bench";
  OtlpEncoder encoder(tracery::sdk::DetectResource(ro));
  InstrumentationScope scope{"bench", "1.0"};
  std::vector<SpanRecord*> spans = TypicalBatch(&scope);
  std::string out;
  encoder.Encode(spans.data(), spans.size(), &out);
  GzipCompressor gzip;
  std::string compressed;
  for (auto _ : state) {
    if (!gzip.Compress(out, &compressed).ok()) state.SkipWithError("gzip failed");
    benchmark::DoNotOptimize(compressed.data());
  }
  const size_t compressed_bytes = compressed.size();
  state.counters["ns_per_span"] = benchmark::Counter(
      static_cast<double>(state.iterations() * spans.size()), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["gzip_bytes_per_span"] = static_cast<double>(compressed_bytes) / static_cast<double>(spans.size());
  for (SpanRecord* r : spans) delete r;
}
BENCHMARK(BM_ExportGzipPerSpan);

// Encoding cost per span on the exporter thread (a typical span: 6
// attributes, one event), batches of 512 as the processor sends them.
void BM_ExportEncodePerSpan(benchmark::State& state) {
  using namespace tracery::internal;
  tracery::sdk::ResourceOptions ro;
  ro.service_name = "bench";
  OtlpEncoder encoder(tracery::sdk::DetectResource(ro));
  InstrumentationScope scope{"bench", "1.0"};
  std::vector<SpanRecord*> spans;
  for (int i = 0; i < 512; ++i) {
    auto* r = new SpanRecord();
    r->scope = &scope;
    r->trace_id = {1, static_cast<uint64_t>(i + 1)};
    r->span_id = {static_cast<uint64_t>(i + 7)};
    r->parent_span_id = {3};
    r->has_parent = true;
    r->sampled = true;
    r->start_unix_ns = 1700000000000000000ull;
    r->end_unix_ns = r->start_unix_ns + 12345;
    r->name_off = r->Store("GET /api/cart");
    r->name_len = 13;
    auto add = [&](std::string_view k, tracery::AttributeValue v) {
      StoredAttribute& a = r->attributes.emplace_back();
      a.key_off = r->Store(k);
      a.key_len = static_cast<uint32_t>(k.size());
      r->StoreValue(v, a);
    };
    add("http.request.method", "GET");
    add("url.path", "/api/cart/items");
    add("http.route", "/api/cart/{id}");
    add("http.response.status_code", 200);
    add("server.address", "cart.internal");
    add("cache.hit", true);
    StoredEvent& e = r->events.emplace_back();
    e.time_unix_ns = r->start_unix_ns + 10;
    e.name_off = r->Store("retry");
    e.name_len = 5;
    spans.push_back(r);
  }
  std::string out;
  for (auto _ : state) {
    encoder.Encode(spans.data(), spans.size(), &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(spans.size()));
  state.counters["ns_per_span"] = benchmark::Counter(
      static_cast<double>(state.iterations() * spans.size()), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_span"] = static_cast<double>(out.size()) / static_cast<double>(spans.size());
  for (SpanRecord* r : spans) delete r;
}
BENCHMARK(BM_ExportEncodePerSpan);

}  // namespace

BENCHMARK_MAIN();
