#include <zlib.h>

#include <charconv>
#include <thread>
#include <vector>

#include "http_client.h"
#include "id_generator.h"
#include "otlp_exporters.h"

namespace tracery::internal {

GzipCompressor::~GzipCompressor() {
  if (stream_) {
    auto* zs = static_cast<z_stream*>(stream_);
    deflateEnd(zs);
    delete zs;
  }
}

Status GzipCompressor::Compress(std::string_view data, std::string* out) {
  auto* zs = static_cast<z_stream*>(stream_);
  if (zs == nullptr) {
    zs = new z_stream{};
    // windowBits 15 + 16: gzip framing. Level 1: see the header.
    if (deflateInit2(zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      delete zs;
      return Status::Internal("zlib deflateInit2 failed (out of memory?)");
    }
    stream_ = zs;
  } else if (deflateReset(zs) != Z_OK) {
    return Status::Internal("zlib deflateReset failed");
  }
  out->resize(deflateBound(zs, static_cast<uLong>(data.size())) + 32);
  zs->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs->avail_in = static_cast<uInt>(data.size());
  zs->next_out = reinterpret_cast<Bytef*>(out->data());
  zs->avail_out = static_cast<uInt>(out->size());
  int rc = deflate(zs, Z_FINISH);
  if (rc != Z_STREAM_END) return Status::Internal("zlib deflate did not finish");
  out->resize(zs->total_out);
  return Status::Ok();
}

Result<std::string> GzipCompress(std::string_view data) {
  GzipCompressor compressor;
  std::string out;
  Status st = compressor.Compress(data, &out);
  if (!st.ok()) return st;
  return out;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  uint64_t seconds = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || p != value.data() + value.size() || seconds > 24 * 3600) return std::nullopt;
  return std::chrono::milliseconds(seconds * 1000);
}

std::chrono::milliseconds BackoffWithJitter(uint32_t attempt, uint32_t initial_ms, uint32_t max_ms) {
  uint64_t base = initial_ms;
  for (uint32_t i = 0; i < attempt && base < max_ms; ++i) base *= 2;
  if (base > max_ms) base = max_ms;
  double factor = 0.5 + static_cast<double>(RandomU64() >> 11) * 0x1.0p-53;  // [0.5, 1.5)
  return std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(base) * factor));
}

namespace {

class OtlpHttpExporter final : public SpanExporter {
 public:
  OtlpHttpExporter(const sdk::ExporterOptions& options, std::vector<HttpUrl> urls)
      : options_(options), urls_(std::move(urls)) {
    headers_ = options.headers;
    headers_.emplace_back("Content-Type", "application/x-protobuf");
    headers_.emplace_back("User-Agent", "tracery-cpp/0.1.0");
    if (options.gzip) headers_.emplace_back("Content-Encoding", "gzip");
  }

  Status Export(std::string_view otlp_request, std::chrono::steady_clock::time_point deadline) override {
    std::string_view body = otlp_request;
    if (options_.gzip) {
      Status st = gzip_.Compress(otlp_request, &compressed_);
      if (!st.ok()) return st;
      body = compressed_;
    }
    Status last = Status::Unavailable("no attempt made before the deadline");
    for (uint32_t attempt = 0;; ++attempt) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      auto attempt_deadline = std::min(deadline, now + std::chrono::milliseconds(options_.per_attempt_timeout_ms));
      const HttpUrl& url = urls_[current_];
      auto answer = connection_.RoundTrip(url, "POST", headers_, body, attempt_deadline);
      std::optional<std::chrono::milliseconds> server_wait;
      bool fail_over = false;
      if (!answer.ok()) {
        last = answer.status();
        fail_over = true;
      } else if (answer->status >= 200 && answer->status < 300) {
        return Status::Ok();
      } else if (answer->status == 429 || answer->status == 502 || answer->status == 503 ||
                 answer->status == 504) {
        last = Status::Unavailable("collector http://" + url.host + ":" + url.port + url.path + " answered " +
                                   std::to_string(answer->status));
        server_wait = ParseRetryAfter(answer->retry_after);
        fail_over = answer->status != 429;  // throttling: the same collector asked us to wait
      } else {
        // 4xx other than 429: the request itself is bad; retrying cannot help.
        return Status::InvalidArgument("collector rejected the export with HTTP " +
                                       std::to_string(answer->status) + ": " + answer->body.substr(0, 200));
      }
      if (fail_over && urls_.size() > 1) {
        current_ = (current_ + 1) % urls_.size();
        // A fresh endpoint gets an immediate first try per round of endpoints.
        if (current_ != 0 && !server_wait) continue;
      }
      auto wait = server_wait ? *server_wait
                              : BackoffWithJitter(attempt, options_.initial_backoff_ms, options_.max_backoff_ms);
      if (std::chrono::steady_clock::now() + wait >= deadline) break;
      std::this_thread::sleep_for(wait);
    }
    return Status::Unavailable("export gave up at its deadline; last error: " + last.message());
  }

 private:
  sdk::ExporterOptions options_;
  std::vector<HttpUrl> urls_;
  std::vector<std::pair<std::string, std::string>> headers_;
  size_t current_ = 0;  // exporter thread only
  HttpConnection connection_;  // exporter thread only; kept alive between batches
  GzipCompressor gzip_;     // exporter thread only
  std::string compressed_;  // exporter thread only; reused
};

}  // namespace

Result<std::unique_ptr<SpanExporter>> MakeOtlpHttpExporter(const sdk::ExporterOptions& options) {
  std::vector<HttpUrl> urls;
  std::vector<std::string> endpoints = options.endpoints;
  if (endpoints.empty()) endpoints.push_back("http://localhost:4318");
  for (const std::string& e : endpoints) {
    std::string full = e;
    if (!options.endpoints_are_full_urls) {
      while (!full.empty() && full.back() == '/') full.pop_back();
      full += "/v1/traces";
    }
    auto url = ParseHttpUrl(full);
    if (!url.ok()) return url.status();
    urls.push_back(std::move(url).value());
  }
  return std::unique_ptr<SpanExporter>(std::make_unique<OtlpHttpExporter>(options, std::move(urls)));
}

}  // namespace tracery::internal
