#include "storage/memtable.h"

#include <gtest/gtest.h>

#include "storage/span_codec.h"
#include "storage/storage_test_util.h"

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
  EXPECT_EQ(t->has_error, any_error);
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
