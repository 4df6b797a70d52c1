// LatencySketch: a mergeable quantile sketch with bounded relative error
// (DDSketch-style logarithmic buckets).
//
// Every positive value v falls in bucket i = ceil(log_gamma(v)) with
// gamma = (1 + a) / (1 - a), a = kRelativeAccuracy (1%). A quantile answer
// is the bucket's midpoint 2·gamma^i / (gamma + 1), which is within a
// relative error of `a` of the true rank-q value. Zero (and values below
// 1) go to a separate zero bucket and answer as 0. Two sketches merge by
// adding bucket counts, so per-minute sketches combine into a week-long one
// with the same error bound.
//
// Units: the sketch is unit-agnostic; Tracery records nanoseconds.
// Thread-safety: none; callers synchronise.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tracery::analysis {

class LatencySketch {
 public:
  static constexpr double kRelativeAccuracy = 0.01;

  // Adds one value. Cost: one logarithm and an array increment; allocates
  // only when the value falls outside the buckets seen so far.
  void Add(double value) { AddCount(value, 1); }
  void AddCount(double value, uint64_t count);
  // Adds every count of `other` (same accuracy, by construction).
  void Merge(const LatencySketch& other);

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  double min() const { return count_ ? min_ : 0; }
  double max() const { return count_ ? max_ : 0; }
  double sum() const { return sum_; }

  // The value at rank q (0 <= q <= 1, clamped) within the relative error;
  // 0 for an empty sketch. Never below min() nor above max().
  double Quantile(double q) const;

  // Compact, versionless binary form (varints). Deserialize rejects any
  // malformed input with Corruption; it never reads past `data`.
  void SerializeTo(std::string* out) const;
  static Result<LatencySketch> Deserialize(std::string_view* data);

  // Bytes of heap held by the bucket array.
  size_t MemoryBytes() const { return counts_.capacity() * sizeof(uint64_t); }

  friend bool operator==(const LatencySketch&, const LatencySketch&) = default;

 private:
  static int32_t IndexOf(double value);
  static double ValueOf(int32_t index);
  void EnsureIndex(int32_t index);

  std::vector<uint64_t> counts_;  // counts_[k] is bucket offset_ + k
  int32_t offset_ = 0;
  uint64_t zero_count_ = 0;
  uint64_t count_ = 0;
  double min_ = 0;
  double max_ = 0;
  double sum_ = 0;
};

// Little helpers for the binary encodings of this module (LEB128 varints).
void PutVarint(std::string* out, uint64_t v);
bool GetVarint(std::string_view* in, uint64_t* v);
void PutString(std::string* out, std::string_view s);
bool GetString(std::string_view* in, std::string_view* s);

}  // namespace tracery::analysis
