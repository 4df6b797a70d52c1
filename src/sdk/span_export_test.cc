// End-to-end from the span API through the hand-written OTLP encoder: the
// bytes are decoded with the generated protobuf classes and every field is
// compared.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test_collector.h"
#include "tracery/sdk.h"

namespace tracery {
namespace {

namespace otlp = opentelemetry::proto;

class MemoryExporter final : public SpanExporter {
 public:
  explicit MemoryExporter(std::vector<otlp::collector::trace::v1::ExportTraceServiceRequest>* out, std::mutex* mu)
      : out_(out), mu_(mu) {}
  Status Export(std::string_view bytes, std::chrono::steady_clock::time_point) override {
    otlp::collector::trace::v1::ExportTraceServiceRequest req;
    if (!req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      FILE* f = std::fopen("/tmp/tracery_bad_otlp.bin", "wb");
      if (f) {
        std::fwrite(bytes.data(), 1, bytes.size(), f);
        std::fclose(f);
      }
      return Status::Corruption("generated parser rejected the encoding (bytes in /tmp/tracery_bad_otlp.bin)");
    }
    std::lock_guard<std::mutex> lock(*mu_);
    out_->push_back(std::move(req));
    return Status::Ok();
  }

 private:
  std::vector<otlp::collector::trace::v1::ExportTraceServiceRequest>* out_;
  std::mutex* mu_;
};

class SpanExportTest : public ::testing::Test {
 protected:
  SpanExportTest() {
    options_.resource.service_name = "cart";
    options_.resource.attributes = {{"deployment.environment", "test"}};
    options_.batch.schedule_delay_ms = 50;
  }
  std::unique_ptr<TracerProvider> MakeProvider(std::unique_ptr<Sampler> sampler = MakeAlwaysOnSampler()) {
    return std::make_unique<TracerProvider>(options_, std::make_unique<MemoryExporter>(&requests_, &mu_),
                                            std::move(sampler));
  }
  std::vector<otlp::trace::v1::Span> AllSpans() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<otlp::trace::v1::Span> out;
    for (const auto& r : requests_) {
      for (const auto& rs : r.resource_spans()) {
        for (const auto& ss : rs.scope_spans()) {
          for (const auto& s : ss.spans()) out.push_back(s);
        }
      }
    }
    return out;
  }
  sdk::SdkOptions options_;
  std::mutex mu_;
  std::vector<otlp::collector::trace::v1::ExportTraceServiceRequest> requests_;
};

std::string Bytes(const TraceId& id) {
  uint8_t b[16];
  id.ToBytes(b);
  return std::string(reinterpret_cast<char*>(b), 16);
}
std::string Bytes(const SpanId& id) {
  uint8_t b[8];
  id.ToBytes(b);
  return std::string(reinterpret_cast<char*>(b), 8);
}
const otlp::common::v1::AnyValue* Find(const google::protobuf::RepeatedPtrField<otlp::common::v1::KeyValue>& kvs,
                                        const std::string& key) {
  for (const auto& kv : kvs) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

TEST_F(SpanExportTest, EveryFieldSurvivesEncoding) {
  auto provider = MakeProvider();
  Tracer tracer = provider->GetTracer("cart-lib", "1.2.3");
  SpanContext link_ctx{{7, 8}, {9}, kTraceFlagSampled, true, TraceState::FromHeader("a=b")};
  SpanContext parent_sc{{0x1122334455667788ULL, 0x99aabbccddeeff00ULL}, {0x0102030405060708ULL}, kTraceFlagSampled,
                        true, TraceState::FromHeader("congo=t61")};
  Context parent{parent_sc, {}};
  std::string_view tags[] = {"a", "bb"};
  int64_t nums[] = {1, -2, 300};
  double ds[] = {0.5, -1.25};
  bool bs[] = {true, false};
  SpanContext child_ctx;
  {
    StartSpanOptions o;
    o.kind = SpanKind::kServer;
    o.parent = &parent;
    o.start_time_unix_ns = 1000;
    Attribute link_attrs[] = {{"link.kind", "follows"}};
    Link links[] = {{link_ctx, link_attrs}};
    o.links = links;
    Span span = tracer.StartSpan("GET /cart", o);
    child_ctx = span.context();
    span.SetAttribute("s", "text");
    span.SetAttribute("b", true);
    span.SetAttribute("i", -42);
    span.SetAttribute("d", 2.5);
    span.SetAttribute("sa", std::span<const std::string_view>(tags));
    span.SetAttribute("ia", std::span<const int64_t>(nums));
    span.SetAttribute("da", std::span<const double>(ds));
    span.SetAttribute("ba", std::span<const bool>(bs));
    span.SetAttribute("i", 43);  // overwrites
    span.AddEvent("cache miss", {{"key", "cart:1"}, {"size", 3}}, 1500);
    span.RecordException("std::runtime_error", "boom", "at main()");
    span.End(2000);
  }
  ASSERT_TRUE(provider->ForceFlush());
  auto spans = AllSpans();
  ASSERT_EQ(spans.size(), 1u) << "export failures: " << provider->Stats().export_failures;
  const auto& s = spans[0];
  EXPECT_EQ(s.trace_id(), Bytes(parent_sc.trace_id));
  EXPECT_EQ(s.span_id(), Bytes(child_ctx.span_id));
  EXPECT_EQ(s.parent_span_id(), Bytes(parent_sc.span_id));
  EXPECT_EQ(s.trace_state(), "congo=t61");
  EXPECT_EQ(s.name(), "GET /cart");
  EXPECT_EQ(s.kind(), otlp::trace::v1::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(s.start_time_unix_nano(), 1000u);
  EXPECT_EQ(s.end_time_unix_nano(), 2000u);
  EXPECT_EQ(s.flags(), 0x301u);  // sampled, parent is remote (known)
  ASSERT_EQ(s.attributes_size(), 8);
  EXPECT_EQ(Find(s.attributes(), "s")->string_value(), "text");
  EXPECT_EQ(Find(s.attributes(), "b")->bool_value(), true);
  EXPECT_EQ(Find(s.attributes(), "i")->int_value(), 43);
  EXPECT_EQ(Find(s.attributes(), "d")->double_value(), 2.5);
  const auto& sa = Find(s.attributes(), "sa")->array_value();
  ASSERT_EQ(sa.values_size(), 2);
  EXPECT_EQ(sa.values(1).string_value(), "bb");
  const auto& ia = Find(s.attributes(), "ia")->array_value();
  ASSERT_EQ(ia.values_size(), 3);
  EXPECT_EQ(ia.values(1).int_value(), -2);
  EXPECT_EQ(ia.values(2).int_value(), 300);
  EXPECT_EQ(Find(s.attributes(), "da")->array_value().values(1).double_value(), -1.25);
  EXPECT_EQ(Find(s.attributes(), "ba")->array_value().values(1).bool_value(), false);
  ASSERT_EQ(s.events_size(), 2);
  EXPECT_EQ(s.events(0).name(), "cache miss");
  EXPECT_EQ(s.events(0).time_unix_nano(), 1500u);
  EXPECT_EQ(Find(s.events(0).attributes(), "size")->int_value(), 3);
  EXPECT_EQ(s.events(1).name(), "exception");
  EXPECT_EQ(Find(s.events(1).attributes(), "exception.type")->string_value(), "std::runtime_error");
  EXPECT_EQ(Find(s.events(1).attributes(), "exception.message")->string_value(), "boom");
  EXPECT_EQ(Find(s.events(1).attributes(), "exception.stacktrace")->string_value(), "at main()");
  EXPECT_EQ(s.status().code(), otlp::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(s.status().message(), "boom");
  ASSERT_EQ(s.links_size(), 1);
  EXPECT_EQ(s.links(0).trace_id(), Bytes(link_ctx.trace_id));
  EXPECT_EQ(s.links(0).span_id(), Bytes(link_ctx.span_id));
  EXPECT_EQ(s.links(0).trace_state(), "a=b");
  EXPECT_EQ(s.links(0).flags(), 0x301u);
  EXPECT_EQ(Find(s.links(0).attributes(), "link.kind")->string_value(), "follows");

  std::lock_guard<std::mutex> lock(mu_);
  const auto& rs = requests_[0].resource_spans(0);
  EXPECT_EQ(Find(rs.resource().attributes(), "service.name")->string_value(), "cart");
  EXPECT_EQ(Find(rs.resource().attributes(), "deployment.environment")->string_value(), "test");
  EXPECT_EQ(Find(rs.resource().attributes(), "telemetry.sdk.language")->string_value(), "cpp");
  EXPECT_NE(Find(rs.resource().attributes(), "process.pid"), nullptr);
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "cart-lib");
  EXPECT_EQ(rs.scope_spans(0).scope().version(), "1.2.3");
}

TEST_F(SpanExportTest, ScopeNestingAndStatusRules) {
  auto provider = MakeProvider();
  Tracer a = provider->GetTracer("a");
  Tracer b = provider->GetTracer("b");
  SpanContext outer_ctx, inner_ctx;
  {
    Span outer = a.StartSpan("outer");
    outer_ctx = outer.context();
    Scope scope(outer);
    EXPECT_EQ(CurrentContext().span_context, outer_ctx);
    {
      Span inner = b.StartSpan("inner", SpanKind::kClient);
      inner_ctx = inner.context();
      inner.SetStatus(StatusCode::kOk);
      inner.SetStatus(StatusCode::kError, "ignored: ok is final");
    }
    Span root = a.StartSpan("root", StartSpanOptions{SpanKind::kInternal, nullptr, true});
    EXPECT_NE(root.context().trace_id, outer_ctx.trace_id);
  }
  EXPECT_FALSE(CurrentContext().span_context.IsValid());
  ASSERT_TRUE(provider->ForceFlush());
  auto spans = AllSpans();
  ASSERT_EQ(spans.size(), 3u);
  for (const auto& s : spans) {
    if (s.name() == "inner") {
      EXPECT_EQ(s.parent_span_id(), Bytes(outer_ctx.span_id));
      EXPECT_EQ(s.trace_id(), Bytes(outer_ctx.trace_id));
      EXPECT_EQ(s.status().code(), otlp::trace::v1::Status::STATUS_CODE_OK);
      EXPECT_EQ(s.status().message(), "");
    }
    if (s.name() == "outer") EXPECT_TRUE(s.parent_span_id().empty());
  }
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(requests_[0].resource_spans(0).scope_spans_size(), 2);
}

// SetAttribute skips the same-key scan when a filter on (key length, last
// byte) proves the key new; keys that share both must still be told apart,
// and a repeated key must still overwrite.
TEST_F(SpanExportTest, RepeatedKeyOverwritesAndLookAlikeKeysStayDistinct) {
  auto provider = MakeProvider();
  Tracer t = provider->GetTracer("x");
  {
    Span s = t.StartSpan("attrs");
    s.SetAttribute("ab", 1);
    s.SetAttribute("cb", 2);  // same length and last byte as "ab"
    s.SetAttribute("ab", "three");
    s.SetAttribute("cb", 4);
    s.SetAttribute("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzb", 5);  // another class, long
  }
  ASSERT_TRUE(provider->ForceFlush());
  auto spans = AllSpans();
  ASSERT_EQ(spans.size(), 1u);
  ASSERT_EQ(spans[0].attributes_size(), 3);
  EXPECT_EQ(spans[0].attributes(0).key(), "ab");
  EXPECT_EQ(spans[0].attributes(0).value().string_value(), "three");
  EXPECT_EQ(spans[0].attributes(1).key(), "cb");
  EXPECT_EQ(spans[0].attributes(1).value().int_value(), 4);
  EXPECT_EQ(spans[0].attributes(2).value().int_value(), 5);
}

TEST_F(SpanExportTest, AttributesPastTheLimitAreDroppedAndCountedButOverwritesStillApply) {
  auto provider = MakeProvider();
  Tracer t = provider->GetTracer("x");
  {
    Span s = t.StartSpan("many");
    for (int i = 0; i < 130; ++i) s.SetAttribute("k" + std::to_string(i), i);
    s.SetAttribute("k0", -1);  // existing key at the limit: overwritten, not dropped
  }
  ASSERT_TRUE(provider->ForceFlush());
  auto spans = AllSpans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].attributes_size(), 128);
  EXPECT_EQ(spans[0].dropped_attributes_count(), 2u);
  EXPECT_EQ(spans[0].attributes(0).value().int_value(), -1);
}

TEST_F(SpanExportTest, UnsampledSpansCarryContextButAreNotExported) {
  auto provider = MakeProvider(MakeParentBasedSampler(MakeAlwaysOffSampler()));
  Tracer t = provider->GetTracer("x");
  {
    Span s = t.StartSpan("dropped");
    EXPECT_FALSE(s.IsRecording());
    EXPECT_TRUE(s.context().IsValid());
    EXPECT_FALSE(s.context().IsSampled());
    s.SetAttribute("k", "v");
  }
  ASSERT_TRUE(provider->ForceFlush());
  EXPECT_TRUE(AllSpans().empty());
}

TEST_F(SpanExportTest, DisabledSdkPropagatesParent) {
  options_.disabled = true;
  auto provider = MakeProvider();
  Tracer t = provider->GetTracer("x");
  Context parent{{{1, 2}, {3}, kTraceFlagSampled, true, {}}, {}};
  Span s = t.StartSpan("noop", parent);
  EXPECT_FALSE(s.IsRecording());
  EXPECT_EQ(s.context().trace_id, parent.span_context.trace_id);
}

class BlockingExporter final : public SpanExporter {
 public:
  Status Export(std::string_view, std::chrono::steady_clock::time_point) override {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return released; });
    return Status::Ok();
  }
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
};

// Tracers are interned per (name, version): asked for concurrently (the
// lock-free lookup races the first insert) a name still yields one scope, so
// a batch has one ScopeSpans per name; and scopes past the lock-free table's
// 64 entries are still found and kept apart.
TEST_F(SpanExportTest, TracersWithTheSameNameShareOneScope) {
  options_.batch.schedule_delay_ms = 60000;  // one batch, sent by ForceFlush
  auto provider = MakeProvider();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) provider->GetTracer("shared", "1.0").StartSpan("s");
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(provider->ForceFlush(std::chrono::seconds(10)));
  for (int i = 0; i < 80; ++i) {
    const std::string name = "lib" + std::to_string(i);
    provider->GetTracer(name).StartSpan(name);
    provider->GetTracer(name).StartSpan(name);
    if (i % 8 == 7) ASSERT_TRUE(provider->ForceFlush(std::chrono::seconds(10)));
  }
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_FALSE(requests_.empty());
  int shared_scopes = 0, shared_spans = 0, other_spans = 0;
  for (const auto& r : requests_) {
    for (const auto& rs : r.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        if (ss.scope().name() == "shared") {
          ++shared_scopes;
          EXPECT_EQ(ss.scope().version(), "1.0");
          shared_spans += ss.spans_size();
          continue;
        }
        EXPECT_EQ(ss.spans_size(), 2) << ss.scope().name();
        for (const auto& span : ss.spans()) {
          EXPECT_EQ(span.name(), ss.scope().name());
          ++other_spans;
        }
      }
    }
  }
  EXPECT_EQ(shared_scopes, 1);
  EXPECT_EQ(shared_spans, 200);
  EXPECT_EQ(other_spans, 160);
}

TEST_F(SpanExportTest, QueueFullAndShutdownDropsAreCounted) {
  options_.batch.max_queue_size = 8;
  options_.batch.max_export_batch_size = 4;
  auto exporter = std::make_unique<BlockingExporter>();
  BlockingExporter* ex = exporter.get();
  TracerProvider provider(options_, std::move(exporter), MakeAlwaysOnSampler());
  Tracer t = provider.GetTracer("x");
  for (int i = 0; i < 100; ++i) t.StartSpan("s");
  ExportStats stats = provider.Stats();
  EXPECT_GE(stats.dropped_queue_full, 100u - 8 - 4);  // queue + at most one batch in flight
  {
    std::lock_guard<std::mutex> lock(ex->mu);
    ex->released = true;
  }
  ex->cv.notify_all();
  EXPECT_TRUE(provider.Shutdown(std::chrono::milliseconds(5000)));
  t.StartSpan("after shutdown");
  stats = provider.Stats();
  EXPECT_EQ(stats.dropped_shutdown, 1u);
  EXPECT_EQ(stats.spans_exported + stats.dropped_queue_full, 100u);
}

}  // namespace
}  // namespace tracery
