#include "span_record.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <new>
#include <random>

#include "id_generator.h"
#include "tsc_clock.h"

namespace tracery::internal {

namespace {
uint64_t SplitMix64(uint64_t& x) {
  x += 0x9E3779B97F4A7C15ULL;
  uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace

void SeedRng(RngState& state) {
  // std::random_device is asked once per process, not once per thread: on
  // some machines (VMs where RDRAND traps) one call costs ~30 us, and
  // applications that start a thread per request (std::async) paid that for
  // every request. Each thread's seed is the process seed advanced by a
  // distinct counter value, then spread by splitmix64, so threads get
  // distinct, well-mixed streams.
  static const uint64_t process_seed = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(SystemRealtimeNs());
  }();
  static std::atomic<uint64_t> threads_seeded{0};
  uint64_t x = process_seed ^ (threads_seeded.fetch_add(1, std::memory_order_relaxed) * 0xD1B54A32D192ED03ULL);
  for (uint64_t& s : state.s) s = SplitMix64(x);
  state.seeded = true;
}

void ByteArena::Grow(size_t extra_bytes) {
  size_t want = std::max<size_t>(256, static_cast<size_t>(capacity_) * 2);
  while (want < static_cast<size_t>(size_) + extra_bytes) want *= 2;
  char* grown = static_cast<char*>(std::realloc(data_, want));
  if (grown == nullptr) throw std::bad_alloc();  // as std::string would: out of memory is fatal here
  data_ = grown;
  capacity_ = static_cast<uint32_t>(want);
}

void SpanRecord::StoreArrayValue(const AttributeValue& value, StoredAttribute& out) {
  out.type = value.type();
  switch (value.type()) {
    case AttributeValue::Type::kStringArray:
      out.data_off = static_cast<uint32_t>(arena.size());
      out.data_len = static_cast<uint32_t>(value.string_array().size());
      for (std::string_view s : value.string_array()) {
        uint32_t n = static_cast<uint32_t>(s.size());
        arena.Append(&n, 4);
        arena.Append(s.data(), s.size());
      }
      break;
    case AttributeValue::Type::kBoolArray:
      out.data_off = static_cast<uint32_t>(arena.size());
      out.data_len = static_cast<uint32_t>(value.bool_array().size());
      for (bool b : value.bool_array()) arena.push_back(b ? 1 : 0);
      break;
    case AttributeValue::Type::kInt64Array:
      out.data_off = static_cast<uint32_t>(arena.size());
      out.data_len = static_cast<uint32_t>(value.int_array().size());
      arena.Append(value.int_array().data(), value.int_array().size() * 8);
      break;
    case AttributeValue::Type::kDoubleArray:
      out.data_off = static_cast<uint32_t>(arena.size());
      out.data_len = static_cast<uint32_t>(value.double_array().size());
      arena.Append(value.double_array().data(), value.double_array().size() * 8);
      break;
    default:
      break;  // scalars and strings: StoreValue handles them inline
  }
}

void SpanRecord::Reset() {
  // Keep capacity so the next span does not allocate, but do not let one
  // huge span pin a lot of memory in the pool forever.
  constexpr size_t kMaxKeptArenaBytes = 16 * 1024;
  constexpr size_t kMaxKeptItems = 256;
  if (arena.capacity() > kMaxKeptArenaBytes) arena.Release(); else arena.clear();
  attribute_key_classes = 0;
  if (attributes.capacity() > kMaxKeptItems) std::vector<StoredAttribute>().swap(attributes); else attributes.clear();
  if (sub_attributes.capacity() > kMaxKeptItems) std::vector<StoredAttribute>().swap(sub_attributes); else sub_attributes.clear();
  if (events.capacity() > kMaxKeptItems) std::vector<StoredEvent>().swap(events); else events.clear();
  if (links.capacity() > kMaxKeptItems) std::vector<StoredLink>().swap(links); else links.clear();
  status = StatusCode::kUnset;
  status_len = 0;
  trace_state_len = 0;
  dropped_attributes = dropped_events = dropped_links = 0;
  has_parent = parent_is_remote = false;
}

namespace {

// Free records are kept as arrays of pointers, not an intrusive list: a
// thread refilling its cache copies 32 pointers from a few cache lines
// instead of chasing 32 next pointers through records last written by the
// exporter thread on another core (one cache miss each).
struct GlobalPool {
  std::mutex mu;
  std::vector<SpanRecord*> free;  // GUARDED_BY(mu)
};
// Leaked on purpose: threads may return records during static destruction.
GlobalPool& Global() {
  static GlobalPool* pool = new GlobalPool;
  return *pool;
}
constexpr size_t kMaxGlobalRecords = 1 << 16;
constexpr uint32_t kRefill = 32;
constexpr uint32_t kMaxLocal = 128;

// Trivial so the hot-path access needs no TLS initialisation guard.
struct LocalCache {
  uint32_t count;
  SpanRecord* records[kMaxLocal];
};
thread_local LocalCache tls_cache{};

// REQUIRES: every record has been Reset.
void PushGlobal(SpanRecord* const* records, size_t n) {
  GlobalPool& g = Global();
  std::lock_guard<std::mutex> lock(g.mu);
  size_t keep = std::min(n, kMaxGlobalRecords - std::min(kMaxGlobalRecords, g.free.size()));
  g.free.insert(g.free.end(), records, records + keep);
  for (size_t i = keep; i < n; ++i) delete records[i];
}

// Hands a dying thread's cache back to the global pool.
struct LocalCacheReturner {
  bool registered = false;
  ~LocalCacheReturner() {
    PushGlobal(tls_cache.records, tls_cache.count);
    tls_cache.count = 0;
  }
};
thread_local LocalCacheReturner tls_returner;

}  // namespace

SpanRecord* AcquireSpanRecord() {
  LocalCache& c = tls_cache;
  if (c.count == 0) [[unlikely]] {
    tls_returner.registered = true;
    GlobalPool& g = Global();
    {
      std::lock_guard<std::mutex> lock(g.mu);
      const uint32_t n = static_cast<uint32_t>(std::min<size_t>(kRefill, g.free.size()));
      std::copy(g.free.end() - n, g.free.end(), c.records);
      g.free.resize(g.free.size() - n);
      c.count = n;
    }
    if (c.count == 0) return new SpanRecord();
  }
  return c.records[--c.count];
}

void ReleaseSpanRecord(SpanRecord* record) {
  record->Reset();
  LocalCache& c = tls_cache;
  tls_returner.registered = true;
  if (c.count == kMaxLocal) [[unlikely]] {
    // Give half back so one thread does not hoard records.
    PushGlobal(c.records, kMaxLocal / 2);
    std::copy(c.records + kMaxLocal / 2, c.records + kMaxLocal, c.records);
    c.count -= kMaxLocal / 2;
  }
  c.records[c.count++] = record;
}

void ReleaseSpanRecordsToGlobal(SpanRecord* const* records, size_t count) {
  if (count == 0) return;
  for (size_t i = 0; i < count; ++i) records[i]->Reset();
  PushGlobal(records, count);
}

}  // namespace tracery::internal
