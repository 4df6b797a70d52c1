#include "server/ingest_rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace tracery::server {

IngestRateLimiter::IngestRateLimiter(double spans_per_second, double burst_spans)
    : rate_per_s_(std::max(0.0, spans_per_second)),
      burst_(burst_spans > 0 ? burst_spans : std::max(1.0, spans_per_second)),
      tokens_(burst_) {}

uint64_t IngestRateLimiter::TryAcquire(uint64_t spans, uint64_t now_ns) {
  if (rate_per_s_ <= 0) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  if (last_ns_ != 0 && now_ns > last_ns_) {
    tokens_ = std::min(burst_, tokens_ + rate_per_s_ * static_cast<double>(now_ns - last_ns_) / 1e9);
  }
  if (now_ns > last_ns_) last_ns_ = now_ns;
  double need = std::min(static_cast<double>(spans), burst_);
  if (tokens_ >= need) {
    tokens_ -= static_cast<double>(spans);
    return 0;
  }
  return static_cast<uint64_t>(std::max(1.0, std::ceil((need - tokens_) / rate_per_s_)));
}

}  // namespace tracery::server
