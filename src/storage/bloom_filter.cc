#include "storage/bloom_filter.h"

#include <cstring>

namespace tracery::storage {
namespace {

constexpr int kProbes = 6;
constexpr size_t kBitsPerKey = 10;

uint64_t HashTraceId(const model::TraceId& id) {
  uint64_t a, b;
  std::memcpy(&a, id.bytes.data(), 8);
  std::memcpy(&b, id.bytes.data() + 8, 8);
  // Ids are usually random, but 64-bit (Zipkin) ids have a zero half: mix both.
  uint64_t h = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL);
  h ^= h >> 31;
  h *= 0xD6E8FEB86659FD93ULL;
  h ^= h >> 32;
  return h;
}

}  // namespace

void BloomFilterBuilder::Add(const model::TraceId& id) { hashes_.push_back(HashTraceId(id)); }

std::string BloomFilterBuilder::Finish() const {
  size_t bits = std::max<size_t>(64, hashes_.size() * kBitsPerKey);
  size_t bytes = (bits + 7) / 8;
  bits = bytes * 8;
  std::string out(bytes, '\0');
  for (uint64_t h : hashes_) {
    uint64_t delta = (h >> 33) | (h << 31);
    for (int i = 0; i < kProbes; ++i) {
      uint64_t bit = h % bits;
      out[bit / 8] = static_cast<char>(out[bit / 8] | (1 << (bit % 8)));
      h += delta;
    }
  }
  out.push_back(static_cast<char>(kProbes));
  return out;
}

bool BloomFilterView::MayContain(const model::TraceId& id) const {
  if (data_.size() < 2) return true;
  size_t bits = (data_.size() - 1) * 8;
  int probes = static_cast<uint8_t>(data_.back());
  if (probes < 1 || probes > 30) return true;
  uint64_t h = HashTraceId(id);
  uint64_t delta = (h >> 33) | (h << 31);
  for (int i = 0; i < probes; ++i) {
    uint64_t bit = h % bits;
    if ((data_[bit / 8] & (1 << (bit % 8))) == 0) return false;
    h += delta;
  }
  return true;
}

}  // namespace tracery::storage
