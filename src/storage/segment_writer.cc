#include "storage/segment_writer.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "storage/bloom_filter.h"
#include "storage/crc32c.h"
#include "storage/segment_format.h"
#include "storage/span_codec.h"
#include "storage/span_matcher.h"

namespace tracery::storage {
namespace {

using namespace segment;  // NOLINT: format constants
using model::AnyValue;

class Dictionary {
 public:
  uint32_t Id(std::string_view s) {
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
    std::string_view owned = Own(s);
    uint32_t id = static_cast<uint32_t>(strings_.size());
    strings_.push_back(owned);
    ids_.emplace(owned, id);
    return id;
  }
  // The string with dictionary id `id`; stable for the dictionary's life.
  std::string_view Str(uint32_t id) const { return strings_[id]; }
  std::string Encode() const {
    std::string out;
    PutVarint(&out, strings_.size());
    for (auto s : strings_) PutVarint(&out, s.size());
    for (auto s : strings_) out.append(s);
    return out;
  }

 private:
  // Spans are decoded into reused buffers, so the dictionary keeps its own
  // copy of each distinct string, packed into 64 KiB chunks (one allocation
  // per chunk, not per string).
  std::string_view Own(std::string_view s) {
    constexpr size_t kChunkBytes = 64 << 10;
    if (s.size() > kChunkBytes / 4) {
      big_.push_back(std::make_unique<char[]>(s.size()));
      std::memcpy(big_.back().get(), s.data(), s.size());
      return {big_.back().get(), s.size()};
    }
    if (chunks_.empty() || chunk_used_ + s.size() > kChunkBytes) {
      chunks_.push_back(std::make_unique<char[]>(kChunkBytes));
      chunk_used_ = 0;
    }
    char* p = chunks_.back().get() + chunk_used_;
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    chunk_used_ += s.size();
    return {p, s.size()};
  }

  std::unordered_map<std::string_view, uint32_t> ids_;  // views into chunks_/big_
  std::vector<std::string_view> strings_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<std::unique_ptr<char[]>> big_;
  size_t chunk_used_ = 0;
};

struct Postings {
  std::vector<std::string> terms;
  std::vector<std::vector<uint32_t>> lists;
  std::unordered_map<std::string, uint32_t> by_term;
  std::unordered_map<uint64_t, uint32_t> by_string_tag;  // key id << 32 | value id

  uint32_t TermId(std::string term) {
    auto [it, inserted] = by_term.try_emplace(term, static_cast<uint32_t>(terms.size()));
    if (inserted) {
      terms.push_back(std::move(term));
      lists.emplace_back();
    }
    return it->second;
  }
  void Add(uint32_t term, uint32_t trace) {
    auto& l = lists[term];
    if (l.empty() || l.back() != trace) l.push_back(trace);
  }
};

class SegmentBuilder {
 public:
  SegmentBuilder(const Memtable& mem, const SegmentWriteOptions& opt) : mem_(mem), opt_(opt) {
    resource_map_.assign(mem.resource_count(), UINT32_MAX);
    scope_map_.assign(mem.scope_count(), UINT32_MAX);
  }

  Status Build(const std::vector<std::pair<model::TraceId, const MemTrace*>>& traces, std::string* file,
               SegmentFileInfo* info);

 private:
  void EncodeAttrs(const model::Attributes& attrs, uint32_t trace, bool index);
  // REQUIRES: spans_ holds the trace's decoded spans.
  void EncodeTrace(uint32_t ordinal, uint64_t trace_start);
  uint32_t SegmentResource(uint32_t mem_index);
  uint32_t SegmentScope(uint32_t mem_index);
  Status FlushRowGroup(std::string* file);
  Status AppendBlock(std::string_view raw, std::string* file, BlockHandle* h);
  // `value_id`: dictionary id of v.str for string values (else unused).
  void AddTagTerm(uint32_t key_id, uint32_t value_id, const AnyValue& v, std::string_view key, uint32_t trace);

  const Memtable& mem_;
  const SegmentWriteOptions& opt_;
  Dictionary dict_;
  Postings postings_;
  std::vector<uint32_t> resource_map_, scope_map_;
  std::vector<uint32_t> resource_order_, scope_order_;  // segment index -> memtable index
  std::vector<std::vector<uint32_t>> resource_terms_;  // per segment resource
  std::string cols_[kNumColumns];
  std::string comp_[kNumColumns];  // compressed columns of the row group being flushed
  std::string region_;
  std::vector<RowGroupInfo> row_groups_;
  RowGroupInfo current_;
  uint64_t seg_min_start_ = 0;
  std::string scratch_;
  std::vector<uint32_t> order_;
  std::vector<model::Span> spans_;  // the trace being written, decoded (reused)
  // (memtable resource index, name dictionary id, kind) of every span.
  std::set<std::tuple<uint32_t, uint32_t, uint8_t>> ops_;
  std::vector<std::pair<uint64_t, uint32_t>> id_index_;
  struct OpTerms {
    uint32_t operation_term, name_term;
    uint8_t kinds_seen;  // bit k: (resource, name, kind k) is already in ops_
  };
  std::unordered_map<uint64_t, OpTerms> op_terms_;  // (segment resource, name id) -> terms
  std::map<std::tuple<uint32_t, uint8_t, int64_t>, uint32_t> int_terms_;  // (resource, name id) -> terms
  uint32_t kind_terms_[8] = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX,
                             UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
  uint32_t error_terms_[2] = {UINT32_MAX, UINT32_MAX};
};

uint32_t SegmentBuilder::SegmentResource(uint32_t mem_index) {
  uint32_t& m = resource_map_[mem_index];
  if (m == UINT32_MAX) {
    m = static_cast<uint32_t>(resource_order_.size());
    resource_order_.push_back(mem_index);
    const model::Resource& r = mem_.resource(mem_index);
    std::vector<uint32_t> terms;
    terms.push_back(postings_.TermId(ServiceTerm(r.ServiceName())));
    for (const auto& kv : r.attributes) {
      std::string v = kv.value.ToString();
      if (v.size() <= kMaxIndexedTagBytes) terms.push_back(postings_.TermId(TagTerm(kv.key, v)));
    }
    resource_terms_.push_back(std::move(terms));
  }
  return m;
}

uint32_t SegmentBuilder::SegmentScope(uint32_t mem_index) {
  uint32_t& m = scope_map_[mem_index];
  if (m == UINT32_MAX) {
    m = static_cast<uint32_t>(scope_order_.size());
    scope_order_.push_back(mem_index);
  }
  return m;
}

void SegmentBuilder::AddTagTerm(uint32_t key_id, uint32_t value_id, const AnyValue& v, std::string_view key,
                                uint32_t trace) {
  if (v.type == AnyValue::Type::kString) {
    if (v.str.size() > kMaxIndexedTagBytes) return;
    uint64_t k = (static_cast<uint64_t>(key_id) << 32) | value_id;
    auto it = postings_.by_string_tag.find(k);
    uint32_t term;
    if (it == postings_.by_string_tag.end()) {
      term = postings_.TermId(TagTerm(key, v.str));
      postings_.by_string_tag.emplace(k, term);
    } else {
      term = it->second;
    }
    postings_.Add(term, trace);
    return;
  }
  if (v.type == AnyValue::Type::kInt || v.type == AnyValue::Type::kBool) {
    int64_t iv = v.type == AnyValue::Type::kInt ? v.int_value : (v.bool_value ? 1 : 0);
    auto [it, inserted] = int_terms_.try_emplace(std::make_tuple(key_id, static_cast<uint8_t>(v.type), iv), 0);
    if (inserted) it->second = postings_.TermId(TagTerm(key, v.ToString()));
    postings_.Add(it->second, trace);
    return;
  }
  std::string s = v.ToString();
  if (s.size() <= kMaxIndexedTagBytes) postings_.Add(postings_.TermId(TagTerm(key, s)), trace);
}

void SegmentBuilder::EncodeAttrs(const model::Attributes& attrs, uint32_t trace, bool index) {
  PutVarint(&cols_[kAttrCount], attrs.size());
  for (const auto& kv : attrs) {
    uint32_t key_id = dict_.Id(kv.key);
    PutVarint(&cols_[kAttrKey], key_id);
    const AnyValue& v = kv.value;
    cols_[kAttrType].push_back(static_cast<char>(v.type));
    uint32_t value_id = 0;
    switch (v.type) {
      case AnyValue::Type::kString:
        value_id = dict_.Id(v.str);
        PutVarint(&cols_[kAttrStr], value_id);
        break;
      case AnyValue::Type::kInt:
        PutVarint(&cols_[kAttrInt], ZigZag(v.int_value));
        break;
      case AnyValue::Type::kBool:
        PutVarint(&cols_[kAttrInt], v.bool_value ? 1 : 0);
        break;
      case AnyValue::Type::kDouble: {
        uint64_t bits;
        std::memcpy(&bits, &v.double_value, 8);
        PutFixed64(&cols_[kAttrDouble], bits);
        break;
      }
      default:
        EncodeAnyValue(v, &cols_[kAttrRaw]);
        break;
    }
    if (index) AddTagTerm(key_id, value_id, v, kv.key, trace);
  }
}

void SegmentBuilder::EncodeTrace(uint32_t ordinal, uint64_t trace_start) {
  const auto& spans = spans_;
  order_.resize(spans.size());
  for (uint32_t i = 0; i < spans.size(); ++i) order_[i] = i;
  std::stable_sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) {
    return spans[a].start_time_unix_nano < spans[b].start_time_unix_nano;
  });
  id_index_.clear();
  for (uint32_t i = 0; i < order_.size(); ++i) id_index_.emplace_back(spans[order_[i]].span_id.value, i);
  std::sort(id_index_.begin(), id_index_.end());

  PutVarint(&cols_[kTraceSpans], spans.size());
  PutVarint(&cols_[kTraceBase], trace_start - seg_min_start_);
  uint64_t prev_start = trace_start;
  uint32_t last_resource = UINT32_MAX;
  for (uint32_t idx : order_) {
    const model::Span& s = spans[idx];
    PutFixed64(&cols_[kSpanId], s.span_id.value);
    if (s.parent_span_id.IsZero()) {
      PutVarint(&cols_[kParent], 0);
    } else {
      auto it = std::lower_bound(id_index_.begin(), id_index_.end(), std::make_pair(s.parent_span_id.value, 0u));
      if (it != id_index_.end() && it->first == s.parent_span_id.value) {
        PutVarint(&cols_[kParent], 2 + it->second);
      } else {
        PutVarint(&cols_[kParent], 1);
        PutFixed64(&cols_[kParentRaw], s.parent_span_id.value);
      }
    }
    PutVarint(&cols_[kStartDelta], s.start_time_unix_nano - prev_start);
    prev_start = s.start_time_unix_nano;
    PutVarint(&cols_[kDuration], ZigZag(static_cast<int64_t>(s.end_time_unix_nano - s.start_time_unix_nano)));
    uint32_t name_id = dict_.Id(s.name);
    PutVarint(&cols_[kName], name_id);
    bool extras = !s.trace_state.empty() || !s.status_message.empty() || s.dropped_attributes_count != 0 ||
                  !s.events.empty() || s.dropped_events_count != 0 || !s.links.empty() ||
                  s.dropped_links_count != 0;
    cols_[kKindStatus].push_back(static_cast<char>(static_cast<uint8_t>(s.kind) |
                                                   (static_cast<uint8_t>(s.status_code) << 3) |
                                                   (extras ? 0x20 : 0)));
    uint32_t res = SegmentResource(s.resource_index);
    PutVarint(&cols_[kResource], res);
    PutVarint(&cols_[kScope], SegmentScope(s.scope_index));
    PutVarint(&cols_[kFlags], s.flags);
    EncodeAttrs(s.attributes, ordinal, true);
    if (extras) {
      std::string& x = cols_[kExtras];
      PutVarint(&x, dict_.Id(s.trace_state));
      PutVarint(&x, dict_.Id(s.status_message));
      PutVarint(&x, s.dropped_attributes_count);
      PutVarint(&x, s.events.size());
      for (const auto& e : s.events) {
        PutVarint(&x, ZigZag(static_cast<int64_t>(e.time_unix_nano - s.start_time_unix_nano)));
        PutVarint(&x, dict_.Id(e.name));
        PutVarint(&x, e.dropped_attributes_count);
        EncodeAttrs(e.attributes, ordinal, true);
      }
      PutVarint(&x, s.dropped_events_count);
      PutVarint(&x, s.links.size());
      for (const auto& l : s.links) {
        x.append(reinterpret_cast<const char*>(l.trace_id.bytes.data()), 16);
        PutFixed64(&x, l.span_id.value);
        PutVarint(&x, dict_.Id(l.trace_state));
        PutVarint(&x, l.dropped_attributes_count);
        PutVarint(&x, l.flags);
        EncodeAttrs(l.attributes, ordinal, false);
      }
      PutVarint(&x, s.dropped_links_count);
    }
    // Postings: service, operation, name, kind, error, resource attributes.
    if (res != last_resource) {
      for (uint32_t term : resource_terms_[res]) postings_.Add(term, ordinal);
      last_resource = res;
    }
    // Term ids are cached by (resource, name) so the hot loop builds no strings.
    uint64_t op_key = (static_cast<uint64_t>(res) << 32) | name_id;
    auto op_it = op_terms_.find(op_key);
    if (op_it == op_terms_.end()) {
      std::string_view service = mem_.resource(s.resource_index).ServiceName();
      op_it = op_terms_.emplace(op_key, OpTerms{postings_.TermId(OperationTerm(service, s.name)),
                                                postings_.TermId(NameTerm(s.name)), 0}).first;
    }
    postings_.Add(op_it->second.operation_term, ordinal);
    postings_.Add(op_it->second.name_term, ordinal);
    uint8_t kind = static_cast<uint8_t>(s.kind);
    if (!(op_it->second.kinds_seen & (1u << kind))) {
      op_it->second.kinds_seen |= static_cast<uint8_t>(1u << kind);
      ops_.emplace(s.resource_index, name_id, kind);
    }
    if (kind_terms_[kind] == UINT32_MAX) {
      kind_terms_[kind] = postings_.TermId(TagTerm("span.kind", model::SpanKindName(s.kind)));
    }
    postings_.Add(kind_terms_[kind], ordinal);
    if (s.status_code == model::StatusCode::kError) {
      if (error_terms_[0] == UINT32_MAX) {
        error_terms_[0] = postings_.TermId(std::string(kErrorTerm));
        error_terms_[1] = postings_.TermId(TagTerm("error", "true"));
      }
      postings_.Add(error_terms_[0], ordinal);
      postings_.Add(error_terms_[1], ordinal);
    }
  }
  current_.trace_count++;
  current_.span_count += static_cast<uint32_t>(spans.size());
}

Status SegmentBuilder::AppendBlock(std::string_view raw, std::string* file, BlockHandle* h) {
  std::string comp;
  TRACERY_RETURN_IF_ERROR(Compress(raw, opt_.zstd_level, &comp));
  h->offset = file->size();
  h->size_bytes = comp.size();
  h->raw_bytes = raw.size();
  h->masked_crc = crc32c::Mask(crc32c::Value(comp.data(), comp.size()));
  file->append(comp);
  return Status::Ok();
}

Status SegmentBuilder::FlushRowGroup(std::string* file) {
  if (current_.trace_count == 0) return Status::Ok();
  std::string& region = region_;
  region.clear();
  PutVarint(&region, kNumColumns);
  std::string* comp = comp_;  // reused across row groups: no fresh pages per group
  for (int c = 0; c < kNumColumns; ++c) {
    comp[c].clear();
    if (!cols_[c].empty()) TRACERY_RETURN_IF_ERROR(Compress(cols_[c], opt_.zstd_level, &comp[c]));
    PutVarint(&region, cols_[c].size());
    PutVarint(&region, comp[c].size());
  }
  for (int c = 0; c < kNumColumns; ++c) {
    region.append(comp[c]);
    cols_[c].clear();
  }
  current_.handle.offset = file->size();
  current_.handle.size_bytes = region.size();
  current_.handle.raw_bytes = 0;
  current_.handle.masked_crc = crc32c::Mask(crc32c::Value(region.data(), region.size()));
  file->append(region);
  row_groups_.push_back(current_);
  current_ = RowGroupInfo{};
  current_.first_trace = row_groups_.back().first_trace + row_groups_.back().trace_count;
  return Status::Ok();
}

Status SegmentBuilder::Build(const std::vector<std::pair<model::TraceId, const MemTrace*>>& traces,
                             std::string* file, SegmentFileInfo* info) {
  // One pass per trace: decode, summarize, write columns, collect
  // operations and dependency edges. Trace starts are stored relative to
  // the segment's min start, known from the memtable without decoding.
  uint64_t min_start = UINT64_MAX, max_start = 0, max_end = 0, spans = 0;
  for (const auto& t : traces) min_start = std::min(min_start, t.second->min_start_ns);
  if (traces.empty()) min_start = 0;
  seg_min_start_ = min_start;

  std::vector<TracePartial> partials(traces.size());
  std::map<std::pair<std::string_view, std::string_view>, std::pair<uint64_t, uint64_t>> deps;
  std::unordered_map<uint64_t, std::string_view> service_of;
  size_t span_total = 0;
  for (const auto& t : traces) span_total += t.second->span_count;
  file->reserve(span_total * 32 + 4096);  // rough upper bound of compressed bytes per span
  file->assign(kHeaderMagic, sizeof(kHeaderMagic));
  for (uint32_t i = 0; i < traces.size(); ++i) {
    DecodeSpans(*traces[i].second, &spans_);
    TracePartial& p = partials[i];
    service_of.clear();
    for (const auto& s : spans_) {
      std::string_view svc = mem_.resource(s.resource_index).ServiceName();
      p.AddSpan(s, svc);
      service_of[s.span_id.value] = svc;
    }
    for (const auto& s : spans_) {
      if (s.parent_span_id.IsZero()) continue;
      auto it = service_of.find(s.parent_span_id.value);
      if (it == service_of.end()) continue;
      std::string_view child = mem_.resource(s.resource_index).ServiceName();
      if (it->second == child) continue;
      auto& e = deps[{it->second, child}];
      e.first++;
      if (s.status_code == model::StatusCode::kError) e.second++;
    }
    max_start = std::max(max_start, p.start_ns);
    max_end = std::max(max_end, p.end_ns);
    spans += p.span_count;
    EncodeTrace(i, p.start_ns);
    if (current_.span_count >= opt_.row_group_spans) TRACERY_RETURN_IF_ERROR(FlushRowGroup(file));
  }
  TRACERY_RETURN_IF_ERROR(FlushRowGroup(file));

  // Trace table: ids, then summary columns.
  std::string tt;
  PutVarint(&tt, traces.size());
  for (const auto& t : traces) tt.append(reinterpret_cast<const char*>(t.first.bytes.data()), 16);
  for (const auto& p : partials) PutVarint(&tt, p.start_ns - min_start);
  for (const auto& p : partials) PutVarint(&tt, p.end_ns - p.start_ns);
  for (const auto& p : partials) PutVarint(&tt, p.span_count);
  for (const auto& p : partials) PutVarint(&tt, p.error_count);
  for (size_t i = 0; i < traces.size(); ++i) PutVarint(&tt, traces[i].second->dropped_spans);
  for (const auto& p : partials) tt.push_back(p.has_root ? 1 : 0);
  for (const auto& p : partials) PutVarint(&tt, p.root_start_ns - p.start_ns);
  for (const auto& p : partials) PutVarint(&tt, dict_.Id(p.root_service));
  for (const auto& p : partials) PutVarint(&tt, dict_.Id(p.root_operation));

  // Operations, ordered by (service, name, kind) as the format requires.
  std::set<std::tuple<std::string_view, std::string_view, uint8_t>> ops;
  for (const auto& [res, name_id, kind] : ops_) {
    ops.emplace(mem_.resource(res).ServiceName(), dict_.Str(name_id), kind);
  }
  std::string ops_block;
  PutVarint(&ops_block, ops.size());
  for (const auto& k : ops) {
    PutLengthPrefixed(&ops_block, std::get<0>(k));
    PutLengthPrefixed(&ops_block, std::get<1>(k));
    ops_block.push_back(static_cast<char>(std::get<2>(k)));
  }
  std::string deps_block;
  PutVarint(&deps_block, deps.size());
  for (const auto& [k, v] : deps) {
    PutLengthPrefixed(&deps_block, k.first);
    PutLengthPrefixed(&deps_block, k.second);
    PutVarint(&deps_block, v.first);
    PutVarint(&deps_block, v.second);
  }

  // Resources and scopes, in segment order.
  std::string res_block, scope_block;
  PutVarint(&res_block, resource_order_.size());
  for (uint32_t m : resource_order_) {
    const auto& r = mem_.resource(m);
    EncodeAttributes(r.attributes, &res_block);
    PutVarint(&res_block, r.dropped_attributes_count);
    PutLengthPrefixed(&res_block, r.schema_url);
  }
  PutVarint(&scope_block, scope_order_.size());
  for (uint32_t m : scope_order_) {
    const auto& s = mem_.scope(m);
    PutLengthPrefixed(&scope_block, s.name);
    PutLengthPrefixed(&scope_block, s.version);
    EncodeAttributes(s.attributes, &scope_block);
    PutVarint(&scope_block, s.dropped_attributes_count);
    PutLengthPrefixed(&scope_block, s.schema_url);
  }

  // Postings, pruning unique-looking tag values.
  std::unordered_map<std::string_view, size_t> singletons;
  for (size_t i = 0; i < postings_.terms.size(); ++i) {
    const std::string& t = postings_.terms[i];
    if (t.size() > 2 && t[0] == 't' && postings_.lists[i].size() == 1) {
      singletons[std::string_view(t).substr(2, t.find('\x1f', 2) - 2)]++;
    }
  }
  std::vector<std::string> pruned_keys;
  for (const auto& [k, n] : singletons) {
    if (n > opt_.max_singleton_values_per_key) pruned_keys.emplace_back(k);
  }
  std::unordered_set<std::string_view> pruned(pruned_keys.begin(), pruned_keys.end());
  std::vector<uint32_t> term_order;
  for (uint32_t i = 0; i < postings_.terms.size(); ++i) {
    const std::string& t = postings_.terms[i];
    if (t.size() > 2 && t[0] == 't' && postings_.lists[i].size() == 1 &&
        pruned.count(std::string_view(t).substr(2, t.find('\x1f', 2) - 2))) {
      continue;
    }
    term_order.push_back(i);
  }
  std::sort(term_order.begin(), term_order.end(),
            [&](uint32_t a, uint32_t b) { return postings_.terms[a] < postings_.terms[b]; });
  std::string post_block;
  PutVarint(&post_block, term_order.size());
  for (uint32_t i : term_order) {
    PutLengthPrefixed(&post_block, postings_.terms[i]);
    const auto& l = postings_.lists[i];
    PutVarint(&post_block, l.size());
    uint32_t prev = 0;
    for (uint32_t o : l) {
      PutVarint(&post_block, o - prev);
      prev = o;
    }
  }
  std::sort(pruned_keys.begin(), pruned_keys.end());
  PutVarint(&post_block, pruned_keys.size());
  for (const auto& k : pruned_keys) PutLengthPrefixed(&post_block, k);

  BloomFilterBuilder bloom;
  for (const auto& t : traces) bloom.Add(t.first);

  BlockHandle h_dict, h_res, h_scope, h_traces, h_post, h_bloom, h_ops, h_deps;
  TRACERY_RETURN_IF_ERROR(AppendBlock(dict_.Encode(), file, &h_dict));
  TRACERY_RETURN_IF_ERROR(AppendBlock(res_block, file, &h_res));
  TRACERY_RETURN_IF_ERROR(AppendBlock(scope_block, file, &h_scope));
  TRACERY_RETURN_IF_ERROR(AppendBlock(tt, file, &h_traces));
  TRACERY_RETURN_IF_ERROR(AppendBlock(post_block, file, &h_post));
  TRACERY_RETURN_IF_ERROR(AppendBlock(bloom.Finish(), file, &h_bloom));
  TRACERY_RETURN_IF_ERROR(AppendBlock(ops_block, file, &h_ops));
  TRACERY_RETURN_IF_ERROR(AppendBlock(deps_block, file, &h_deps));

  std::string meta;
  PutVarint(&meta, kFormatVersion);
  PutVarint(&meta, spans);
  PutVarint(&meta, traces.size());
  PutVarint(&meta, min_start);
  PutVarint(&meta, max_start);
  PutVarint(&meta, max_end);
  for (const BlockHandle* h : {&h_dict, &h_res, &h_scope, &h_traces, &h_post, &h_bloom, &h_ops, &h_deps}) {
    h->EncodeTo(&meta);
  }
  PutVarint(&meta, row_groups_.size());
  for (const auto& rg : row_groups_) {
    PutVarint(&meta, rg.first_trace);
    PutVarint(&meta, rg.trace_count);
    PutVarint(&meta, rg.span_count);
    rg.handle.EncodeTo(&meta);
  }
  BlockHandle h_meta;
  TRACERY_RETURN_IF_ERROR(AppendBlock(meta, file, &h_meta));
  PutFixed64(file, h_meta.offset);
  PutFixed32(file, static_cast<uint32_t>(h_meta.size_bytes));
  PutFixed32(file, static_cast<uint32_t>(h_meta.raw_bytes));
  PutFixed32(file, h_meta.masked_crc);
  PutFixed32(file, kFormatVersion);
  PutFixed64(file, kFooterMagic);

  info->min_start_ns = min_start;
  info->max_start_ns = max_start;
  info->max_end_ns = max_end;
  info->span_count = spans;
  info->trace_count = traces.size();
  info->file_bytes = file->size();
  return Status::Ok();
}

}  // namespace

Result<SegmentFileInfo> WriteSegment(Env* env, const std::string& dir, const std::string& file_name,
                                     const Memtable& mem,
                                     const std::vector<std::pair<model::TraceId, const MemTrace*>>& traces,
                                     const SegmentWriteOptions& options) {
  std::string data;
  SegmentFileInfo info;
  {
    SegmentBuilder builder(mem, options);
    TRACERY_RETURN_IF_ERROR(builder.Build(traces, &data, &info));
  }
  TRACERY_RETURN_IF_ERROR(env->CreateDirs(dir));
  std::string path = dir + "/" + file_name;
  std::string tmp = path + ".tmp";
  auto f = env->NewWritableFile(tmp, /*truncate=*/true);
  if (!f.ok()) return f.status();
  Status st = (*f)->Append(data);
  if (st.ok()) st = (*f)->Sync();
  Status close_st = (*f)->Close();
  if (st.ok()) st = close_st;
  if (st.ok()) st = env->RenameFile(tmp, path);
  if (st.ok()) st = env->SyncDir(dir);
  if (!st.ok()) {
    (void)env->RemoveFile(tmp);
    return st;
  }
  return info;
}

}  // namespace tracery::storage
