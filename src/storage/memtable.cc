#include "storage/memtable.h"

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <mutex>
#include <shared_mutex>

#include <spdlog/spdlog.h>

#include "storage/span_codec.h"

namespace tracery::storage {
bool MayMatch(const MemTrace& t, const SpanCondition& c, uint64_t service_bits,
              bool error_attribute_possible) {
  if (!c.service.empty() && (t.resource_bits & service_bits) == 0) return false;
  // The span must have status ERROR (and the service, when given): for
  // error_only, and for the tag error=true where no attribute can match it.
  bool needs_error = c.error_only;
  if (!error_attribute_possible) {
    for (const auto& tag : c.tags) needs_error = needs_error || (tag.key == "error" && tag.value == "true");
  }
  if (needs_error && (t.error_resource_bits & (c.service.empty() ? ~0ull : service_bits)) == 0) return false;
  if (c.min_duration_ns != 0 && t.max_duration_ns < c.min_duration_ns) return false;
  return true;
}

namespace {

bool HasErrorKey(const model::Attributes& attrs) {
  for (const auto& kv : attrs) {
    if (std::string_view(kv.key) == "error") return true;
  }
  return false;
}

// Whether a span's own or its events' attributes have the key "error"
// (the attributes SpanMatches reads besides the resource's).
bool HasErrorAttribute(const model::Span& s) {
  if (HasErrorKey(s.attributes)) return true;
  for (const auto& e : s.events) {
    if (HasErrorKey(e.attributes)) return true;
  }
  return false;
}

}  // namespace

void DecodeSpans(const MemTrace& t, std::vector<model::Span>* spans) {
  spans->resize(t.span_count);
  ByteReader in(t.encoded);
  for (auto& s : *spans) {
    if (const char* what = DecodeSpan(in, &s)) {
      spdlog::critical("storage: memtable span encoding corrupt ({}); memory is corrupt", what);
      std::abort();
    }
  }
}

uint32_t Memtable::InternResource(const model::Resource& r) {
  scratch_.clear();
  EncodeAttributes(r.attributes, &scratch_);
  PutVarint(&scratch_, r.dropped_attributes_count);
  scratch_.append(r.schema_url);
  auto [it, inserted] = resource_ids_.try_emplace(scratch_, static_cast<uint32_t>(resources_.size()));
  if (inserted) {
    resources_.push_back(r);
    bytes_ += scratch_.size() * 3;
    if (HasErrorKey(r.attributes)) error_attribute_seen_.store(true, std::memory_order_release);
    std::string_view service = r.ServiceName();
    auto [sit, new_service] =
        service_numbers_.try_emplace(std::string(service), static_cast<uint32_t>(service_names_.size()));
    if (new_service) {
      service_names_.emplace_back(service);
      service_has_span_.push_back(0);
      bytes_ += service.size() * 3 + 64;
    }
    resource_service_.push_back(sit->second);
  }
  return it->second;
}

namespace {

// The name of the span encoded at `begin` in `encoded` (EncodeSpanBody's
// layout: trace id, span id, parent id, trace state, flags, name). Read from
// the bytes just copied, which are in cache, rather than from the batch's
// strings, which may not be.
std::string_view EncodedSpanName(std::string_view encoded, size_t begin) {
  ByteReader in(encoded.substr(begin));
  in.Bytes(32);
  in.LengthPrefixed();  // trace state
  in.Varint();          // flags
  std::string_view name = in.LengthPrefixed();
  if (!in.ok()) {
    spdlog::critical("storage: memtable span encoding corrupt (name); memory is corrupt");
    std::abort();
  }
  return name;
}

}  // namespace

size_t Memtable::OperationKeyHash::operator()(const OperationKey& k) const {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = (uint64_t{k.service} << 8 | static_cast<uint8_t>(k.kind)) ^ (k.name.size() * kMul);
  const char* p = k.name.data();
  size_t n = k.name.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * kMul;
  }
  return static_cast<size_t>(h ^ (h >> 32));
}

void Memtable::NoteOperation(uint32_t service, model::SpanKind kind, std::string_view name) {
  uint64_t probe = uint64_t{service} * 0x9E3779B97F4A7C15ull ^ static_cast<uint8_t>(kind) ^ name.size() << 8;
  if (!name.empty()) {
    probe ^= static_cast<uint64_t>(static_cast<uint8_t>(name.front())) << 16 ^
             static_cast<uint64_t>(static_cast<uint8_t>(name[name.size() / 2])) << 24 ^
             static_cast<uint64_t>(static_cast<uint8_t>(name.back())) << 32;
  }
  probe *= 0xC2B2AE3D27D4EB4Full;
  const CatalogOperation*& slot = operation_cache_[(probe >> 40) % kOperationCacheSlots];
  if (slot != nullptr && slot->service == service && slot->kind == kind && slot->name == name) return;
  auto it = operation_keys_.find(OperationKey{service, kind, name});
  if (it != operation_keys_.end()) {
    slot = &operations_[it->second];
    return;
  }
  const CatalogOperation& op = operations_.emplace_back(CatalogOperation{service, kind, std::string(name)});
  operation_keys_.emplace(OperationKey{service, kind, op.name}, static_cast<uint32_t>(operations_.size() - 1));
  slot = &op;
  service_has_span_[service] = 1;
  bytes_ += sizeof(CatalogOperation) + name.size() + 64;
}

uint32_t Memtable::InternScope(const model::Scope& s) {
  scratch_.clear();
  PutLengthPrefixed(&scratch_, s.name);
  PutLengthPrefixed(&scratch_, s.version);
  EncodeAttributes(s.attributes, &scratch_);
  PutVarint(&scratch_, s.dropped_attributes_count);
  scratch_.append(s.schema_url);
  auto [it, inserted] = scope_ids_.try_emplace(scratch_, static_cast<uint32_t>(scopes_.size()));
  if (inserted) {
    scopes_.push_back(s);
    bytes_ += scratch_.size() * 3;
  }
  return it->second;
}

void Memtable::Add(const model::SpanBatch& batch) {
  AddImpl(batch, [&](size_t i, uint32_t rm, uint32_t sm, std::string* dst) {
    EncodeSpan(batch.spans[i], rm, sm, dst);
  });
}

void Memtable::AddEncoded(const model::SpanBatch& batch, std::string_view encoded,
                          const std::vector<EncodedSpanRange>& ranges) {
  AddImpl(batch, [&](size_t i, uint32_t rm, uint32_t sm, std::string* dst) {
    const EncodedSpanRange& r = ranges[i];
    dst->append(encoded.data() + r.begin, r.indexes_begin - r.begin);
    PutVarint(dst, rm);
    PutVarint(dst, sm);
  });
}

template <typename AppendSpan>
void Memtable::AddImpl(const model::SpanBatch& batch, AppendSpan append_span) {
  // Announce the wait first: walks in progress see it between two callbacks
  // and give the lock up, and the writer-preferring lock keeps new readers out.
  writers_waiting_.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock lock(mu_);
  writers_waiting_.fetch_sub(1, std::memory_order_relaxed);
  adds_++;
  uint32_t res_map[16];
  uint32_t scope_map[16];
  std::vector<uint32_t> res_big, scope_big;  // only for batches with many resources
  uint32_t* rm = res_map;
  uint32_t* sm = scope_map;
  if (batch.resources.size() > 16) {
    res_big.resize(batch.resources.size());
    rm = res_big.data();
  }
  if (batch.scopes.size() > 16) {
    scope_big.resize(batch.scopes.size());
    sm = scope_big.data();
  }
  for (size_t i = 0; i < batch.resources.size(); ++i) rm[i] = InternResource(batch.resources[i]);
  for (size_t i = 0; i < batch.scopes.size(); ++i) sm[i] = InternScope(batch.scopes[i]);

  MemTrace* last = nullptr;
  model::TraceId last_id;
  for (size_t i = 0; i < batch.spans.size(); ++i) {
    const model::Span& s = batch.spans[i];
    if (last == nullptr || !(s.trace_id == last_id)) {
      auto [it, inserted] = positions_.try_emplace(s.trace_id, static_cast<uint32_t>(traces_.size()));
      if (inserted) {
        traces_.push_back(Entry{s.trace_id, MemTrace{}});
        bytes_ += sizeof(Entry) + sizeof(model::TraceId) + 40;  // deque slot + map node + bucket
      }
      last = &traces_[it->second].trace;
      last_id = s.trace_id;
    }
    if (last->span_count >= max_spans_per_trace_) {
      last->dropped_spans++;
      dropped_++;
      continue;
    }
    min_span_start_ns_ = std::min(min_span_start_ns_, s.start_time_unix_nano);
    max_span_start_ns_ = std::max(max_span_start_ns_, s.start_time_unix_nano);
    size_t capacity = last->encoded.capacity();
    size_t span_begin = last->encoded.size();
    append_span(i, rm[s.resource_index], sm[s.scope_index], &last->encoded);
    bytes_ += last->encoded.capacity() - capacity;
    NoteOperation(resource_service_[rm[s.resource_index]], s.kind, EncodedSpanName(last->encoded, span_begin));
    last->span_count++;
    last->min_start_ns = std::min(last->min_start_ns, s.start_time_unix_nano);
    last->max_duration_ns = std::max(last->max_duration_ns, s.DurationNanos());
    last->resource_bits |= 1ull << (rm[s.resource_index] % 64);
    if (s.status_code == model::StatusCode::kError)
      last->error_resource_bits |= 1ull << (rm[s.resource_index] % 64);
    if (!error_attribute_seen_.load(std::memory_order_relaxed) && HasErrorAttribute(s)) {
      error_attribute_seen_.store(true, std::memory_order_release);
    }
    spans_++;
  }
}

size_t Memtable::ApproximateBytes() const {
  std::shared_lock lock(mu_);
  return bytes_;
}
size_t Memtable::SpanCount() const {
  std::shared_lock lock(mu_);
  return spans_;
}
uint64_t Memtable::DroppedSpans() const {
  std::shared_lock lock(mu_);
  return dropped_;
}

size_t Memtable::GetTrace(const model::TraceId& id, model::SpanBatch* out) const {
  std::shared_lock lock(mu_);
  auto it = positions_.find(id);
  if (it == positions_.end()) return 0;
  const MemTrace& t = traces_[it->second].trace;
  size_t first = out->spans.size();
  out->spans.resize(first + t.span_count);
  ByteReader in(t.encoded);
  for (size_t i = first; i < out->spans.size(); ++i) {
    model::Span& s = out->spans[i];
    if (const char* what = DecodeSpan(in, &s)) {
      spdlog::critical("storage: memtable span encoding corrupt ({}); memory is corrupt", what);
      std::abort();
    }
    // Consecutive spans of a trace usually share resource and scope: reuse
    // the last one appended instead of copying it again.
    if (out->resources.empty() || !(out->resources.back() == resources_[s.resource_index])) {
      out->resources.push_back(resources_[s.resource_index]);
    }
    if (out->scopes.empty() || !(out->scopes.back() == scopes_[s.scope_index])) {
      out->scopes.push_back(scopes_[s.scope_index]);
    }
    s.resource_index = static_cast<uint32_t>(out->resources.size() - 1);
    s.scope_index = static_cast<uint32_t>(out->scopes.size() - 1);
  }
  return t.span_count;
}

namespace {

// Copies a trace for a callback that runs without the lock, reusing dst's
// buffer (MemTrace's copy-assignment would allocate a fresh one each time).
void CopyTrace(const MemTrace& src, MemTrace* dst) {
  static_assert(sizeof(MemTrace) == sizeof(std::string) + 40, "copy every MemTrace field here");
  dst->encoded.assign(src.encoded);
  dst->span_count = src.span_count;
  dst->dropped_spans = src.dropped_spans;
  dst->min_start_ns = src.min_start_ns;
  dst->max_duration_ns = src.max_duration_ns;
  dst->resource_bits = src.resource_bits;
  dst->error_resource_bits = src.error_resource_bits;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

size_t Memtable::Walk(size_t begin, size_t end, bool newest_first, const TraceFn& fn) const {
  // Callbacks per cost sample; mean callback cost above which the walk
  // copies traces out (a summary check costs ~10 ns, decoding a trace µs);
  // how much one copy-out takes.
  constexpr size_t kSample = 64;
  constexpr int64_t kExpensiveNs = 1000;
  constexpr size_t kCopyTraces = 32;
  constexpr size_t kCopyBytes = 256 << 10;
  std::shared_lock lock(mu_);
  end = std::min(end, traces_.size());
  begin = std::min(begin, end);
  size_t pos = newest_first ? end : begin;
  auto more = [&] { return newest_first ? pos > begin : pos < end; };
  auto next = [&]() -> const Entry& { return newest_first ? traces_[--pos] : traces_[pos++]; };
  bool copy_out = false;
  std::vector<Entry> copies;  // reused across copy-outs
  while (more()) {
    if (!lock.owns_lock()) lock.lock();  // blocks while a writer waits (writer preference)
    if (!copy_out) {
      // Under the lock, until a writer waits; the cost sample decides
      // whether the rest of the walk copies out.
      const int64_t t0 = NowNs();
      size_t n = 0;
      bool writer_waits = false;
      while (more() && n < kSample && !writer_waits) {
        const Entry& e = next();
        ++n;
        if (!fn(e.id, e.trace)) return pos;
        writer_waits = writers_waiting_.load(std::memory_order_relaxed) != 0;
      }
      if (n == kSample && (NowNs() - t0) / static_cast<int64_t>(n) > kExpensiveNs) copy_out = true;
      if (writer_waits || copy_out) lock.unlock();
    } else {
      size_t n = 0, bytes = 0;
      const size_t first = pos;
      while (more() && n < kCopyTraces && bytes < kCopyBytes) {
        const Entry& e = next();
        if (copies.size() <= n) copies.emplace_back();
        copies[n].id = e.id;
        CopyTrace(e.trace, &copies[n].trace);
        bytes += e.trace.encoded.size();
        ++n;
      }
      lock.unlock();
      const int64_t t0 = NowNs();
      for (size_t i = 0; i < n; ++i) {
        if (!fn(copies[i].id, copies[i].trace)) return newest_first ? first - i - 1 : first + i + 1;
      }
      // Cheap callbacks again (e.g. past the traces a search wanted): back
      // to calling under the lock, which costs no copies.
      if (n == kCopyTraces && (NowNs() - t0) / static_cast<int64_t>(n) < kExpensiveNs / 4) copy_out = false;
    }
  }
  return pos;
}

void Memtable::ForEachTrace(const TraceFn& fn) const { Walk(0, SIZE_MAX, false, fn); }

void Memtable::ForEachTraceNewestFirst(const TraceFn& fn) const { Walk(0, SIZE_MAX, true, fn); }

size_t Memtable::ForEachTraceIn(size_t begin, size_t end, const TraceFn& fn) const {
  return Walk(begin, end, false, fn);
}

size_t Memtable::TraceCount() const {
  std::shared_lock lock(mu_);
  return traces_.size();
}

void Memtable::ForEachTraceSorted(
    const std::function<bool(const model::TraceId&, const MemTrace&)>& fn) const {
  std::shared_lock lock(mu_);
  std::vector<const Entry*> order;
  order.reserve(traces_.size());
  for (const auto& e : traces_) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (auto* e : order) {
    if (!fn(e->id, e->trace)) return;
  }
}

std::vector<std::pair<model::TraceId, const MemTrace*>> Memtable::SortedTraces() const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<model::TraceId, const MemTrace*>> out;
  out.reserve(traces_.size());
  for (const auto& e : traces_) {
    if (e.trace.span_count != 0) out.emplace_back(e.id, &e.trace);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<std::string> Memtable::Services() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (size_t i = 0; i < service_names_.size(); ++i) {
    if (service_has_span_[i]) out.push_back(service_names_[i]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Operation> Memtable::Operations(std::string_view service, std::optional<model::SpanKind> kind) const {
  std::shared_lock lock(mu_);
  std::vector<Operation> out;
  auto it = service_numbers_.find(std::string(service));
  if (it == service_numbers_.end()) return out;
  for (const auto& op : operations_) {
    if (op.service == it->second && (!kind || op.kind == *kind)) out.push_back(Operation{op.name, op.kind});
  }
  return out;
}

std::vector<DependencyLink> Memtable::Dependencies(uint64_t start_ns, uint64_t end_ns) const {
  bool whole_range;
  uint64_t version;
  {
    std::shared_lock lock(mu_);
    whole_range = spans_ == 0 || (start_ns <= min_span_start_ns_ && max_span_start_ns_ <= end_ns);
    version = adds_;
  }
  if (whole_range) {
    std::lock_guard g(deps_mu_);
    if (deps_cache_ && deps_cache_->version == version) return deps_cache_->links;
  }
  // Counted by service number pair (parent << 32 | child): no strings per call.
  std::unordered_map<uint64_t, std::pair<uint64_t, uint64_t>> calls;
  std::unordered_map<uint64_t, uint32_t> service_of;  // span id -> service number, per trace
  std::vector<model::Span> spans;
  ForEachTrace([&](const model::TraceId&, const MemTrace& t) {
    DecodeSpans(t, &spans);
    service_of.clear();
    for (const auto& s : spans) service_of[s.span_id.value] = resource_service_[s.resource_index];
    for (const auto& s : spans) {
      if (s.start_time_unix_nano < start_ns || s.start_time_unix_nano > end_ns || s.parent_span_id.IsZero()) continue;
      auto it = service_of.find(s.parent_span_id.value);
      uint32_t child = resource_service_[s.resource_index];
      if (it == service_of.end() || it->second == child) continue;
      auto& v = calls[uint64_t{it->second} << 32 | child];
      v.first++;
      if (s.status_code == model::StatusCode::kError) v.second++;
    }
    return true;
  });
  auto cache = std::make_shared<DependencyCache>();
  bool unchanged;
  {
    std::shared_lock lock(mu_);
    cache->links.reserve(calls.size());
    for (const auto& [key, v] : calls) {
      cache->links.push_back(DependencyLink{service_names_[key >> 32], service_names_[key & 0xffffffffu], v.first, v.second});
    }
    unchanged = adds_ == version;
  }
  // Cache only an answer no Add raced with: then it is exactly the memtable's.
  if (whole_range && unchanged) {
    cache->version = version;
    std::lock_guard g(deps_mu_);
    deps_cache_ = cache;
    return cache->links;
  }
  return std::move(cache->links);
}

}  // namespace tracery::storage
