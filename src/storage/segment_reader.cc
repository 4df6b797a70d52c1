#include "storage/segment_reader.h"

#include <algorithm>
#include <cstring>

#include "storage/bloom_filter.h"
#include "storage/crc32c.h"
#include "storage/span_codec.h"

namespace tracery::storage {

using namespace segment;  // NOLINT: format constants

int64_t SegmentTraceTable::Find(const model::TraceId& id) const {
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it == ids.end() || !(*it == id)) return -1;
  return it - ids.begin();
}

TracePartial SegmentTraceTable::Partial(size_t i, const std::vector<std::string>& dict) const {
  TracePartial p;
  p.start_ns = start_ns[i];
  p.end_ns = end_ns[i];
  p.span_count = span_count[i];
  p.error_count = error_count[i];
  p.has_root = has_root[i] != 0;
  p.root_start_ns = root_start_ns[i];
  p.root_service = dict[root_service[i]];
  p.root_operation = dict[root_operation[i]];
  return p;
}

Result<std::shared_ptr<SegmentReader>> SegmentReader::Open(Env* env, const std::string& path, uint64_t number) {
  auto f = env->NewRandomAccessFile(path);
  if (!f.ok()) return f.status();
  std::shared_ptr<SegmentReader> r(new SegmentReader());
  r->path_ = path;
  r->number_ = number;
  r->file_ = std::move(*f);
  r->file_bytes_ = r->file_->Size();
  auto bad = [&](const std::string& what) { return Status::Corruption("segment " + path + ": " + what); };
  if (r->file_bytes_ < sizeof(kHeaderMagic) + kFooterBytes) return bad("file too short");
  std::string head, foot;
  TRACERY_RETURN_IF_ERROR(r->file_->Read(0, sizeof(kHeaderMagic), &head));
  if (std::memcmp(head.data(), kHeaderMagic, sizeof(kHeaderMagic)) != 0) return bad("bad header magic");
  TRACERY_RETURN_IF_ERROR(r->file_->Read(r->file_bytes_ - kFooterBytes, kFooterBytes, &foot));
  ByteReader fr(foot);
  BlockHandle meta_h;
  meta_h.offset = fr.Fixed64();
  meta_h.size_bytes = fr.Fixed32();
  meta_h.raw_bytes = fr.Fixed32();
  meta_h.masked_crc = fr.Fixed32();
  uint32_t version = fr.Fixed32();
  if (fr.Fixed64() != kFooterMagic) return bad("bad footer magic (truncated or not a segment)");
  if (version != kFormatVersion) return bad("unsupported format version " + std::to_string(version));
  std::string meta;
  TRACERY_RETURN_IF_ERROR(r->ReadBlock(meta_h, &meta));
  ByteReader in(meta);
  in.Varint();  // version, repeated
  r->span_count_ = in.Varint();
  r->trace_count_ = in.Varint();
  r->min_start_ns_ = in.Varint();
  r->max_start_ns_ = in.Varint();
  r->max_end_ns_ = in.Varint();
  BlockHandle h_bloom, h_ops, h_deps;
  for (BlockHandle* h : {&r->h_dict_, &r->h_res_, &r->h_scope_, &r->h_traces_, &r->h_post_, &h_bloom, &h_ops,
                         &h_deps}) {
    h->DecodeFrom(in);
  }
  uint64_t nrg = in.Varint();
  if (!in.ok() || nrg > in.remaining()) return bad("malformed meta block");
  r->row_groups_.resize(nrg);
  for (auto& rg : r->row_groups_) {
    rg.first_trace = in.Varint32();
    rg.trace_count = in.Varint32();
    rg.span_count = in.Varint32();
    rg.handle.DecodeFrom(in);
  }
  if (!in.ok()) return bad("malformed row-group directory");
  TRACERY_RETURN_IF_ERROR(r->ReadBlock(h_bloom, &r->bloom_));
  std::string ops, deps;
  TRACERY_RETURN_IF_ERROR(r->ReadBlock(h_ops, &ops));
  TRACERY_RETURN_IF_ERROR(r->ReadBlock(h_deps, &deps));
  ByteReader oi(ops);
  uint64_t n = oi.Varint();
  for (uint64_t i = 0; i < n && oi.ok(); ++i) {
    SegmentOperation op;
    op.service = std::string(oi.LengthPrefixed());
    op.name = std::string(oi.LengthPrefixed());
    uint8_t k = oi.Byte();
    if (k > 5) return bad("bad span kind in operations");
    op.kind = static_cast<model::SpanKind>(k);
    r->ops_.push_back(std::move(op));
  }
  if (!oi.ok()) return bad("malformed operations block");
  ByteReader di(deps);
  n = di.Varint();
  for (uint64_t i = 0; i < n && di.ok(); ++i) {
    DependencyLink l;
    l.parent = std::string(di.LengthPrefixed());
    l.child = std::string(di.LengthPrefixed());
    l.call_count = di.Varint();
    l.error_count = di.Varint();
    r->deps_.push_back(std::move(l));
  }
  if (!di.ok()) return bad("malformed dependencies block");
  return r;
}

Status SegmentReader::ReadBlock(const BlockHandle& h, std::string* out) const {
  std::string stored;
  if (h.offset > file_bytes_ || h.size_bytes > file_bytes_ - h.offset) {
    return Status::Corruption("segment " + path_ + ": block handle outside the file");
  }
  TRACERY_RETURN_IF_ERROR(file_->Read(h.offset, h.size_bytes, &stored));
  if (crc32c::Unmask(h.masked_crc) != crc32c::Value(stored.data(), stored.size())) {
    return Status::Corruption("segment " + path_ + ": block checksum mismatch at offset " +
                              std::to_string(h.offset));
  }
  if (h.raw_bytes == 0) {
    *out = std::move(stored);
    return Status::Ok();
  }
  Status st = Decompress(stored, h.raw_bytes, out);
  if (!st.ok()) return Status::Corruption("segment " + path_ + ": " + st.message());
  return Status::Ok();
}

bool SegmentReader::MayContain(const model::TraceId& id) const { return BloomFilterView(bloom_).MayContain(id); }

Status SegmentReader::EnsureLoaded() {
  std::lock_guard lock(load_mu_);
  if (loaded_) return Status::Ok();
  auto bad = [&](const std::string& what) { return Status::Corruption("segment " + path_ + ": " + what); };
  std::string raw;
  // Dictionary.
  TRACERY_RETURN_IF_ERROR(ReadBlock(h_dict_, &raw));
  {
    ByteReader in(raw);
    uint64_t n = in.Varint();
    if (!in.ok() || n > in.remaining()) return bad("malformed dictionary");
    std::vector<uint64_t> lens(n);
    for (auto& l : lens) l = in.Varint();
    auto dict = std::make_shared<std::vector<std::string>>(n);
    for (uint64_t i = 0; i < n; ++i) (*dict)[i] = std::string(in.Bytes(lens[i]));
    if (!in.ok()) return bad("malformed dictionary");
    dict_ = std::move(dict);
  }
  // Resources and scopes.
  TRACERY_RETURN_IF_ERROR(ReadBlock(h_res_, &raw));
  {
    ByteReader in(raw);
    uint64_t n = in.Varint();
    if (!in.ok() || n > in.remaining()) return bad("malformed resources");
    auto res = std::make_shared<std::vector<model::Resource>>(n);
    for (auto& r : *res) {
      DecodeAttributes(in, &r.attributes);
      r.dropped_attributes_count = in.Varint32();
      r.schema_url = std::string(in.LengthPrefixed());
    }
    if (!in.ok()) return bad("malformed resources");
    resources_ = std::move(res);
  }
  TRACERY_RETURN_IF_ERROR(ReadBlock(h_scope_, &raw));
  {
    ByteReader in(raw);
    uint64_t n = in.Varint();
    if (!in.ok() || n > in.remaining()) return bad("malformed scopes");
    auto scopes = std::make_shared<std::vector<model::Scope>>(n);
    for (auto& s : *scopes) {
      s.name = std::string(in.LengthPrefixed());
      s.version = std::string(in.LengthPrefixed());
      DecodeAttributes(in, &s.attributes);
      s.dropped_attributes_count = in.Varint32();
      s.schema_url = std::string(in.LengthPrefixed());
    }
    if (!in.ok()) return bad("malformed scopes");
    scopes_ = std::move(scopes);
  }
  // Trace table.
  TRACERY_RETURN_IF_ERROR(ReadBlock(h_traces_, &raw));
  {
    ByteReader in(raw);
    uint64_t n = in.Varint();
    if (!in.ok() || n * 16 > in.remaining() || n != trace_count_) return bad("malformed trace table");
    auto t = std::make_shared<SegmentTraceTable>();
    t->ids.resize(n);
    for (auto& id : t->ids) std::memcpy(id.bytes.data(), in.Bytes(16).data(), 16);
    t->start_ns.resize(n);
    t->end_ns.resize(n);
    t->root_start_ns.resize(n);
    t->span_count.resize(n);
    t->error_count.resize(n);
    t->dropped_spans.resize(n);
    t->root_service.resize(n);
    t->root_operation.resize(n);
    t->has_root.resize(n);
    for (auto& v : t->start_ns) v = min_start_ns_ + in.Varint();
    for (uint64_t i = 0; i < n; ++i) t->end_ns[i] = t->start_ns[i] + in.Varint();
    for (auto& v : t->span_count) v = in.Varint32();
    for (auto& v : t->error_count) v = in.Varint32();
    for (auto& v : t->dropped_spans) v = in.Varint32();
    for (auto& v : t->has_root) v = in.Byte();
    for (uint64_t i = 0; i < n; ++i) t->root_start_ns[i] = t->start_ns[i] + in.Varint();
    for (auto& v : t->root_service) v = in.Varint32();
    for (auto& v : t->root_operation) v = in.Varint32();
    if (!in.ok()) return bad("malformed trace table");
    for (uint64_t i = 0; i < n; ++i) {
      if (t->root_service[i] >= dict_->size() || t->root_operation[i] >= dict_->size()) {
        return bad("trace table refers past the dictionary");
      }
    }
    traces_ = std::move(t);
  }
  loaded_ = true;
  return Status::Ok();
}

Status SegmentReader::EnsurePostingsLoaded() {
  {
    std::lock_guard lock(load_mu_);
    if (postings_loaded_) return Status::Ok();
  }
  std::string raw;
  TRACERY_RETURN_IF_ERROR(ReadBlock(h_post_, &raw));
  ByteReader in(raw);
  std::unordered_map<std::string, std::vector<uint32_t>> postings;
  std::unordered_set<std::string> pruned;
  uint64_t n = in.Varint();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    std::string term(in.LengthPrefixed());
    uint64_t count = in.Varint();
    if (count > in.remaining()) {
      in.Fail();
      break;
    }
    std::vector<uint32_t> list(count);
    uint32_t prev = 0;
    for (auto& o : list) {
      prev += in.Varint32();
      o = prev;
    }
    postings.emplace(std::move(term), std::move(list));
  }
  n = in.Varint();
  for (uint64_t i = 0; i < n && in.ok(); ++i) pruned.emplace(in.LengthPrefixed());
  if (!in.ok()) return Status::Corruption("segment " + path_ + ": malformed posting lists");
  std::lock_guard lock(load_mu_);
  if (!postings_loaded_) {
    postings_ = std::move(postings);
    pruned_keys_ = std::move(pruned);
    postings_loaded_ = true;
  }
  return Status::Ok();
}

Result<std::shared_ptr<const SegmentTraceTable>> SegmentReader::Traces() {
  TRACERY_RETURN_IF_ERROR(EnsureLoaded());
  return traces_;
}

Result<std::shared_ptr<const std::vector<std::string>>> SegmentReader::Dictionary() {
  TRACERY_RETURN_IF_ERROR(EnsureLoaded());
  return dict_;
}

Result<std::shared_ptr<const std::vector<uint32_t>>> SegmentReader::OrdinalsByStart() {
  TRACERY_RETURN_IF_ERROR(EnsureLoaded());
  {
    std::lock_guard lock(load_mu_);
    if (by_start_) return by_start_;
  }
  // Sorted outside the lock; a concurrent first caller may sort too, and the
  // first to finish publishes.
  const auto& start = traces_->start_ns;
  auto order = std::make_shared<std::vector<uint32_t>>(start.size());
  for (uint32_t o = 0; o < order->size(); ++o) (*order)[o] = o;
  std::sort(order->begin(), order->end(),
            [&](uint32_t a, uint32_t b) { return start[a] != start[b] ? start[a] < start[b] : a < b; });
  std::lock_guard lock(load_mu_);
  if (!by_start_) by_start_ = std::move(order);
  return by_start_;
}

Result<std::optional<std::vector<uint32_t>>> SegmentReader::Candidates(const SpanCondition& c, bool* exact) {
  TRACERY_RETURN_IF_ERROR(EnsurePostingsLoaded());
  std::vector<std::string> terms;
  size_t constraints = 0;
  if (!c.service.empty() && !c.operation.empty()) {
    terms.push_back(OperationTerm(c.service, c.operation));
    constraints++;
  } else if (!c.service.empty()) {
    terms.push_back(ServiceTerm(c.service));
    constraints++;
  } else if (!c.operation.empty()) {
    terms.push_back(NameTerm(c.operation));
    constraints++;
  }
  if (c.kind) {
    terms.push_back(TagTerm("span.kind", model::SpanKindName(*c.kind)));
    constraints++;
  }
  if (c.error_only) {
    terms.emplace_back(kErrorTerm);
    constraints++;
  }
  for (const auto& t : c.tags) {
    constraints++;
    if (t.value.size() > kMaxIndexedTagBytes || pruned_keys_.count(t.key)) continue;
    terms.push_back(TagTerm(t.key, t.value));
  }
  if (c.min_duration_ns || c.max_duration_ns) constraints++;
  *exact = constraints <= 1 && terms.size() == constraints;
  if (terms.empty()) return std::optional<std::vector<uint32_t>>();
  std::vector<uint32_t> result;
  bool first = true;
  for (const auto& term : terms) {
    auto it = postings_.find(term);
    if (it == postings_.end()) return std::optional<std::vector<uint32_t>>(std::vector<uint32_t>{});
    if (first) {
      result = it->second;
      first = false;
    } else {
      std::vector<uint32_t> out;
      std::set_intersection(result.begin(), result.end(), it->second.begin(), it->second.end(),
                            std::back_inserter(out));
      result.swap(out);
    }
    if (result.empty()) break;
  }
  return std::optional<std::vector<uint32_t>>(std::move(result));
}

Status SegmentReader::GetTrace(const model::TraceId& id, model::SpanBatch* out, bool* found) {
  *found = false;
  if (!MayContain(id)) return Status::Ok();
  TRACERY_RETURN_IF_ERROR(EnsureLoaded());
  int64_t ord = traces_->Find(id);
  if (ord < 0) return Status::Ok();
  uint32_t target = static_cast<uint32_t>(ord);
  // Straight to the one row group holding the trace.
  auto rg_it = std::upper_bound(row_groups_.begin(), row_groups_.end(), target,
                                [](uint32_t o, const RowGroupInfo& rg) { return o < rg.first_trace; });
  if (rg_it == row_groups_.begin()) return Status::Corruption("segment " + path_ + ": row groups do not cover trace");
  size_t rg = static_cast<size_t>(rg_it - row_groups_.begin() - 1);
  bool stop = false;
  return DecodeRowGroup(rg, [target](uint32_t o) { return o == target; },
                      [&](uint32_t, const std::vector<model::Span>& spans) {
                        *found = true;
                        for (const auto& s : spans) {
                          const auto& r = (*resources_)[s.resource_index];
                          const auto& sc = (*scopes_)[s.scope_index];
                          if (out->resources.empty() || !(out->resources.back() == r)) out->resources.push_back(r);
                          if (out->scopes.empty() || !(out->scopes.back() == sc)) out->scopes.push_back(sc);
                          out->spans.push_back(s);
                          out->spans.back().resource_index = static_cast<uint32_t>(out->resources.size() - 1);
                          out->spans.back().scope_index = static_cast<uint32_t>(out->scopes.size() - 1);
                        }
                        return false;
                      },
                      &stop);
}

Status SegmentReader::ForEachTrace(const std::function<bool(uint32_t)>& want,
                                   const std::function<bool(uint32_t, const std::vector<model::Span>&)>& fn) {
  return ForEachTraceImpl(want, fn, /*names_only=*/false);
}

Status SegmentReader::ForEachTraceTimesAndNames(
    const std::function<bool(uint32_t)>& want,
    const std::function<bool(uint32_t, const std::vector<model::Span>&)>& fn) {
  return ForEachTraceImpl(want, fn, /*names_only=*/true);
}

Status SegmentReader::ForEachTraceImpl(const std::function<bool(uint32_t)>& want,
                                       const std::function<bool(uint32_t, const std::vector<model::Span>&)>& fn,
                                       bool names_only) {
  TRACERY_RETURN_IF_ERROR(EnsureLoaded());
  bool stop = false;
  for (size_t rg = 0; rg < row_groups_.size() && !stop; ++rg) {
    const auto& info = row_groups_[rg];
    if (want) {
      bool any = false;
      for (uint32_t o = info.first_trace; o < info.first_trace + info.trace_count && !any; ++o) any = want(o);
      if (!any) continue;
    }
    TRACERY_RETURN_IF_ERROR(DecodeRowGroup(rg, want, fn, &stop, names_only));
  }
  return Status::Ok();
}

namespace {

// Reads the attribute columns back into a list; mirrors SegmentBuilder::EncodeAttrs.
struct AttrColumns {
  ByteReader count, key, type, str, ints, dbl, raw;
};

bool DecodeAttrs(AttrColumns& c, const std::vector<std::string>& dict, model::Attributes* out, bool keep) {
  uint64_t n = c.count.Varint();
  if (n > c.key.remaining()) return false;
  if (keep) out->resize(n);
  model::KeyValue scratch;
  for (uint64_t i = 0; i < n; ++i) {
    model::KeyValue& kv = keep ? (*out)[i] : scratch;
    uint32_t k = c.key.Varint32();
    if (k >= dict.size()) return false;
    if (keep) kv.key = dict[k];
    uint8_t t = c.type.Byte();
    if (t > static_cast<uint8_t>(model::AnyValue::Type::kMap)) return false;
    kv.value.type = static_cast<model::AnyValue::Type>(t);
    switch (kv.value.type) {
      case model::AnyValue::Type::kString: {
        uint32_t v = c.str.Varint32();
        if (v >= dict.size()) return false;
        if (keep) kv.value.str = dict[v];
        break;
      }
      case model::AnyValue::Type::kInt:
        kv.value.int_value = UnZigZag(c.ints.Varint());
        break;
      case model::AnyValue::Type::kBool:
        kv.value.bool_value = c.ints.Varint() != 0;
        break;
      case model::AnyValue::Type::kDouble: {
        uint64_t bits = c.dbl.Fixed64();
        std::memcpy(&kv.value.double_value, &bits, 8);
        break;
      }
      default: {
        model::AnyValue v;
        if (!DecodeAnyValue(c.raw, &v)) return false;
        if (keep) kv.value = std::move(v);
        break;
      }
    }
  }
  return c.count.ok() && c.key.ok() && c.type.ok() && c.str.ok() && c.ints.ok() && c.dbl.ok() && c.raw.ok();
}

}  // namespace

Status SegmentReader::DecodeRowGroup(size_t rg, const std::function<bool(uint32_t)>& want,
                                     const std::function<bool(uint32_t, const std::vector<model::Span>&)>& fn,
                                     bool* stop, bool names_only) {
  const auto& info = row_groups_[rg];
  auto bad = [&](const std::string& what) {
    return Status::Corruption("segment " + path_ + " row group " + std::to_string(rg) + ": " + what);
  };
  std::string region;
  TRACERY_RETURN_IF_ERROR(ReadBlock(info.handle, &region));
  ByteReader dir(region);
  uint64_t ncols = dir.Varint();
  if (ncols != kNumColumns) return bad("unexpected column count");
  uint64_t raw_size[kNumColumns], comp_size[kNumColumns];
  for (int c = 0; c < kNumColumns; ++c) {
    raw_size[c] = dir.Varint();
    comp_size[c] = dir.Varint();
  }
  if (!dir.ok()) return bad("malformed column directory");
  // names_only: the columns that times, name, kind, status and resource need.
  auto needed = [&](int c) {
    return !names_only || c == kTraceSpans || c == kTraceBase || c == kStartDelta || c == kDuration || c == kName ||
           c == kKindStatus || c == kResource;
  };
  std::string cols[kNumColumns];
  for (int c = 0; c < kNumColumns; ++c) {
    std::string_view comp = dir.Bytes(comp_size[c]);
    if (!dir.ok()) return bad("column past the end of the row group");
    if (raw_size[c] > 0 && needed(c)) TRACERY_RETURN_IF_ERROR(Decompress(comp, raw_size[c], &cols[c]));
  }
  ByteReader r[kNumColumns];
  for (int c = 0; c < kNumColumns; ++c) r[c] = ByteReader(cols[c]);
  AttrColumns ac{r[kAttrCount], r[kAttrKey], r[kAttrType], r[kAttrStr], r[kAttrInt], r[kAttrDouble], r[kAttrRaw]};
  const auto& dict = *dict_;
  auto dict_at = [&](uint64_t i, std::string* out) {
    if (i >= dict.size()) return false;
    *out = dict[i];
    return true;
  };
  std::vector<model::Span> spans;
  model::Span scratch;
  std::vector<uint64_t> ids, parent_code;
  for (uint32_t t = 0; t < info.trace_count; ++t) {
    uint32_t ordinal = info.first_trace + t;
    bool keep = !want || want(ordinal);
    uint64_t nspans = r[kTraceSpans].Varint();
    uint64_t trace_start = min_start_ns_ + r[kTraceBase].Varint();
    if (nspans > (names_only ? r[kKindStatus] : r[kSpanId]).remaining() / (names_only ? 1 : 8)) {
      return bad("span count past the span-id column");
    }
    spans.clear();
    if (keep) spans.resize(nspans);
    ids.resize(nspans);
    parent_code.resize(nspans);
    uint64_t prev_start = trace_start;
    const model::TraceId& tid = traces_->ids[ordinal];
    if (names_only) {
      for (uint64_t i = 0; i < nspans; ++i) {
        model::Span& s = keep ? spans[i] : scratch;
        s.trace_id = tid;
        s.start_time_unix_nano = prev_start + r[kStartDelta].Varint();
        prev_start = s.start_time_unix_nano;
        s.end_time_unix_nano = s.start_time_unix_nano + static_cast<uint64_t>(UnZigZag(r[kDuration].Varint()));
        if (keep && !dict_at(r[kName].Varint(), &s.name)) return bad("name id out of range");
        if (!keep) r[kName].Varint();
        uint8_t ks = r[kKindStatus].Byte();
        if ((ks & 7) > 5 || ((ks >> 3) & 3) > 2) return bad("bad kind/status byte");
        s.kind = static_cast<model::SpanKind>(ks & 7);
        s.status_code = static_cast<model::StatusCode>((ks >> 3) & 3);
        s.resource_index = r[kResource].Varint32();
        if (s.resource_index >= resources_->size()) return bad("resource index out of range");
      }
      for (int c = 0; c < kNumColumns; ++c) {
        if (needed(c) && !r[c].ok()) return bad("column " + std::to_string(c) + " ended early");
      }
      if (keep && !*stop && !fn(ordinal, spans)) {
        *stop = true;
        return Status::Ok();
      }
      continue;
    }
    for (uint64_t i = 0; i < nspans; ++i) {
      model::Span& s = keep ? spans[i] : scratch;
      s.trace_id = tid;
      s.span_id.value = r[kSpanId].Fixed64();
      ids[i] = s.span_id.value;
      uint64_t p = r[kParent].Varint();
      if (p == 0) {
        s.parent_span_id.value = 0;
      } else if (p == 1) {
        s.parent_span_id.value = r[kParentRaw].Fixed64();
      } else {
        if (p - 2 >= nspans) return bad("parent index out of range");
        s.parent_span_id.value = 0;  // resolved after the loop: the parent may start later
      }
      parent_code[i] = p;
      s.start_time_unix_nano = prev_start + r[kStartDelta].Varint();
      prev_start = s.start_time_unix_nano;
      s.end_time_unix_nano = s.start_time_unix_nano + static_cast<uint64_t>(UnZigZag(r[kDuration].Varint()));
      if (keep && !dict_at(r[kName].Varint(), &s.name)) return bad("name id out of range");
      if (!keep) r[kName].Varint();
      uint8_t ks = r[kKindStatus].Byte();
      if ((ks & 7) > 5 || ((ks >> 3) & 3) > 2) return bad("bad kind/status byte");
      s.kind = static_cast<model::SpanKind>(ks & 7);
      s.status_code = static_cast<model::StatusCode>((ks >> 3) & 3);
      s.resource_index = r[kResource].Varint32();
      s.scope_index = r[kScope].Varint32();
      if (s.resource_index >= resources_->size() || s.scope_index >= scopes_->size()) {
        return bad("resource or scope index out of range");
      }
      s.flags = r[kFlags].Varint32();
      if (!DecodeAttrs(ac, dict, &s.attributes, keep)) return bad("malformed attributes");
      s.trace_state.clear();
      s.status_message.clear();
      s.dropped_attributes_count = s.dropped_events_count = s.dropped_links_count = 0;
      s.events.clear();
      s.links.clear();
      if (ks & 0x20) {
        ByteReader& x = r[kExtras];
        if (!dict_at(x.Varint(), &s.trace_state) || !dict_at(x.Varint(), &s.status_message)) {
          return bad("extras string id out of range");
        }
        s.dropped_attributes_count = x.Varint32();
        uint64_t ne = x.Varint();
        if (ne > x.remaining()) return bad("event count");
        s.events.resize(ne);
        for (auto& e : s.events) {
          e.time_unix_nano = s.start_time_unix_nano + static_cast<uint64_t>(UnZigZag(x.Varint()));
          if (!dict_at(x.Varint(), &e.name)) return bad("event name id out of range");
          e.dropped_attributes_count = x.Varint32();
          if (!DecodeAttrs(ac, dict, &e.attributes, true)) return bad("malformed event attributes");
        }
        s.dropped_events_count = x.Varint32();
        uint64_t nl = x.Varint();
        if (nl > x.remaining()) return bad("link count");
        s.links.resize(nl);
        for (auto& l : s.links) {
          std::string_view lt = x.Bytes(16);
          if (!x.ok()) return bad("truncated link");
          std::memcpy(l.trace_id.bytes.data(), lt.data(), 16);
          l.span_id.value = x.Fixed64();
          if (!dict_at(x.Varint(), &l.trace_state)) return bad("link trace state id out of range");
          l.dropped_attributes_count = x.Varint32();
          l.flags = x.Varint32();
          if (!DecodeAttrs(ac, dict, &l.attributes, true)) return bad("malformed link attributes");
        }
        s.dropped_links_count = x.Varint32();
        if (!x.ok()) return bad("malformed extras");
      }
    }
    for (int c = 0; c < kNumColumns; ++c) {
      if (!r[c].ok()) return bad("column " + std::to_string(c) + " ended early");
    }
    if (keep) {
      for (uint64_t i = 0; i < nspans; ++i) {
        if (parent_code[i] >= 2) spans[i].parent_span_id.value = ids[parent_code[i] - 2];
      }
    }
    if (keep && !*stop) {
      if (!fn(ordinal, spans)) {
        *stop = true;
        return Status::Ok();
      }
    }
  }
  return Status::Ok();
}

}  // namespace tracery::storage
