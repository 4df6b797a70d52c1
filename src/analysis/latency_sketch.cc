#include "analysis/latency_sketch.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tracery::analysis {
namespace {

constexpr double kGamma = (1 + LatencySketch::kRelativeAccuracy) / (1 - LatencySketch::kRelativeAccuracy);
const double kInvLogGamma = 1.0 / std::log(kGamma);
// Buckets indexes are bounded so a hostile serialized sketch cannot make us
// allocate gigabytes: gamma^±40000 covers 1e-170 .. 1e170.
constexpr int64_t kMaxIndex = 40000;
constexpr uint64_t kMaxBuckets = 2 * kMaxIndex + 1;

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

void PutDouble(std::string* out, double d) {
  char b[8];
  std::memcpy(b, &d, 8);
  out->append(b, 8);
}
bool GetDouble(std::string_view* in, double* d) {
  if (in->size() < 8) return false;
  std::memcpy(d, in->data(), 8);
  in->remove_prefix(8);
  return true;
}

}  // namespace

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    uint8_t byte = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v = result;
      return true;
    }
  }
  return false;
}

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

bool GetString(std::string_view* in, std::string_view* s) {
  uint64_t n;
  if (!GetVarint(in, &n) || n > in->size()) return false;
  *s = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

int32_t LatencySketch::IndexOf(double value) {
  double i = std::ceil(std::log(value) * kInvLogGamma);
  return static_cast<int32_t>(std::clamp(i, -double(kMaxIndex), double(kMaxIndex)));
}

double LatencySketch::ValueOf(int32_t index) { return 2.0 * std::pow(kGamma, index) / (kGamma + 1); }

void LatencySketch::EnsureIndex(int32_t index) {
  if (counts_.empty()) {
    counts_.assign(1, 0);
    offset_ = index;
    return;
  }
  if (index < offset_) {
    // Grow downwards with some slack so a drifting minimum does not shift
    // the array on every new value.
    int32_t new_offset = std::max<int32_t>(index - 8, -kMaxIndex);
    counts_.insert(counts_.begin(), static_cast<size_t>(offset_ - new_offset), 0);
    offset_ = new_offset;
  } else if (index >= offset_ + static_cast<int32_t>(counts_.size())) {
    counts_.resize(static_cast<size_t>(index - offset_) + 1, 0);
  }
}

void LatencySketch::AddCount(double value, uint64_t count) {
  if (count == 0 || !(value == value)) return;  // NaN carries no latency
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  count_ += count;
  sum_ += value * static_cast<double>(count);
  if (value < 1.0) {
    zero_count_ += count;
    return;
  }
  int32_t index = IndexOf(value);
  if (counts_.empty() || index < offset_ || index >= offset_ + static_cast<int32_t>(counts_.size()))
    EnsureIndex(index);
  counts_[static_cast<size_t>(index - offset_)] += count;
}

void LatencySketch::Merge(const LatencySketch& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    *this = other;
    return;
  }
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
  zero_count_ += other.zero_count_;
  if (other.counts_.empty()) return;
  EnsureIndex(other.offset_);
  EnsureIndex(other.offset_ + static_cast<int32_t>(other.counts_.size()) - 1);
  size_t base = static_cast<size_t>(other.offset_ - offset_);
  for (size_t k = 0; k < other.counts_.size(); ++k) counts_[base + k] += other.counts_[k];
}

double LatencySketch::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Rank of the value in the sorted multiset, 0-based (lower nearest rank).
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1));
  if (rank == 0) return min_;
  if (rank == count_ - 1) return max_;
  if (rank < zero_count_) return std::max(0.0, min_);  // values below 1 answer as themselves-ish
  uint64_t seen = zero_count_;
  for (size_t k = 0; k < counts_.size(); ++k) {
    seen += counts_[k];
    if (seen > rank) {
      double v = ValueOf(offset_ + static_cast<int32_t>(k));
      return std::clamp(v, min_, max_);
    }
  }
  return max_;
}

void LatencySketch::SerializeTo(std::string* out) const {
  PutVarint(out, count_);
  if (count_ == 0) return;
  PutDouble(out, min_);
  PutDouble(out, max_);
  PutDouble(out, sum_);
  PutVarint(out, zero_count_);
  // Trim empty buckets at both ends.
  size_t lo = 0, hi = counts_.size();
  while (lo < hi && counts_[lo] == 0) ++lo;
  while (hi > lo && counts_[hi - 1] == 0) --hi;
  PutVarint(out, ZigZag(offset_ + static_cast<int64_t>(lo)));
  PutVarint(out, hi - lo);
  for (size_t k = lo; k < hi; ++k) PutVarint(out, counts_[k]);
}

Result<LatencySketch> LatencySketch::Deserialize(std::string_view* data) {
  LatencySketch s;
  auto bad = [](const char* what) { return Status::Corruption(std::string("latency sketch: ") + what); };
  if (!GetVarint(data, &s.count_)) return bad("truncated count");
  if (s.count_ == 0) return s;
  uint64_t offset_zz, n;
  if (!GetDouble(data, &s.min_) || !GetDouble(data, &s.max_) || !GetDouble(data, &s.sum_))
    return bad("truncated min/max/sum");
  if (!GetVarint(data, &s.zero_count_)) return bad("truncated zero count");
  if (!GetVarint(data, &offset_zz) || !GetVarint(data, &n)) return bad("truncated bucket range");
  int64_t offset = UnZigZag(offset_zz);
  if (offset < -kMaxIndex || offset > kMaxIndex || n > kMaxBuckets || offset + int64_t(n) > kMaxIndex + 1)
    return bad("bucket range out of bounds");
  if (n > data->size()) return bad("more buckets than bytes");
  s.offset_ = static_cast<int32_t>(offset);
  s.counts_.resize(n);
  uint64_t total = s.zero_count_;
  for (uint64_t k = 0; k < n; ++k) {
    if (!GetVarint(data, &s.counts_[k])) return bad("truncated bucket counts");
    total += s.counts_[k];
  }
  if (total != s.count_) return bad("bucket counts do not add up to the count");
  if (!(s.min_ <= s.max_)) return bad("min above max");
  return s;
}

}  // namespace tracery::analysis
