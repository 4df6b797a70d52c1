#include "storage/memtable.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "storage/span_codec.h"
#include "storage/storage_test_util.h"
#include "storage/testing/span_generator.h"

namespace tracery::storage {
namespace {

// Spans of `got` equal those of `want` including their resource and scope.
void ExpectSameSpans(const model::SpanBatch& got, const model::SpanBatch& want) {
  ASSERT_EQ(got.spans.size(), want.spans.size());
  for (size_t i = 0; i < want.spans.size(); ++i) {
    model::Span g = got.spans[i];
    EXPECT_EQ(got.ResourceOf(g), want.ResourceOf(want.spans[i]));
    EXPECT_EQ(got.ScopeOf(g), want.ScopeOf(want.spans[i]));
    g.resource_index = want.spans[i].resource_index;
    g.scope_index = want.spans[i].scope_index;
    EXPECT_EQ(g, want.spans[i]) << want.spans[i].name;
  }
}

TEST(Memtable, GetTraceReturnsEveryFieldAsAdded) {
  model::SpanBatch in = test::FullFeaturedBatch();
  Memtable mem(1000, 0);
  mem.Add(in);
  model::SpanBatch out;
  EXPECT_EQ(mem.GetTrace(in.spans[0].trace_id, &out), in.spans.size());
  ExpectSameSpans(out, in);
  EXPECT_EQ(mem.SpanCount(), in.spans.size());
}

TEST(Memtable, AddEncodedFromWalBytesStoresTheSameAsAdd) {
  model::SpanBatch in = test::FullFeaturedBatch();
  std::string record = "prefix";  // ranges are positions in the whole buffer
  std::vector<EncodedSpanRange> ranges;
  EncodeSpanBatch(in, &record, &ranges);
  ASSERT_EQ(ranges.size(), in.spans.size());
  // The ranged encoding is the plain encoding.
  std::string plain;
  EncodeSpanBatch(in, &plain);
  EXPECT_EQ(record.substr(6), plain);

  Memtable a(1000, 0), b(1000, 0);
  a.Add(in);
  // A second batch first, so the memtable's resource/scope indexes differ
  // from the batch's: AddEncoded must rewrite them.
  model::SpanBatch other = test::FullFeaturedBatch();
  std::swap(other.resources[0], other.resources[1]);
  other.spans.resize(1);
  other.spans[0].trace_id = model::TraceId::FromHighLow(99, 99);
  b.Add(other);
  b.AddEncoded(in, record, ranges);
  model::SpanBatch out_a, out_b;
  a.GetTrace(in.spans[0].trace_id, &out_a);
  b.GetTrace(in.spans[0].trace_id, &out_b);
  ExpectSameSpans(out_a, in);
  ExpectSameSpans(out_b, in);
}

TEST(Memtable, DecodingIntoReusedSpansLeavesNoStaleValues) {
  model::SpanBatch in = test::FullFeaturedBatch();
  Memtable mem(1000, 0);
  mem.Add(in);
  // A second trace whose attribute values are all plain strings.
  model::SpanBatch plain;
  plain.resources = in.resources;
  plain.scopes = in.scopes;
  model::Span s;
  s.trace_id = model::TraceId::FromHighLow(5, 6);
  s.span_id.value = 1;
  s.name = "plain";
  s.attributes = {{"a", model::AnyValue::String("x")}, {"b", model::AnyValue::String("y")},
                  {"c", model::AnyValue::String("z")}, {"d", model::AnyValue::String("w")}};
  plain.spans = {s, s, s};
  mem.Add(plain);

  std::vector<model::Span> buf;
  mem.ForEachTrace([&](const model::TraceId& id, const MemTrace& t) {
    if (id == in.spans[0].trace_id) DecodeSpans(t, &buf);
    return true;
  });
  ASSERT_EQ(buf.size(), in.spans.size());
  mem.ForEachTrace([&](const model::TraceId& id, const MemTrace& t) {
    if (id == s.trace_id) DecodeSpans(t, &buf);
    return true;
  });
  ASSERT_EQ(buf.size(), 3u);
  for (const auto& got : buf) {
    ASSERT_EQ(got.attributes.size(), 4u);
    for (const auto& kv : got.attributes) {
      EXPECT_EQ(kv.value.type, model::AnyValue::Type::kString);
      EXPECT_TRUE(kv.value.array.empty()) << kv.key;
      EXPECT_TRUE(kv.value.map.empty()) << kv.key;
    }
    EXPECT_TRUE(got.events.empty());
    EXPECT_TRUE(got.links.empty());
    EXPECT_EQ(got.name, "plain");
  }
}

TEST(Memtable, SpansOverThePerTraceLimitAreCountedAndDropped) {
  model::SpanBatch in = test::FullFeaturedBatch();
  Memtable mem(2, 0);
  mem.Add(in);
  EXPECT_EQ(mem.SpanCount(), 2u);
  EXPECT_EQ(mem.DroppedSpans(), in.spans.size() - 2);
  model::SpanBatch out;
  EXPECT_EQ(mem.GetTrace(in.spans[0].trace_id, &out), 2u);
}

TEST(Memtable, EarliestStartIsKeptPerTrace) {
  model::SpanBatch in = test::FullFeaturedBatch();
  uint64_t earliest = UINT64_MAX;
  for (const auto& s : in.spans) earliest = std::min(earliest, s.start_time_unix_nano);
  Memtable mem(1000, 0);
  mem.Add(in);
  auto sorted = mem.SortedTraces();
  ASSERT_EQ(sorted.size(), 1u);
  EXPECT_EQ(sorted[0].second->min_start_ns, earliest);
  EXPECT_EQ(sorted[0].second->span_count, in.spans.size());
}

}  // namespace
}  // namespace tracery::storage

namespace tracery::storage {
namespace {

TEST(Memtable, SummariesRuleOutOnlyTracesThatCannotMatch) {
  model::SpanBatch in = test::FullFeaturedBatch();  // resource 0 checkout, 1 payment
  Memtable mem(1000, 0);
  mem.Add(in);
  const MemTrace* t = mem.SortedTraces()[0].second;
  bool any_error = false;
  uint64_t longest = 0;
  for (const auto& s : in.spans) {
    any_error = any_error || s.status_code == model::StatusCode::kError;
    longest = std::max(longest, s.DurationNanos());
  }
  EXPECT_EQ(t->has_error(), any_error);
  EXPECT_EQ(t->max_duration_ns, longest);

  SpanCondition c;
  c.service = "checkout";
  EXPECT_TRUE(MayMatch(*t, c, t->resource_bits));
  EXPECT_FALSE(MayMatch(*t, c, 0));  // no resource of that service in the memtable
  c.service.clear();
  c.min_duration_ns = longest;
  EXPECT_TRUE(MayMatch(*t, c, 0));
  c.min_duration_ns = longest + 1;
  EXPECT_FALSE(MayMatch(*t, c, 0));
  c.min_duration_ns = 0;
  c.error_only = true;
  EXPECT_EQ(MayMatch(*t, c, 0), any_error);
}

}  // namespace
}  // namespace tracery::storage

namespace tracery::storage {
namespace {

// FullFeaturedBatch with its trace id replaced by (1, n).
model::SpanBatch BatchForTrace(uint64_t n) {
  model::SpanBatch b = test::FullFeaturedBatch();
  for (auto& s : b.spans) s.trace_id = model::TraceId::FromHighLow(1, n);
  return b;
}

std::set<std::pair<std::string, int>> OpSet(const std::vector<Operation>& ops) {
  std::set<std::pair<std::string, int>> out;
  for (const auto& op : ops) out.emplace(op.name, static_cast<int>(op.kind));
  return out;
}

// Regression: a walk held the memtable's (reader-preferring) shared lock for
// the whole memtable, so a few overlapping searches kept the ingest writer
// out indefinitely and ingest collapsed. Four readers walk a big memtable in
// a loop, decoding every trace as a search does; the writer must still get
// its Adds in. Without the fix the writer waits until the readers stop at
// the deadline; with it, the whole run takes milliseconds, so the bound is
// generous for a loaded machine.
TEST(Memtable, AddIsNotStarvedByOverlappingTraceWalks) {
  Memtable mem(10'000, 0);
  testing::SpanGenerator gen;
  for (size_t n = 0; n < 100'000;) {
    model::SpanBatch b = gen.NextBatch(1000);
    n += b.spans.size();
    mem.Add(b);
  }
  const size_t traces_before = mem.TraceCount();
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  std::atomic<bool> writer_done{false};
  std::atomic<int> walks{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      std::vector<model::Span> spans;
      while (!writer_done.load() && Clock::now() < deadline) {
        mem.ForEachTrace([&](const model::TraceId&, const MemTrace& t) {
          DecodeSpans(t, &spans);
          return !writer_done.load();
        });
        walks++;
      }
    });
  }
  // Let the readers' walks overlap before the writer starts.
  while (walks.load() == 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  constexpr int kAdds = 200;
  auto t0 = Clock::now();
  Clock::duration longest{};
  int adds = 0;
  for (; adds < kAdds && Clock::now() < deadline; ++adds) {
    auto a0 = Clock::now();
    mem.Add(BatchForTrace(static_cast<uint64_t>(adds)));
    longest = std::max(longest, Clock::now() - a0);
  }
  auto elapsed = Clock::now() - t0;
  writer_done = true;
  for (auto& t : readers) t.join();
  auto ms = [](Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  EXPECT_EQ(adds, kAdds);
  EXPECT_LT(ms(elapsed), 10'000) << "longest single Add waited " << ms(longest) << " ms";
  EXPECT_EQ(mem.TraceCount(), traces_before + kAdds);
  std::printf("%d adds under 4 looping readers: %lld ms, longest %lld ms, %d walks\n", adds,
              static_cast<long long>(ms(elapsed)), static_cast<long long>(ms(longest)), walks.load());
}

TEST(Memtable, WalkLetsAddsInAndStillVisitsEveryTraceOnce) {
  Memtable mem(1000, 0);
  for (uint64_t n = 0; n < 2000; ++n) mem.Add(BatchForTrace(n));
  std::atomic<bool> stop{false}, walking{false};
  std::atomic<uint64_t> adds{0};
  std::thread writer([&] {
    while (!walking.load()) std::this_thread::yield();
    // New traces and more spans for existing ones, while the walk runs.
    for (uint64_t n = 2000; !stop.load(); ++n) {
      mem.Add(BatchForTrace(n));
      adds++;
      mem.Add(BatchForTrace(n % 2000));
      adds++;
    }
  });
  std::set<uint64_t> seen;
  bool twice = false;
  mem.ForEachTrace([&](const model::TraceId& id, const MemTrace&) {
    walking = true;
    twice = twice || !seen.insert(id.Low()).second;
    // Slow callbacks in the second half: ~100 ms in which the writer wants in.
    if (seen.size() > 1000) std::this_thread::sleep_for(std::chrono::microseconds(100));
    return true;
  });
  const uint64_t adds_during_walk = adds.load();
  stop = true;
  writer.join();
  EXPECT_FALSE(twice);
  EXPECT_EQ(seen.size(), 2000u);  // exactly the traces present when it began
  for (uint64_t n = 0; n < 2000; ++n) ASSERT_TRUE(seen.count(n)) << n;
  EXPECT_GT(adds_during_walk, 0u) << "the walk kept the writer out from start to end";
}

// Expensive callbacks (decoding) are called on copies made under the lock
// and run without it: they must see exactly what cheap callbacks (called
// under the lock on the traces themselves) see, in the same order, and a
// stop must still report the right position.
TEST(Memtable, ExpensiveCallbacksSeeTheSameTracesAsCheapOnes) {
  Memtable mem(10'000, 0);
  testing::SpanGenerator gen;
  for (size_t n = 0; n < 30'000;) {
    model::SpanBatch b = gen.NextBatch(1000);
    n += b.spans.size();
    mem.Add(b);
  }
  struct Seen {
    model::TraceId id;
    uint32_t spans;
    uint64_t min_start_ns;
    std::string encoded;
    bool operator==(const Seen&) const = default;
  };
  std::vector<Seen> cheap, expensive;
  mem.ForEachTrace([&](const model::TraceId& id, const MemTrace& t) {
    cheap.push_back({id, t.span_count, t.min_start_ns, t.encoded});
    return true;
  });
  std::vector<model::Span> spans;
  std::set<std::string> services;
  mem.ForEachTrace([&](const model::TraceId& id, const MemTrace& t) {
    expensive.push_back({id, t.span_count, t.min_start_ns, t.encoded});
    for (int i = 0; i < 3; ++i) DecodeSpans(t, &spans);  // surely over the copy-out threshold
    for (const auto& s : spans) services.emplace(mem.resource(s.resource_index).ServiceName());
    return true;
  });
  ASSERT_EQ(cheap.size(), mem.TraceCount());
  EXPECT_TRUE(cheap == expensive);
  EXPECT_EQ(std::vector<std::string>(services.begin(), services.end()), mem.Services());

  size_t calls = 0;
  const size_t stop_at = cheap.size() - 7;  // deep into the copied-out part
  size_t next = mem.ForEachTraceIn(0, SIZE_MAX, [&](const model::TraceId& id, const MemTrace& t) {
    DecodeSpans(t, &spans);
    EXPECT_EQ(id, cheap[calls].id);
    return ++calls < stop_at;
  });
  EXPECT_EQ(calls, stop_at);
  EXPECT_EQ(next, stop_at);
}

TEST(Memtable, NewestFirstWalksInReverseArrivalOfTheFirstSpan) {
  Memtable mem(1000, 0);
  for (uint64_t n : {5, 3, 9}) mem.Add(BatchForTrace(n));
  mem.Add(BatchForTrace(5));  // more spans for the oldest trace do not make it newer
  std::vector<uint64_t> order;
  mem.ForEachTraceNewestFirst([&](const model::TraceId& id, const MemTrace&) {
    order.push_back(id.Low());
    return true;
  });
  EXPECT_EQ(order, (std::vector<uint64_t>{9, 3, 5}));
  order.clear();
  mem.ForEachTrace([&](const model::TraceId& id, const MemTrace&) {
    order.push_back(id.Low());
    return order.size() < 2;  // stops when told
  });
  EXPECT_EQ(order, (std::vector<uint64_t>{5, 3}));
}

TEST(Memtable, WalkInPiecesResumesWhereThePieceEnded) {
  Memtable mem(1000, 0);
  for (uint64_t n = 0; n < 10; ++n) mem.Add(BatchForTrace(n));
  std::vector<uint64_t> got;
  size_t pos = 0, pieces = 0;
  while (pos < mem.TraceCount()) {
    size_t in_piece = 0;
    pos = mem.ForEachTraceIn(pos, 8, [&](const model::TraceId& id, const MemTrace&) {
      got.push_back(id.Low());
      return ++in_piece < 3;
    });
    ++pieces;
    if (pos == 8) break;
  }
  EXPECT_EQ(got, (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(pieces, 3u);
}

TEST(Memtable, CatalogListsServicesAndOperationsWithKindsRightAfterAdd) {
  Memtable mem(1000, 0);
  EXPECT_TRUE(mem.Services().empty());
  mem.Add(test::FullFeaturedBatch());  // checkout: POST /checkout (server); payment: Charge, late (client)
  EXPECT_EQ(mem.Services(), (std::vector<std::string>{"checkout", "payment"}));
  using K = model::SpanKind;
  EXPECT_EQ(OpSet(mem.Operations("checkout", std::nullopt)),
            (std::set<std::pair<std::string, int>>{{"POST /checkout", static_cast<int>(K::kServer)}}));
  EXPECT_EQ(OpSet(mem.Operations("payment", std::nullopt)),
            (std::set<std::pair<std::string, int>>{{"Charge", static_cast<int>(K::kClient)},
                                                    {"late", static_cast<int>(K::kClient)}}));
  EXPECT_TRUE(mem.Operations("payment", K::kServer).empty());
  EXPECT_TRUE(mem.Operations("nobody", std::nullopt).empty());

  // The same name under another kind is another operation; a new service
  // appears with its first span.
  model::SpanBatch more = BatchForTrace(2);
  more.spans.resize(2);
  more.spans[1].kind = K::kServer;
  more.resources[1].attributes = {{"service.name", model::AnyValue::String("fraud")}};
  more.spans.push_back(more.spans[1]);
  more.spans[2].resource_index = 0;
  more.spans[2].kind = K::kConsumer;
  mem.Add(more);
  EXPECT_EQ(mem.Services(), (std::vector<std::string>{"checkout", "fraud", "payment"}));
  EXPECT_EQ(OpSet(mem.Operations("fraud", K::kServer)),
            (std::set<std::pair<std::string, int>>{{"Charge", static_cast<int>(K::kServer)}}));
  EXPECT_EQ(OpSet(mem.Operations("checkout", std::nullopt)),
            (std::set<std::pair<std::string, int>>{{"POST /checkout", static_cast<int>(K::kServer)},
                                                    {"Charge", static_cast<int>(K::kConsumer)}}));
}

TEST(Memtable, CatalogLeavesOutSpansDroppedOverThePerTraceLimit) {
  Memtable mem(1, 0);
  mem.Add(test::FullFeaturedBatch());  // only the checkout root is kept
  EXPECT_EQ(mem.Services(), (std::vector<std::string>{"checkout"}));
  EXPECT_TRUE(mem.Operations("payment", std::nullopt).empty());
}

TEST(Memtable, DependenciesCountCrossServiceCallsAndFollowLaterAdds) {
  Memtable mem(1000, 0);
  model::SpanBatch b = test::FullFeaturedBatch();  // checkout -> payment once; "late" has no stored parent
  const uint64_t child_start = b.spans[1].start_time_unix_nano;
  mem.Add(b);
  auto links = mem.Dependencies(0, UINT64_MAX);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].parent, "checkout");
  EXPECT_EQ(links[0].child, "payment");
  EXPECT_EQ(links[0].call_count, 1u);
  EXPECT_EQ(links[0].error_count, 0u);
  EXPECT_EQ(mem.Dependencies(0, UINT64_MAX).size(), 1u);  // from the cache: same answer
  EXPECT_TRUE(mem.Dependencies(child_start + 1, UINT64_MAX).empty());
  EXPECT_EQ(mem.Dependencies(child_start, child_start).size(), 1u);

  // A later Add must show up even though the whole-range answer was cached.
  model::SpanBatch more = BatchForTrace(2);
  more.spans[1].status_code = model::StatusCode::kError;
  mem.Add(more);
  links = mem.Dependencies(0, UINT64_MAX);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].call_count, 2u);
  EXPECT_EQ(links[0].error_count, 1u);
}

}  // namespace
}  // namespace tracery::storage

namespace tracery::storage {
namespace {

// A trace whose only ERROR span belongs to "payment": a search for errors
// of "checkout" can skip it without decoding, unless an "error" attribute
// (Jaeger-style error=true tag) could be what matches.
TEST(Memtable, ErrorSummariesAreKeptPerServiceAndRespectErrorAttributes) {
  using model::AnyValue;
  model::SpanBatch b;
  for (const char* service : {"checkout", "payment"}) {
    model::Resource r;
    r.attributes = {{"service.name", AnyValue::String(service)}};
    b.resources.push_back(r);
  }
  b.scopes.push_back(model::Scope{"test", "1", {}, 0, ""});
  for (uint32_t i = 0; i < 2; ++i) {
    model::Span s;
    s.trace_id = model::TraceId::FromHighLow(0, 1);
    s.span_id.value = i + 1;
    s.parent_span_id.value = i;
    s.name = "op";
    s.start_time_unix_nano = 1000 + i;
    s.end_time_unix_nano = 2000;
    s.resource_index = i;
    s.status_code = i == 1 ? model::StatusCode::kError : model::StatusCode::kOk;
    b.spans.push_back(s);
  }
  Memtable mem(1000, 0);
  mem.Add(b);
  EXPECT_FALSE(mem.MayHoldErrorAttribute());
  const MemTrace* t = mem.SortedTraces()[0].second;
  const uint64_t checkout = 1ull << 0, payment = 1ull << 1;

  SpanCondition error_tag{.service = "checkout", .tags = {{"error", "true"}}};
  EXPECT_FALSE(MayMatch(*t, error_tag, checkout, mem.MayHoldErrorAttribute()));
  EXPECT_TRUE(MayMatch(*t, error_tag, checkout, /*error_attribute_possible=*/true));
  error_tag.service = "payment";
  EXPECT_TRUE(MayMatch(*t, error_tag, payment, mem.MayHoldErrorAttribute()));
  error_tag.service.clear();
  EXPECT_TRUE(MayMatch(*t, error_tag, ~0ull, mem.MayHoldErrorAttribute()));
  SpanCondition error_only{.service = "checkout", .error_only = true};
  EXPECT_FALSE(MayMatch(*t, error_only, checkout));
  error_only.service = "payment";
  EXPECT_TRUE(MayMatch(*t, error_only, payment));
  SpanCondition other_tag{.service = "checkout", .tags = {{"http.method", "GET"}}};
  EXPECT_TRUE(MayMatch(*t, other_tag, checkout, false)) << "only error=true is judged from the summaries";

  // One span anywhere in the memtable with an "error" attribute (here in
  // an event) and the tag may be met without status ERROR.
  model::SpanBatch tagged = b;
  tagged.spans.resize(1);
  tagged.spans[0].trace_id = model::TraceId::FromHighLow(0, 2);
  tagged.spans[0].events.push_back(model::Event{});
  tagged.spans[0].events[0].attributes = {{"error", AnyValue::String("true")}};
  mem.Add(tagged);
  EXPECT_TRUE(mem.MayHoldErrorAttribute());
  error_tag.service = "checkout";
  EXPECT_TRUE(MayMatch(*t, error_tag, checkout, mem.MayHoldErrorAttribute()));
}

}  // namespace
}  // namespace tracery::storage
