// Bloom filter over trace ids, one per segment, so GetTrace without a time
// hint opens only the segments that may hold the trace. ~10 bits per trace
// and 6 probes: about 1% false positives.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/ids.h"

namespace tracery::storage {

class BloomFilterBuilder {
 public:
  void Add(const model::TraceId& id);
  // Encoding: the bit array, then one byte with the probe count.
  std::string Finish() const;

 private:
  std::vector<uint64_t> hashes_;
};

// A view over an encoded filter. An empty or malformed filter answers
// "maybe" for every id (never a false negative).
class BloomFilterView {
 public:
  BloomFilterView() = default;
  explicit BloomFilterView(std::string_view data) : data_(data) {}
  bool MayContain(const model::TraceId& id) const;

 private:
  std::string_view data_;
};

}  // namespace tracery::storage
