// TraceSynthesizer: realistic synthetic traces for load tests and
// benchmarks. A fixed topology of services (an edge tier, mid-tier services
// and leaves that talk to databases and caches) is generated from a seed;
// each trace is a call tree of 5 to 50 spans walking that topology, with
// HTTP, RPC, database and messaging attributes, Kubernetes resource
// attributes, heavy-tailed (log-normal) latencies and a few percent errors.
//
// Deterministic for a given seed. Not thread-safe: one per thread.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/span.h"

namespace tracery::loadgen {

struct SynthesizerOptions {
  uint32_t services = 50;          // 2 to 1000
  uint32_t min_spans_per_trace = 5;
  uint32_t max_spans_per_trace = 50;
  double error_rate = 0.03;        // share of traces with an error
  uint64_t seed = 1;
};

class TraceSynthesizer {
 public:
  explicit TraceSynthesizer(SynthesizerOptions options);

  // Appends one trace starting at `start_unix_nano` to `out`, grouped in one
  // batch; resources are shared per service. Returns the trace id.
  model::TraceId AppendTrace(uint64_t start_unix_nano, model::SpanBatch* out);

  // Splits a batch into one batch per service (as each service's SDK would
  // export its own spans).
  static std::vector<model::SpanBatch> SplitByService(const model::SpanBatch& batch);

  const std::vector<std::string>& service_names() const { return service_names_; }

 private:
  struct Operation {
    std::string name;
    int protocol;  // 0 http, 1 grpc, 2 messaging consumer
  };
  struct Service {
    std::string name;
    std::vector<Operation> operations;
    std::vector<uint32_t> callees;  // indexes of services it calls
    std::string db_system;          // non-empty: it talks to a database
    uint32_t resource_index = 0;
    double latency_mu = 0;          // log-normal parameters of self time (µs)
  };

  void BuildTopology();
  // Emits the span for `service` handling a request, then its children.
  // Returns the span's end time.
  uint64_t EmitServer(uint32_t service, const Operation& op, model::SpanId parent, uint64_t start_ns, int depth,
                      model::SpanBatch* out, uint32_t* budget, bool error_path);
  model::SpanId NextSpanId();
  uint32_t ResourceIndexFor(uint32_t service, model::SpanBatch* out);
  uint64_t LatencyNs(double mu, double sigma);

  SynthesizerOptions options_;
  std::mt19937_64 rng_;
  std::vector<Service> services_;
  std::vector<std::string> service_names_;
  std::vector<model::Resource> resources_;
  model::Scope scope_;
  model::TraceId current_trace_;
  std::vector<int> batch_resource_map_;  // service → index in the current out batch, -1 if absent
  const model::SpanBatch* mapped_batch_ = nullptr;
  size_t mapped_resources_ = 0;
};

}  // namespace tracery::loadgen
