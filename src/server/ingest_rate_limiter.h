// IngestRateLimiter: a token bucket of spans per second (--tenant-ingest-rate
// with --tenant-ingest-burst), one per tenant.
//
// The bucket holds at most `burst_spans` and refills at `spans_per_second`.
// A batch larger than the burst is admitted only when the bucket is full
// and then leaves it in debt, so such batches still pass at the configured
// rate on average instead of being refused forever.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>

namespace tracery::server {

class IngestRateLimiter {
 public:
  // spans_per_second 0 disables the limit. burst_spans 0 means one second
  // worth of spans.
  IngestRateLimiter(double spans_per_second, double burst_spans);

  // 0 when `spans` may be written now (and are taken from the bucket),
  // else the whole seconds (>= 1) to wait before the batch would fit.
  uint64_t TryAcquire(uint64_t spans, uint64_t now_ns);

 private:
  const double rate_per_s_;
  const double burst_;
  std::mutex mu_;
  double tokens_;              // GUARDED_BY(mu_); negative while in debt
  uint64_t last_ns_ = 0;       // GUARDED_BY(mu_)
};

}  // namespace tracery::server
