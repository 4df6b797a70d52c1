// TraceIdMap: an open-addressing hash map from TraceId to a 64-bit value,
// for the tail sampler's per-span lookups (buffered traces, decision cache).
//
// Why not std::unordered_map: one heap node per entry (an allocation per
// trace and ~64 bytes of overhead each) and a pointer chase per lookup. Here
// an entry is 24 bytes in one flat array (linear probing, load <= 7/8,
// deletion by backward shift so there are no tombstones and lookups stay
// short under churn).
//
// Contract: the value kEmptyValue (all ones) is reserved and must not be
// stored. Pointers returned by Find/Insert stay valid until the next Insert
// or Erase. Not thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "model/ids.h"

namespace tracery::sampling {

// Equality on two 8-byte loads (std::array's operator== may call memcmp).
inline bool SameTraceId(const model::TraceId& a, const model::TraceId& b) {
  uint64_t a0, a1, b0, b1;
  std::memcpy(&a0, a.bytes.data(), 8);
  std::memcpy(&a1, a.bytes.data() + 8, 8);
  std::memcpy(&b0, b.bytes.data(), 8);
  std::memcpy(&b1, b.bytes.data() + 8, 8);
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

class TraceIdMap {
 public:
  static constexpr uint64_t kEmptyValue = ~uint64_t{0};

  TraceIdMap() { Rehash(16); }

  size_t size() const { return size_; }
  // Bytes held by the table itself.
  size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

  // The value stored for `id`, or nullptr.
  uint64_t* Find(const model::TraceId& id) {
    for (size_t i = Home(id);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.value == kEmptyValue) return nullptr;
      if (SameTraceId(s.id, id)) return &s.value;
    }
  }

  // Hints the cache line `id` would be probed first; lets a caller overlap
  // the memory misses of several lookups (a batch of traces) in a big table.
  void Prefetch(const model::TraceId& id) const { __builtin_prefetch(&slots_[Home(id)]); }

  // Sets `id` to `value` (inserting or overwriting). REQUIRES: value != kEmptyValue.
  void Set(const model::TraceId& id, uint64_t value) {
    if ((size_ + 1) * 8 > slots_.size() * 7) Rehash(slots_.size() * 2);
    for (size_t i = Home(id);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.value == kEmptyValue) {
        s.id = id;
        s.value = value;
        ++size_;
        return;
      }
      if (SameTraceId(s.id, id)) {
        s.value = value;
        return;
      }
    }
  }

  // Removes `id`; returns whether it was present.
  bool Erase(const model::TraceId& id) {
    size_t i = Home(id);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].value == kEmptyValue) return false;
      if (SameTraceId(slots_[i].id, id)) break;
    }
    // Backward-shift: pull later entries of the probe run into the hole when
    // their home position does not lie cyclically in (hole, j].
    size_t hole = i;
    for (size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      Slot& s = slots_[j];
      if (s.value == kEmptyValue) break;
      const size_t home = Home(s.id);
      const bool home_in_range = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (home_in_range) continue;
      slots_[hole] = s;
      hole = j;
    }
    slots_[hole].value = kEmptyValue;
    --size_;
    // Shrink after a burst so an idle sampler does not keep a peak-sized table.
    if (slots_.size() > 1024 && size_ * 8 < slots_.size()) Rehash(slots_.size() / 2);
    return true;
  }

  void Clear() {
    slots_.clear();
    size_ = 0;
    Rehash(16);
  }

 private:
  struct Slot {
    model::TraceId id;
    uint64_t value = kEmptyValue;
  };

  size_t Home(const model::TraceId& id) const {
    // Trace ids are usually random, but tests and some SDKs number them, so
    // mix both halves fully (splitmix64 finaliser).
    uint64_t a, b;
    std::memcpy(&a, id.bytes.data(), 8);
    std::memcpy(&b, id.bytes.data() + 8, 8);
    uint64_t x = a * 0x9E3779B97F4A7C15ULL + b;
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return static_cast<size_t>(x) & mask_;
  }

  void Rehash(size_t n) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    size_ = 0;
    for (const Slot& s : old)
      if (s.value != kEmptyValue) Set(s.id, s.value);
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace tracery::sampling
