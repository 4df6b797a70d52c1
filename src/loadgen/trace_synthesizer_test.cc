#include "loadgen/trace_synthesizer.h"

#include <gtest/gtest.h>

#include <set>

namespace tracery::loadgen {
namespace {

TEST(TraceSynthesizerTest, TracesAreWellFormedTreesWithinSizeBounds) {
  SynthesizerOptions o;
  o.services = 30;
  o.seed = 42;
  TraceSynthesizer synth(o);
  for (int t = 0; t < 200; ++t) {
    model::SpanBatch b;
    model::TraceId id = synth.AppendTrace(1'700'000'000'000'000'000ull, &b);
    ASSERT_GE(b.spans.size(), o.min_spans_per_trace);
    ASSERT_LE(b.spans.size(), o.max_spans_per_trace);
    std::set<uint64_t> ids;
    int roots = 0;
    for (const auto& s : b.spans) {
      EXPECT_EQ(s.trace_id, id);
      EXPECT_TRUE(ids.insert(s.span_id.value).second) << "duplicate span id";
      EXPECT_GE(s.end_time_unix_nano, s.start_time_unix_nano);
      if (s.parent_span_id.IsZero()) roots++;
    }
    EXPECT_EQ(roots, 1);
    for (const auto& s : b.spans)
      if (!s.parent_span_id.IsZero()) EXPECT_TRUE(ids.count(s.parent_span_id.value)) << "orphan span";
    EXPECT_EQ(b.ServiceOf(b.spans[0]), "frontend");
  }
}

TEST(TraceSynthesizerTest, SomeTracesFailAndCarryExceptions) {
  SynthesizerOptions o;
  o.error_rate = 0.5;
  TraceSynthesizer synth(o);
  int errors = 0;
  for (int t = 0; t < 100; ++t) {
    model::SpanBatch b;
    synth.AppendTrace(1, &b);
    for (const auto& s : b.spans)
      if (s.status_code == model::StatusCode::kError) {
        errors++;
        break;
      }
  }
  EXPECT_GT(errors, 20);
  EXPECT_LT(errors, 80);
}

TEST(TraceSynthesizerTest, SplitByServiceKeepsEverySpanWithItsService) {
  TraceSynthesizer synth(SynthesizerOptions{});
  model::SpanBatch b;
  synth.AppendTrace(1, &b);
  synth.AppendTrace(2, &b);
  auto parts = TraceSynthesizer::SplitByService(b);
  size_t total = 0;
  for (const auto& p : parts) {
    total += p.spans.size();
    ASSERT_EQ(p.resources.size(), 1u);
    for (const auto& s : p.spans) EXPECT_EQ(p.ServiceOf(s), p.resources[0].ServiceName());
  }
  EXPECT_EQ(total, b.spans.size());
}

}  // namespace
}  // namespace tracery::loadgen
