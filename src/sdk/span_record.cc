#include "span_record.h"

#include <mutex>
#include <random>

#include "id_generator.h"

namespace tracery::internal {

void SeedRng(RngState& state) {
  std::random_device rd;
  uint64_t seed = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
                  reinterpret_cast<uintptr_t>(&state);  // distinct per thread even with a weak random_device
  for (uint64_t& s : state.s) {
    // splitmix64
    seed += 0x9E3779B97F4A7C15ULL;
    uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    s = z ^ (z >> 31);
  }
  state.seeded = true;
}

void SpanRecord::StoreValue(const AttributeValue& value, StoredAttribute& out) {
  out.type = value.type();
  switch (value.type()) {
    case AttributeValue::Type::kString:
      out.data_off = Store(value.string_value());
      out.data_len = static_cast<uint32_t>(value.string_value().size());
      break;
    case AttributeValue::Type::kBool:
      out.b = value.bool_value();
      break;
    case AttributeValue::Type::kInt64:
      out.i = value.int_value();
      break;
    case AttributeValue::Type::kDouble:
      out.d = value.double_value();
      break;
    case AttributeValue::Type::kStringArray:
      out.data_off = static_cast<uint32_t>(arena.size());
      out.data_len = static_cast<uint32_t>(value.string_array().size());
      for (std::string_view s : value.string_array()) {
        uint32_t n = static_cast<uint32_t>(s.size());
        arena.append(reinterpret_cast<const char*>(&n), 4);
        arena.append(s.data(), s.size());
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
      arena.append(reinterpret_cast<const char*>(value.int_array().data()), value.int_array().size() * 8);
      break;
    case AttributeValue::Type::kDoubleArray:
      out.data_off = static_cast<uint32_t>(arena.size());
      out.data_len = static_cast<uint32_t>(value.double_array().size());
      arena.append(reinterpret_cast<const char*>(value.double_array().data()), value.double_array().size() * 8);
      break;
  }
}

void SpanRecord::Reset() {
  // Keep capacity so the next span does not allocate, but do not let one
  // huge span pin a lot of memory in the pool forever.
  constexpr size_t kMaxKeptArenaBytes = 16 * 1024;
  constexpr size_t kMaxKeptItems = 256;
  if (arena.capacity() > kMaxKeptArenaBytes) std::string().swap(arena); else arena.clear();
  if (attributes.capacity() > kMaxKeptItems) std::vector<StoredAttribute>().swap(attributes); else attributes.clear();
  if (sub_attributes.capacity() > kMaxKeptItems) std::vector<StoredAttribute>().swap(sub_attributes); else sub_attributes.clear();
  if (events.capacity() > kMaxKeptItems) std::vector<StoredEvent>().swap(events); else events.clear();
  if (links.capacity() > kMaxKeptItems) std::vector<StoredLink>().swap(links); else links.clear();
  status = StatusCode::kUnset;
  status_len = 0;
  trace_state_len = 0;
  dropped_attributes = dropped_events = dropped_links = 0;
  has_parent = parent_is_remote = false;
  next_free = nullptr;
}

namespace {

struct GlobalPool {
  std::mutex mu;
  SpanRecord* head = nullptr;  // GUARDED_BY(mu)
  size_t count = 0;            // GUARDED_BY(mu)
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
  SpanRecord* head;
  uint32_t count;
};
thread_local LocalCache tls_cache{};

void PushGlobal(SpanRecord* first, SpanRecord* last, size_t n) {
  GlobalPool& g = Global();
  std::lock_guard<std::mutex> lock(g.mu);
  if (g.count >= kMaxGlobalRecords) {
    for (SpanRecord* r = first; r;) {
      SpanRecord* next = r->next_free;
      delete r;
      r = next;
    }
    return;
  }
  last->next_free = g.head;
  g.head = first;
  g.count += n;
}

// Hands a dying thread's cache back to the global pool.
struct LocalCacheReturner {
  bool registered = false;
  ~LocalCacheReturner() {
    SpanRecord* first = tls_cache.head;
    if (!first) return;
    SpanRecord* last = first;
    while (last->next_free) last = last->next_free;
    PushGlobal(first, last, tls_cache.count);
    tls_cache = {};
  }
};
thread_local LocalCacheReturner tls_returner;

}  // namespace

SpanRecord* AcquireSpanRecord() {
  LocalCache& c = tls_cache;
  if (c.head == nullptr) [[unlikely]] {
    tls_returner.registered = true;
    GlobalPool& g = Global();
    {
      std::lock_guard<std::mutex> lock(g.mu);
      for (uint32_t i = 0; i < kRefill && g.head; ++i) {
        SpanRecord* r = g.head;
        g.head = r->next_free;
        --g.count;
        r->next_free = c.head;
        c.head = r;
        ++c.count;
      }
    }
    if (c.head == nullptr) return new SpanRecord();
  }
  SpanRecord* r = c.head;
  c.head = r->next_free;
  --c.count;
  r->next_free = nullptr;
  return r;
}

void ReleaseSpanRecord(SpanRecord* record) {
  record->Reset();
  LocalCache& c = tls_cache;
  tls_returner.registered = true;
  record->next_free = c.head;
  c.head = record;
  if (++c.count > kMaxLocal) {
    // Give half back so one thread does not hoard records.
    SpanRecord* first = c.head;
    SpanRecord* last = first;
    for (uint32_t i = 1; i < kMaxLocal / 2; ++i) last = last->next_free;
    c.head = last->next_free;
    c.count -= kMaxLocal / 2;
    last->next_free = nullptr;
    PushGlobal(first, last, kMaxLocal / 2);
  }
}

void ReleaseSpanRecordsToGlobal(SpanRecord* const* records, size_t count) {
  if (count == 0) return;
  for (size_t i = 0; i < count; ++i) {
    records[i]->Reset();
    records[i]->next_free = i + 1 < count ? records[i + 1] : nullptr;
  }
  PushGlobal(records[0], records[count - 1], count);
}

}  // namespace tracery::internal
