// A bounded lock-free queue of pointers (Dmitry Vyukov's array queue with
// per-cell sequence numbers), used multi-producer / single-consumer between
// application threads ending spans and the exporter thread.
//
// TryPush costs one CAS on the producer side and never allocates or blocks;
// a full queue makes it fail (the caller counts the drop).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tracery::internal {

template <typename T>
class BoundedMpscQueue {
 public:
  // capacity is rounded up to a power of two (at least 2).
  explicit BoundedMpscQueue(size_t capacity) {
    size_t cap = 2;
    while (cap < capacity) cap <<= 1;
    mask_ = cap - 1;
    cells_ = std::make_unique<Cell[]>(cap);
    for (size_t i = 0; i < cap; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
  }

  size_t capacity() const { return mask_ + 1; }

  // Thread-safe. false when full. On success *position (when given) is the
  // item's sequence number: 0 for the first item ever pushed, then 1, 2, ...
  bool TryPush(T* item, size_t* position = nullptr) {
    size_t pos = enqueue_pos_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      size_t seq = cell.sequence.load(std::memory_order_acquire);
      intptr_t diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos);
      if (diff == 0) {
        if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          cell.item = item;
          cell.sequence.store(pos + 1, std::memory_order_release);
          if (position) *position = pos;
          return true;
        }
      } else if (diff < 0) {
        return false;
      } else {
        pos = enqueue_pos_.load(std::memory_order_relaxed);
      }
    }
  }

  // REQUIRES: called from the single consumer thread. nullptr when empty.
  T* TryPop() {
    size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
    Cell& cell = cells_[pos & mask_];
    size_t seq = cell.sequence.load(std::memory_order_acquire);
    if (static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos + 1) < 0) return nullptr;
    T* item = cell.item;
    cell.sequence.store(pos + mask_ + 1, std::memory_order_release);
    dequeue_pos_.store(pos + 1, std::memory_order_relaxed);
    return item;
  }

  // Approximate number of items (exact when no push/pop is in progress).
  size_t ApproxSize() const {
    size_t e = enqueue_pos_.load(std::memory_order_relaxed);
    size_t d = dequeue_pos_.load(std::memory_order_relaxed);
    return e > d ? e - d : 0;
  }

 private:
  struct Cell {
    std::atomic<size_t> sequence;
    T* item = nullptr;
  };
  alignas(64) std::atomic<size_t> enqueue_pos_{0};
  alignas(64) std::atomic<size_t> dequeue_pos_{0};
  std::unique_ptr<Cell[]> cells_;
  size_t mask_ = 0;
};

}  // namespace tracery::internal
