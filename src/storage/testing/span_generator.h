// SpanGenerator: realistic synthetic traces for tests and benchmarks. A
// small microservice shop (frontend, checkout, cart, payment, ...) running
// on Kubernetes: HTTP server spans, gRPC client/server pairs, database
// calls, internal spans; 5 to 50 spans per trace; heavy-tailed durations
// (log-normal with a Pareto tail); ~2% of traces have an error with an
// exception event. Deterministic for a given seed.
//
// Thread-safety: none; one generator per thread.
#pragma once

#include <cstdint>
#include <random>

#include "model/span.h"

namespace tracery::storage::testing {

struct SpanGeneratorOptions {
  uint64_t seed = 1;
  uint64_t start_ns = 1'700'000'000'000'000'000ull;  // first trace start
  uint64_t trace_interval_ns = 200'000;              // mean gap between trace starts
  uint32_t min_spans_per_trace = 5;
  uint32_t max_spans_per_trace = 50;
};

class SpanGenerator {
 public:
  explicit SpanGenerator(SpanGeneratorOptions options = {});

  // Appends whole traces to *batch until it holds at least `min_spans`
  // spans. Resources and scopes are shared by index. Returns spans added.
  size_t AppendTraces(size_t min_spans, model::SpanBatch* batch);
  model::SpanBatch NextBatch(size_t min_spans) {
    model::SpanBatch b;
    AppendTraces(min_spans, &b);
    return b;
  }
  uint64_t now_ns() const { return now_ns_; }

 private:
  uint64_t Duration(double median_us);
  void AddTrace(model::SpanBatch* batch);

  SpanGeneratorOptions options_;
  std::mt19937_64 rng_;
  uint64_t now_ns_;
};

}  // namespace tracery::storage::testing
