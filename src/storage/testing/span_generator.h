// SpanGenerator: a stream of realistic synthetic traces for storage tests
// and benchmarks, with a clock. The traces themselves come from the
// project's one synthetic-trace generator, loadgen::TraceSynthesizer (a
// Kubernetes microservice shop: HTTP and gRPC server/client spans, database
// and messaging calls, heavy-tailed latencies, a few percent errors); this
// class adds what storage tests need on top: trace start times advancing by
// exponential gaps from a fixed start, and batches of at least N spans.
// Deterministic for a given seed.
//
// Thread-safety: none; one generator per thread.
#pragma once

#include <cstdint>
#include <random>

#include "loadgen/trace_synthesizer.h"
#include "model/span.h"

namespace tracery::storage::testing {

struct SpanGeneratorOptions {
  uint64_t seed = 1;
  uint64_t start_ns = 1'700'000'000'000'000'000ull;  // first trace start
  uint64_t trace_interval_ns = 200'000;              // mean gap between trace starts
  uint32_t min_spans_per_trace = 5;
  uint32_t max_spans_per_trace = 50;
  uint32_t services = 10;      // the first are frontend, checkout, payment, inventory, ...
  double error_rate = 0.02;    // share of traces with an error
};

class SpanGenerator {
 public:
  explicit SpanGenerator(SpanGeneratorOptions options = {});

  // Appends whole traces to *batch until at least `min_spans` spans were
  // added. Resources and scopes are shared by index. Returns spans added.
  size_t AppendTraces(size_t min_spans, model::SpanBatch* batch);
  model::SpanBatch NextBatch(size_t min_spans) {
    model::SpanBatch b;
    AppendTraces(min_spans, &b);
    return b;
  }
  // Start time of the latest trace generated (options.start_ns before any).
  uint64_t now_ns() const { return now_ns_; }

 private:
  SpanGeneratorOptions options_;
  loadgen::TraceSynthesizer synthesizer_;
  std::mt19937_64 rng_;  // trace start gaps
  uint64_t now_ns_;
};

}  // namespace tracery::storage::testing
