#include "storage/trace_search.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <deque>
#include <optional>

#include "storage/span_matcher.h"

namespace tracery::storage {

Result<SearchCursor> ParseSearchCursor(const std::string& text) {
  SearchCursor c;
  if (text.empty()) return c;
  size_t colon = text.find(':');
  std::optional<model::TraceId> id;
  if (colon != std::string::npos) id = model::TraceId::FromHex(std::string_view(text).substr(colon + 1));
  auto [p, ec] = std::from_chars(text.data(), text.data() + (colon == std::string::npos ? 0 : colon), c.key);
  if (colon == std::string::npos || !id || ec != std::errc() || p != text.data() + colon) {
    return Status::InvalidArgument("malformed cursor; pass FindResult.next_cursor unchanged");
  }
  c.set = true;
  c.id = *id;
  return c;
}

std::string FormatSearchCursor(uint64_t key, const model::TraceId& id) {
  return std::to_string(key) + ":" + id.ToHex();
}

namespace {

constexpr uint32_t kNoRef = UINT32_MAX;
// Below this many new candidates a memtable is probed per trace id
// (Memtable::GetTrace); above it one pass over the memtable is cheaper.
constexpr size_t kMaxMemtableProbes = 256;

// One trace being considered: its parts merged so far.
struct Cand {
  model::TraceId id;
  uint64_t start_ns = UINT64_MAX;
  uint64_t end_ns = 0;
  uint32_t span_count = 0;
  uint32_t error_count = 0;
  bool has_root = false;
  bool candidate = false;  // satisfies the candidacy rule (see trace_search.h)
  enum State : uint8_t { kUnverified, kMatch, kRejected } state = kUnverified;
  uint64_t root_start_ns = UINT64_MAX;
  // The source the root came from (memtables first, then segments by
  // number): among equal roots the first source wins, as in the reference,
  // whichever order the parts are folded in.
  uint32_t root_rank = UINT32_MAX;
  // Into a segment dictionary (kept alive by SegCtx) or Searcher::owned_.
  const std::string* root_service = nullptr;
  const std::string* root_operation = nullptr;
  uint64_t mask = 0;            // conditions confirmed
  uint32_t first_ref = kNoRef;  // chain of VerifyRefs: segment parts that must be decoded to confirm
};

// A segment part whose spans may satisfy `conds` (the posting lists cannot
// tell for sure).
struct VerifyRef {
  uint32_t seg;
  uint32_t ordinal;
  uint64_t conds;
  uint32_t next;
};

struct SegCtx {
  SegmentReader* reader = nullptr;
  std::shared_ptr<const SegmentTraceTable> table;
  std::shared_ptr<const std::vector<std::string>> dict;
  bool in_range = false;   // its starts overlap the query range: its parts can make candidates
  bool in_window = false;  // within max_trace_duration of the range: its parts are merged
  bool postings = false;
  // No tag key of the query is in the segment's dictionary, so no span or
  // event attribute can match a tag: verification decodes no attributes.
  bool attribute_free = false;
  bool unnarrowed = false;  // some condition's postings cannot narrow: every part may match
  std::vector<std::optional<std::vector<uint32_t>>> cond_cands;
  // The same as bitsets over the ordinals (empty: the condition's postings
  // cannot narrow), and their union: membership tests without binary search.
  std::vector<std::vector<uint64_t>> cond_bits;
  std::vector<uint64_t> any_bits;
  std::vector<uint8_t> exact;
  std::shared_ptr<const std::vector<uint32_t>> by_start;
  size_t walk = 0;              // by_start[0, walk) not yet examined (newest-first walk)
  std::vector<uint8_t> folded;  // per ordinal: already folded into its candidate (CollectAll)
};

// Whether a root (has_root, start, source rank) names the trace rather than
// the current one: a real root over a stand-in, then the earliest, then the
// first source.
bool BetterRoot(bool has_root, uint64_t start_ns, uint32_t rank, const Cand& c) {
  if (has_root != c.has_root) return has_root;
  if (start_ns != c.root_start_ns) return start_ns < c.root_start_ns;
  return rank < c.root_rank;
}

// Trace id -> index into the candidates, open addressing: a search may
// hold every trace of the range (duration orders), and node-based maps spent
// more time allocating and freeing than the search spent searching.
class CandIndex {
 public:
  static constexpr uint32_t kMissing = UINT32_MAX;
  // The value stored for `id`, or kMissing. id_of(value) is the id stored
  // with a value.
  template <typename IdOf>
  uint32_t Find(const model::TraceId& id, IdOf id_of) const {
    if (slots_.empty()) return kMissing;
    const uint64_t h = Hash(id);
    const uint64_t fp = h >> 32;
    for (size_t i = Slot(h);; i = (i + 1) & mask_) {
      const uint64_t e = slots_[i];
      if (e == kEmpty) return kMissing;
      // The stored fingerprint spares a cache miss on the candidate for
      // every probe that is not a hit.
      if ((e >> 32) == fp && SameId(id_of(static_cast<uint32_t>(e)), id)) return static_cast<uint32_t>(e);
    }
  }
  // Room for `n` ids without rehashing. REQUIRES: the index is empty.
  void Reserve(size_t n) {
    size_t cap = 64;
    while (cap < n * 2) cap *= 2;
    if (cap > slots_.size()) Resize(cap);
  }
  // Inserts id -> value unless present; returns the value stored for id.
  template <typename IdOf>
  uint32_t Insert(const model::TraceId& id, uint32_t value, IdOf id_of) {
    if ((size_ + 1) * 2 > slots_.size()) Grow(id_of);
    const uint64_t h = Hash(id);
    const uint64_t fp = h >> 32;
    for (size_t i = Slot(h);; i = (i + 1) & mask_) {
      const uint64_t e = slots_[i];
      if (e == kEmpty) {
        slots_[i] = fp << 32 | value;
        size_++;
        return value;
      }
      if ((e >> 32) == fp && SameId(id_of(static_cast<uint32_t>(e)), id)) return static_cast<uint32_t>(e);
    }
  }

 private:
  static constexpr uint64_t kEmpty = UINT64_MAX;
  // Both halves of the id mixed into every bit (test ids often differ only
  // in a few bytes); the top 32 bits are the fingerprint.
  static uint64_t Hash(const model::TraceId& id) {
    uint64_t a, b;
    std::memcpy(&a, id.bytes.data(), 8);
    std::memcpy(&b, id.bytes.data() + 8, 8);
    return a * 0x9E3779B97F4A7C15ULL + b * 0xC2B2AE3D27D4EB4FULL;
  }
  size_t Slot(uint64_t h) const { return static_cast<size_t>(h ^ (h >> 29)) & mask_; }
  // Two 8-byte compares; the defaulted operator== calls memcmp here.
  static bool SameId(const model::TraceId& a, const model::TraceId& b) {
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a.bytes.data(), 8);
    std::memcpy(&a1, a.bytes.data() + 8, 8);
    std::memcpy(&b0, b.bytes.data(), 8);
    std::memcpy(&b1, b.bytes.data() + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  void Resize(size_t cap) {
    slots_.assign(cap, kEmpty);
    mask_ = cap - 1;
  }
  template <typename IdOf>
  void Grow(IdOf id_of) {
    std::vector<uint64_t> old = std::move(slots_);
    Resize(std::max<size_t>(64, old.size() * 2));
    for (uint64_t e : old) {
      if (e == kEmpty) continue;
      size_t i = Slot(Hash(id_of(static_cast<uint32_t>(e))));
      while (slots_[i] != kEmpty) i = (i + 1) & mask_;
      slots_[i] = e;
    }
  }
  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

struct MemPart {
  uint64_t start_ns;
  model::TraceId id;
};

class Searcher {
 public:
  Searcher(const SearchSources& src, const TraceQuery& q, uint64_t max_trace_duration_ns,
           std::chrono::steady_clock::time_point deadline)
      : src_(src),
        q_(q),
        order_{q.order},
        deadline_(deadline),
        nconds_(q.span_conditions.size()),
        all_mask_(nconds_ == 64 ? ~0ull : ((1ull << nconds_) - 1)) {
    window_lo_ =
        q.start_time_min_ns > max_trace_duration_ns ? q.start_time_min_ns - max_trace_duration_ns : 0;
    window_hi_ = q.start_time_max_ns > UINT64_MAX - max_trace_duration_ns
                     ? UINT64_MAX
                     : q.start_time_max_ns + max_trace_duration_ns;
    need_ = q.limit == 0 ? SIZE_MAX : q.limit + 1;
    for (const auto& c : q.span_conditions) tagless_ = tagless_ && c.tags.empty();
  }

  Result<FindResult> Run();

 private:
  bool InRange(uint64_t s) const { return s >= q_.start_time_min_ns && s <= q_.start_time_max_ns; }
  bool Expired() const { return std::chrono::steady_clock::now() > deadline_; }
  Status Timeout() const {
    return Status::DeadlineExceeded("trace search ran past its " + std::to_string(q_.timeout_ms) +
                                    " ms budget; narrow the time range or add conditions");
  }
  uint64_t Key(const Cand& c) const { return order_.Key(c.start_ns, c.end_ns); }
  bool Before(uint32_t a, uint32_t b) const {
    return order_.Before(Key(cands_[a]), cands_[a].id, Key(cands_[b]), cands_[b].id);
  }

  Status Init();
  Status EnsurePostings(SegCtx& s);
  bool PartMayMatch(const SegCtx& s, uint32_t o) const;
  // The index of the candidate for `id`, added if new.
  uint32_t AddCandidate(const model::TraceId& id);
  // New candidates whose candidate-making part starts in [lo, hi]
  // (newest-first walk; parts above hi were taken by earlier slices).
  Status CollectSlice(uint64_t lo);
  // Every candidate in the query range.
  Status CollectAll();
  // Folds every part of cands_[first..] from every source in the window,
  // then moves those that pass the summary checks (candidacy, range,
  // trace duration, cursor, span durations) into pool_.
  Status Merge(size_t first);
  template <typename ServiceOf, typename ResourceOf>
  void FoldMemtablePart(Cand& c, uint32_t rank, const std::vector<model::Span>& spans, ServiceOf service_of,
                        ResourceOf resource_of);
  Status FoldSegmentPart(Cand& c, uint32_t seg, uint32_t o);
  Status Verify(const std::vector<uint32_t>& batch);
  // Walks pool_ in result order, verifying as it goes, up to candidates
  // whose key is below `bound` (most recent order: not final yet). Returns
  // true when need_ matches were confirmed.
  Result<bool> Walk(bool bounded, uint64_t bound);

  const SearchSources& src_;
  const TraceQuery& q_;
  const SearchOrder order_;
  const std::chrono::steady_clock::time_point deadline_;
  const size_t nconds_;
  const uint64_t all_mask_;
  uint64_t window_lo_ = 0, window_hi_ = 0;
  size_t need_ = 0;
  bool tagless_ = true;  // no condition has tags: verification needs no attributes
  SearchCursor cursor_;

  std::vector<SegCtx> segs_;
  std::vector<MemPart> mem_parts_;  // memtable parts that may make candidates; [0, mem_left_) unexamined
  size_t mem_left_ = 0;
  std::vector<Cand> cands_;
  CandIndex index_;  // id -> cands_ index
  std::vector<VerifyRef> refs_;
  std::vector<uint32_t> pool_;      // candidates that pass every check but the span conditions
  std::vector<uint32_t> matches_;   // confirmed, in result order (filled by Walk)
  std::deque<std::string> owned_;   // root names from memtable parts
  std::vector<model::Span> spans_;  // decode scratch
  model::SpanBatch batch_;          // GetTrace scratch
};

// True when no string of `keys` is in `dict`. A linear pass: a
// dictionary holds the distinct strings of one segment (tens of thousands
// at most), and comparing lengths first makes most comparisons one load.
bool NoneInDictionary(const std::vector<std::string>& dict, const std::vector<std::string_view>& keys) {
  for (const auto& str : dict) {
    for (std::string_view k : keys) {
      if (str.size() == k.size() && str == k) return false;
    }
  }
  return true;
}

Status Searcher::Init() {
  // Attribute keys the conditions' tags name; a segment whose dictionary has
  // none of them is verified without decoding attributes (SpanMatches then
  // still sees status, kind and the resource's attributes, which are all a
  // tag can match there).
  std::vector<std::string_view> tag_keys;
  for (const auto& c : q_.span_conditions) {
    for (const auto& t : c.tags) tag_keys.push_back(t.key);
  }
  for (const auto& r : src_.segments) {
    SegCtx s;
    s.reader = r.get();
    s.in_window = !(r->max_start_ns() < window_lo_ || r->min_start_ns() > window_hi_);
    s.in_range = !(r->max_start_ns() < q_.start_time_min_ns || r->min_start_ns() > q_.start_time_max_ns);
    if (s.in_window) {
      auto table = r->Traces();
      if (!table.ok()) return table.status();
      s.table = std::move(*table);
      auto dict = r->Dictionary();
      if (!dict.ok()) return dict.status();
      s.dict = std::move(*dict);
      s.attribute_free = tagless_ || NoneInDictionary(*s.dict, tag_keys);
    }
    segs_.push_back(std::move(s));
  }
  for (const auto& m : src_.memtables) {
    // Per condition, the bits of the resources with its service; the
    // resource table may grow during the walk, so they are recomputed when
    // it has (only ever extending them, from the resources not yet seen).
    std::vector<uint64_t> service_bits(nconds_, 0);
    size_t resources_seen = 0;
    for (size_t c = 0; c < nconds_; ++c) {
      if (q_.span_conditions[c].service.empty()) service_bits[c] = ~0ull;
    }
    const bool error_attribute_possible = m->MayHoldErrorAttribute();
    m->ForEachTrace([&](const model::TraceId& id, const MemTrace& t) {
      if (t.span_count == 0 || !InRange(t.min_start_ns)) return true;
      if (nconds_ != 0) {
        const size_t resources = m->resource_count();
        for (; resources_seen < resources; ++resources_seen) {
          const std::string_view svc = m->resource(static_cast<uint32_t>(resources_seen)).ServiceName();
          for (size_t c = 0; c < nconds_; ++c) {
            if (svc == q_.span_conditions[c].service) service_bits[c] |= 1ull << (resources_seen % 64);
          }
        }
        bool any = false;
        for (size_t c = 0; c < nconds_ && !any; ++c)
          any = MayMatch(t, q_.span_conditions[c], service_bits[c], error_attribute_possible);
        if (!any) return true;
      }
      mem_parts_.push_back(MemPart{t.min_start_ns, id});
      return true;
    });
  }
  mem_left_ = mem_parts_.size();
  return Status::Ok();
}

Status Searcher::EnsurePostings(SegCtx& s) {
  if (s.postings || nconds_ == 0) return Status::Ok();
  s.cond_cands.resize(nconds_);
  s.exact.resize(nconds_);
  for (size_t c = 0; c < nconds_; ++c) {
    bool exact = false;
    auto cand = s.reader->Candidates(q_.span_conditions[c], &exact);
    if (!cand.ok()) return cand.status();
    s.exact[c] = exact;
    if (!cand->has_value()) s.unnarrowed = true;
    s.cond_cands[c] = std::move(*cand);
  }
  const size_t words = (s.table->ids.size() + 63) / 64;
  s.cond_bits.resize(nconds_);
  s.any_bits.assign(words, 0);
  for (size_t c = 0; c < nconds_; ++c) {
    if (!s.cond_cands[c]) continue;
    auto& bits = s.cond_bits[c];
    bits.assign(words, 0);
    for (uint32_t o : *s.cond_cands[c]) {
      if (o / 64 < words) bits[o / 64] |= 1ull << (o % 64);
    }
    for (size_t w = 0; w < words; ++w) s.any_bits[w] |= bits[w];
  }
  s.postings = true;
  return Status::Ok();
}

namespace {
bool TestBit(const std::vector<uint64_t>& bits, uint32_t o) {
  return (bits[o / 64] >> (o % 64)) & 1;
}
}  // namespace

bool Searcher::PartMayMatch(const SegCtx& s, uint32_t o) const {
  return nconds_ == 0 || s.unnarrowed || TestBit(s.any_bits, o);
}

uint32_t Searcher::AddCandidate(const model::TraceId& id) {
  const uint32_t next = static_cast<uint32_t>(cands_.size());
  const uint32_t i = index_.Insert(
      id, next, [&](uint32_t i) -> const model::TraceId& { return i == next ? id : cands_[i].id; });
  if (i == next) {
    cands_.emplace_back();
    cands_.back().id = id;
  }
  return i;
}

Status Searcher::CollectSlice(uint64_t lo) {
  auto first = std::partition(mem_parts_.begin(), mem_parts_.begin() + mem_left_,
                              [&](const MemPart& p) { return p.start_ns < lo; });
  for (auto it = first; it != mem_parts_.begin() + mem_left_; ++it) AddCandidate(it->id);
  mem_left_ = first - mem_parts_.begin();
  for (auto& s : segs_) {
    if (!s.in_range) continue;
    if (!s.by_start) {
      auto order = s.reader->OrdinalsByStart();
      if (!order.ok()) return order.status();
      s.by_start = std::move(*order);
      const auto& start = s.table->start_ns;
      // Skip parts after the range: they never make candidates.
      s.walk = std::partition_point(s.by_start->begin(), s.by_start->end(),
                                    [&](uint32_t o) { return start[o] <= q_.start_time_max_ns; }) -
               s.by_start->begin();
    }
    if (s.walk == 0 || s.table->start_ns[(*s.by_start)[s.walk - 1]] < lo) continue;
    TRACERY_RETURN_IF_ERROR(EnsurePostings(s));
    const auto& tt = *s.table;
    while (s.walk > 0) {
      uint32_t o = (*s.by_start)[s.walk - 1];
      if (tt.start_ns[o] < lo) break;
      --s.walk;
      if (InRange(tt.start_ns[o]) && PartMayMatch(s, o)) AddCandidate(tt.ids[o]);
    }
  }
  return Status::Ok();
}

Status Searcher::CollectAll() {
  // Usually every trace in range is a candidate: size for that up front
  // (growing a vector of candidates moves all of them).
  size_t expect = mem_parts_.size();
  for (const auto& s : segs_) expect += s.in_range ? s.table->ids.size() : 0;
  if (cands_.empty()) {
    index_.Reserve(expect);
    cands_.reserve(expect);
  }
  for (const auto& p : mem_parts_) AddCandidate(p.id);
  mem_left_ = 0;
  // The segment parts that make candidates are folded right away, while
  // their table rows are in cache; Merge then skips them.
  for (uint32_t seg = 0; seg < segs_.size(); ++seg) {
    SegCtx& s = segs_[seg];
    if (!s.in_range) continue;
    TRACERY_RETURN_IF_ERROR(EnsurePostings(s));
    const auto& tt = *s.table;
    s.folded.assign(tt.ids.size(), 0);
    auto take = [&](uint32_t o) -> Status {
      if (s.folded[o] || !InRange(tt.start_ns[o])) return Status::Ok();
      s.folded[o] = 1;
      const uint32_t i = AddCandidate(tt.ids[o]);
      return FoldSegmentPart(cands_[i], seg, o);
    };
    if (nconds_ == 0 || s.unnarrowed) {
      for (uint32_t o = 0; o < tt.ids.size(); ++o) TRACERY_RETURN_IF_ERROR(take(o));
    } else {
      for (const auto& list : s.cond_cands) {
        for (uint32_t o : *list) {
          if (o < tt.ids.size()) TRACERY_RETURN_IF_ERROR(take(o));
        }
      }
    }
    if (Expired()) return Timeout();
  }
  return Status::Ok();
}

template <typename ServiceOf, typename ResourceOf>
void Searcher::FoldMemtablePart(Cand& c, uint32_t rank, const std::vector<model::Span>& spans,
                                ServiceOf service_of, ResourceOf resource_of) {
  // The same summary TracePartial computes, without its string copies
  // unless this part holds the trace's root.
  uint64_t start = UINT64_MAX, end = 0, root_start = UINT64_MAX;
  uint32_t errors = 0;
  bool has_root = false;
  const model::Span* root = nullptr;
  for (const auto& s : spans) {
    start = std::min(start, s.start_time_unix_nano);
    end = std::max(end, std::max(s.end_time_unix_nano, s.start_time_unix_nano));
    if (s.status_code == model::StatusCode::kError) errors++;
    bool is_root = s.parent_span_id.IsZero();
    if ((is_root && !has_root) || (is_root == has_root && s.start_time_unix_nano < root_start)) {
      has_root = is_root;
      root_start = s.start_time_unix_nano;
      root = &s;
    }
  }
  c.start_ns = std::min(c.start_ns, start);
  c.end_ns = std::max(c.end_ns, end);
  c.span_count += static_cast<uint32_t>(spans.size());
  c.error_count += errors;
  if (root && BetterRoot(has_root, root_start, rank, c)) {
    c.has_root = has_root;
    c.root_start_ns = root_start;
    c.root_rank = rank;
    owned_.emplace_back(service_of(*root));
    c.root_service = &owned_.back();
    owned_.push_back(root->name);
    c.root_operation = &owned_.back();
  }
  const bool decides_candidacy = !c.candidate && InRange(start);
  bool part_matches = nconds_ == 0;
  for (size_t k = 0; k < nconds_; ++k) {
    const uint64_t bit = 1ull << k;
    if ((c.mask & bit) && !(decides_candidacy && !part_matches)) continue;
    for (const auto& s : spans) {
      if (SpanMatches(q_.span_conditions[k], s, resource_of(s))) {
        c.mask |= bit;
        part_matches = true;
        break;
      }
    }
  }
  if (decides_candidacy && part_matches) c.candidate = true;
}

Status Searcher::FoldSegmentPart(Cand& c, uint32_t seg, uint32_t o) {
  SegCtx& s = segs_[seg];
  const auto& tt = *s.table;
  c.start_ns = std::min(c.start_ns, tt.start_ns[o]);
  c.end_ns = std::max(c.end_ns, tt.end_ns[o]);
  c.span_count += tt.span_count[o];
  c.error_count += tt.error_count[o];
  const bool has_root = tt.has_root[o] != 0;
  const uint32_t rank = static_cast<uint32_t>(src_.memtables.size()) + seg;
  if (BetterRoot(has_root, tt.root_start_ns[o], rank, c)) {
    c.has_root = has_root;
    c.root_start_ns = tt.root_start_ns[o];
    c.root_rank = rank;
    c.root_service = &(*s.dict)[tt.root_service[o]];
    c.root_operation = &(*s.dict)[tt.root_operation[o]];
  }
  if (nconds_ == 0) {
    if (s.in_range && InRange(tt.start_ns[o])) c.candidate = true;
    return Status::Ok();
  }
  TRACERY_RETURN_IF_ERROR(EnsurePostings(s));
  if (!c.candidate && s.in_range && InRange(tt.start_ns[o]) && PartMayMatch(s, o)) c.candidate = true;
  uint64_t verify = 0;
  for (size_t k = 0; k < nconds_; ++k) {
    const uint64_t bit = 1ull << k;
    if (c.mask & bit) continue;
    if (s.cond_cands[k] && !TestBit(s.cond_bits[k], o)) continue;
    if (s.exact[k]) {
      c.mask |= bit;
    } else {
      verify |= bit;
    }
  }
  if (verify != 0) {
    refs_.push_back(VerifyRef{seg, o, verify, c.first_ref});
    c.first_ref = static_cast<uint32_t>(refs_.size() - 1);
  }
  return Status::Ok();
}

Status Searcher::Merge(size_t first) {
  const size_t n = cands_.size() - first;
  if (n == 0) return Status::Ok();
  auto fresh = [&](const model::TraceId& id) -> Cand* {
    const uint32_t i = index_.Find(id, [&](uint32_t i) -> const model::TraceId& { return cands_[i].id; });
    return i == CandIndex::kMissing || i < first ? nullptr : &cands_[i];
  };
  for (uint32_t rank = 0; rank < src_.memtables.size(); ++rank) {
    const auto& m = src_.memtables[rank];
    if (n <= kMaxMemtableProbes) {
      for (size_t i = first; i < cands_.size(); ++i) {
        batch_.spans.clear();
        batch_.resources.clear();
        batch_.scopes.clear();
        if (m->GetTrace(cands_[i].id, &batch_) == 0) continue;
        FoldMemtablePart(
            cands_[i], rank, batch_.spans,
            [&](const model::Span& s) { return batch_.resources[s.resource_index].ServiceName(); },
            [&](const model::Span& s) -> const model::Resource& {
              return batch_.resources[s.resource_index];
            });
      }
    } else {
      m->ForEachTrace([&](const model::TraceId& id, const MemTrace& t) {
        if (t.span_count == 0) return true;
        Cand* c = fresh(id);
        if (c == nullptr) return true;
        DecodeSpans(t, &spans_);
        FoldMemtablePart(
            *c, rank, spans_,
            [&](const model::Span& s) { return m->resource(s.resource_index).ServiceName(); },
            [&](const model::Span& s) -> const model::Resource& { return m->resource(s.resource_index); });
        return true;
      });
    }
  }
  if (Expired()) return Timeout();
  for (uint32_t seg = 0; seg < segs_.size(); ++seg) {
    const SegCtx& s = segs_[seg];
    if (!s.in_window) continue;
    const auto& tt = *s.table;
    // Probing costs a bloom check and a binary search per candidate;
    // scanning costs a hash lookup per trace of the segment.
    if (n * 8 < tt.ids.size()) {
      for (size_t i = first; i < cands_.size(); ++i) {
        if (!s.reader->MayContain(cands_[i].id)) continue;
        int64_t o = tt.Find(cands_[i].id);
        if (o >= 0 && (s.folded.empty() || !s.folded[o])) {
          TRACERY_RETURN_IF_ERROR(FoldSegmentPart(cands_[i], seg, static_cast<uint32_t>(o)));
        }
      }
    } else {
      for (uint32_t o = 0; o < tt.ids.size(); ++o) {
        if (!s.folded.empty() && s.folded[o]) continue;
        Cand* c = fresh(tt.ids[o]);
        if (c != nullptr) TRACERY_RETURN_IF_ERROR(FoldSegmentPart(*c, seg, o));
      }
    }
  }
  if (Expired()) return Timeout();
  for (size_t i = first; i < cands_.size(); ++i) {
    Cand& c = cands_[i];
    const uint64_t d = c.end_ns > c.start_ns ? c.end_ns - c.start_ns : 0;
    bool keep = c.candidate && InRange(c.start_ns) &&
                !(q_.min_trace_duration_ns && d < q_.min_trace_duration_ns) &&
                !(q_.max_trace_duration_ns && d > q_.max_trace_duration_ns) &&
                !(cursor_.set && !order_.Before(cursor_.key, cursor_.id, Key(c), c.id));
    // A span lies within its trace, so a condition on spans longer than
    // the whole trace cannot hold: no need to decode to find that out.
    for (size_t k = 0; k < nconds_ && keep; ++k) keep = q_.span_conditions[k].min_duration_ns <= d;
    if (!keep) {
      c.state = Cand::kRejected;
      continue;
    }
    if (c.mask == all_mask_) c.state = Cand::kMatch;
    pool_.push_back(static_cast<uint32_t>(i));
  }
  return Status::Ok();
}

Status Searcher::Verify(const std::vector<uint32_t>& batch) {
  struct Work {
    uint32_t ordinal;
    uint32_t cand;
    uint64_t conds;
  };
  std::vector<std::vector<Work>> by_seg(segs_.size());
  for (uint32_t i : batch) {
    Cand& c = cands_[i];
    if (c.state != Cand::kUnverified) continue;
    uint64_t pending = 0;
    for (uint32_t r = c.first_ref; r != kNoRef; r = refs_[r].next) pending |= refs_[r].conds;
    if (((c.mask | pending) & all_mask_) != all_mask_) {
      c.state = Cand::kRejected;  // some condition no part can satisfy
      continue;
    }
    for (uint32_t r = c.first_ref; r != kNoRef; r = refs_[r].next) {
      by_seg[refs_[r].seg].push_back(Work{refs_[r].ordinal, i, refs_[r].conds});
    }
  }
  for (uint32_t seg = 0; seg < segs_.size(); ++seg) {
    auto& work = by_seg[seg];
    if (work.empty()) continue;
    std::sort(work.begin(), work.end(), [](const Work& a, const Work& b) { return a.ordinal < b.ordinal; });
    auto& r = *segs_[seg].reader;
    auto range_of = [&](uint32_t o) {
      return std::equal_range(work.begin(), work.end(), Work{o, 0, 0},
                              [](const Work& a, const Work& b) { return a.ordinal < b.ordinal; });
    };
    auto want = [&](uint32_t o) {
      auto [b, e] = range_of(o);
      return b != e;
    };
    auto check = [&](uint32_t o, const std::vector<model::Span>& spans) {
      auto [b, e] = range_of(o);
      for (auto w = b; w != e; ++w) {
        Cand& c = cands_[w->cand];
        for (size_t k = 0; k < nconds_; ++k) {
          const uint64_t bit = 1ull << k;
          if (!(w->conds & bit) || (c.mask & bit)) continue;
          for (const auto& s : spans) {
            if (SpanMatches(q_.span_conditions[k], s, r.resources()[s.resource_index])) {
              c.mask |= bit;
              break;
            }
          }
        }
      }
      return !Expired();
    };
    // Conditions that read no attributes here (no tags, or no tag key in
    // this segment) need a third of the columns.
    Status st =
        segs_[seg].attribute_free ? r.ForEachTraceTimesAndNames(want, check) : r.ForEachTrace(want, check);
    if (!st.ok()) return st;
    if (Expired()) return Timeout();
  }
  for (uint32_t i : batch) {
    Cand& c = cands_[i];
    if (c.state == Cand::kUnverified) c.state = c.mask == all_mask_ ? Cand::kMatch : Cand::kRejected;
  }
  return Status::Ok();
}

Result<bool> Searcher::Walk(bool bounded, uint64_t bound) {
  // Sorted lazily, a prefix at a time: a duration-ordered pool may hold
  // every trace of the range, and the walk usually stops near its start.
  auto before = [&](uint32_t a, uint32_t b) { return Before(a, b); };
  size_t sorted = 0;
  auto sort_to = [&](size_t upto) {
    upto = std::min(std::max(upto, sorted * 2), pool_.size());
    if (upto <= sorted) return;
    if (upto < pool_.size())
      std::nth_element(pool_.begin() + sorted, pool_.begin() + upto, pool_.end(), before);
    std::sort(pool_.begin() + sorted, pool_.begin() + upto, before);
    sorted = upto;
  };
  sort_to(need_ == SIZE_MAX ? pool_.size() : std::max<size_t>(256, 8 * need_));
  matches_.clear();
  std::vector<uint32_t> batch;
  // Verify runs of undecided candidates together: decoding is per row
  // group, so candidates sharing one come almost free. The first run is
  // sized for the matches still needed; when the share of candidates that
  // match says more runs would follow, the next run takes every candidate
  // left (each run may decode every row group once, so many runs would cost
  // more than one).
  size_t run = need_ == SIZE_MAX ? pool_.size() : std::max<size_t>(8, need_ + need_ / 2);
  size_t verified = 0, confirmed = 0;
  for (size_t i = 0; i < pool_.size(); ++i) {
    if (i >= sorted) sort_to(i + 1);
    const Cand& c = cands_[pool_[i]];
    if (bounded && Key(c) < bound) break;
    if (c.state == Cand::kUnverified) {
      size_t want = run;
      if (verified > 0) {
        const size_t missing = need_ - matches_.size();
        want = missing * 2 * verified <= confirmed * run ? run : pool_.size();
      }
      batch.clear();
      for (size_t j = i; j < pool_.size() && batch.size() < want; ++j) {
        if (j >= sorted) sort_to(j + 1);
        const Cand& cj = cands_[pool_[j]];
        if (bounded && Key(cj) < bound) break;
        if (cj.state == Cand::kUnverified) batch.push_back(pool_[j]);
      }
      TRACERY_RETURN_IF_ERROR(Verify(batch));
      verified += batch.size();
      for (uint32_t b : batch) confirmed += cands_[b].state == Cand::kMatch;
    }
    if (c.state != Cand::kMatch) continue;
    matches_.push_back(pool_[i]);
    if (matches_.size() >= need_) return true;
  }
  return false;
}

Result<FindResult> Searcher::Run() {
  auto cursor = ParseSearchCursor(q_.cursor);
  if (!cursor.ok()) return cursor.status();
  cursor_ = *cursor;
  TRACERY_RETURN_IF_ERROR(Init());
  if (Expired()) return Timeout();

  if (q_.order != TraceOrder::kMostRecent || need_ == SIZE_MAX) {
    TRACERY_RETURN_IF_ERROR(CollectAll());
    TRACERY_RETURN_IF_ERROR(Merge(0));
    auto done = Walk(/*bounded=*/false, 0);
    if (!done.ok()) return done.status();
  } else {
    // Newest-first slices of part start time. Size the first from the
    // density of parts that may make candidates so it holds ~4x need_.
    uint64_t newest = 0, oldest = UINT64_MAX;
    double parts = static_cast<double>(mem_parts_.size());
    for (const auto& p : mem_parts_) {
      newest = std::max(newest, p.start_ns);
      oldest = std::min(oldest, p.start_ns);
    }
    for (const auto& s : segs_) {
      if (!s.in_range) continue;
      newest = std::max(newest, std::min(s.reader->max_start_ns(), q_.start_time_max_ns));
      oldest = std::min(oldest, std::max(s.reader->min_start_ns(), q_.start_time_min_ns));
      parts += static_cast<double>(s.reader->trace_count());
    }
    if (parts > 0 && newest >= oldest) {
      const double span_ns = static_cast<double>(newest - oldest) + 1;
      double width = std::max(1.0, span_ns * std::min(1.0, 4.0 * static_cast<double>(need_) / parts));
      uint64_t hi = newest;
      while (true) {
        const uint64_t lo = static_cast<double>(hi - q_.start_time_min_ns) < width
                                ? q_.start_time_min_ns
                                : hi - static_cast<uint64_t>(width) + 1;
        const size_t first = cands_.size();
        TRACERY_RETURN_IF_ERROR(CollectSlice(lo));
        TRACERY_RETURN_IF_ERROR(Merge(first));
        const bool last = lo == q_.start_time_min_ns;
        // Every trace not yet seen starts before lo: the candidates at or
        // after lo are final in order.
        auto done = Walk(/*bounded=*/!last, lo);
        if (!done.ok()) return done.status();
        if (*done || last) break;
        if (Expired()) return Timeout();
        // Size the next slice from the match rate seen so far (a quarter
        // more than it predicts), within 0.5x..4x of the range already
        // examined; with no match yet, four times the last slice.
        const double examined = static_cast<double>(newest - lo) + 1;
        if (matches_.empty()) {
          width *= 4;
        } else {
          const double predicted =
              examined * 1.25 * static_cast<double>(need_) / static_cast<double>(matches_.size()) - examined;
          width = std::clamp(predicted, examined / 2, examined * 4);
        }
        hi = lo - 1;
      }
    }
  }

  FindResult result;
  const size_t limit = q_.limit == 0 ? matches_.size() : q_.limit;
  for (size_t i = 0; i < matches_.size() && i < limit; ++i) {
    const Cand& c = cands_[matches_[i]];
    TraceSummary t;
    t.trace_id = c.id;
    t.start_time_unix_nano = c.start_ns;
    t.end_time_unix_nano = c.end_ns;
    t.span_count = c.span_count;
    t.error_count = c.error_count;
    if (c.root_service) t.root_service = *c.root_service;
    if (c.root_operation) t.root_operation = *c.root_operation;
    result.traces.push_back(std::move(t));
  }
  if (matches_.size() > limit) {
    const auto& last = result.traces.back();
    result.next_cursor = FormatSearchCursor(order_.Key(last), last.trace_id);
  }
  return result;
}

}  // namespace

Result<FindResult> SearchTraces(const SearchSources& sources, const TraceQuery& q,
                                uint64_t max_trace_duration_ns,
                                std::chrono::steady_clock::time_point deadline) {
  Searcher s(sources, q, max_trace_duration_ns, deadline);
  return s.Run();
}

}  // namespace tracery::storage
