#include "storage/testing/span_generator.h"

#include <algorithm>

namespace tracery::storage::testing {
namespace {

loadgen::SynthesizerOptions SynthesizerOptionsFor(const SpanGeneratorOptions& o) {
  loadgen::SynthesizerOptions s;
  s.services = o.services;
  s.min_spans_per_trace = o.min_spans_per_trace;
  s.max_spans_per_trace = o.max_spans_per_trace;
  s.error_rate = o.error_rate;
  s.seed = o.seed;
  return s;
}

}  // namespace

SpanGenerator::SpanGenerator(SpanGeneratorOptions options)
    : options_(options),
      synthesizer_(SynthesizerOptionsFor(options)),
      rng_(options.seed ^ 0x9e3779b97f4a7c15ull),
      now_ns_(options.start_ns) {}

size_t SpanGenerator::AppendTraces(size_t min_spans, model::SpanBatch* batch) {
  const size_t before = batch->spans.size();
  std::exponential_distribution<double> gap_ns(1.0 / static_cast<double>(std::max<uint64_t>(1, options_.trace_interval_ns)));
  while (batch->spans.size() - before < min_spans) {
    now_ns_ += static_cast<uint64_t>(gap_ns(rng_));
    synthesizer_.AppendTrace(now_ns_, batch);
  }
  return batch->spans.size() - before;
}

}  // namespace tracery::storage::testing
