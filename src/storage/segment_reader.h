// SegmentReader: read access to one immutable segment file
// (docs/formats/segment.md). Open() reads and checks the footer and the meta
// block and keeps the small always-needed parts in memory (time range,
// bloom filter, operations, dependency edges, row-group directory). The
// dictionary, resources, scopes, trace table and posting lists are loaded on
// first use and cached for the reader's lifetime; row groups are decoded per
// request and never cached.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "model/span.h"
#include "storage/env.h"
#include "storage/segment_format.h"
#include "storage/span_matcher.h"
#include "storage/span_store.h"

namespace tracery::storage {

// Per-trace summary rows of a segment, in trace-id order (the ordinal).
struct SegmentTraceTable {
  std::vector<model::TraceId> ids;
  std::vector<uint64_t> start_ns, end_ns, root_start_ns;
  std::vector<uint32_t> span_count, error_count, dropped_spans, root_service, root_operation;
  std::vector<uint8_t> has_root;

  // Ordinal of `id`, or -1.
  int64_t Find(const model::TraceId& id) const;
  TracePartial Partial(size_t ordinal, const std::vector<std::string>& dict) const;
};

struct SegmentOperation {
  std::string service;
  std::string name;
  model::SpanKind kind;
};

class SegmentReader {
 public:
  // `number`: the segment's file number (its name), used for ordering.
  static Result<std::shared_ptr<SegmentReader>> Open(Env* env, const std::string& path, uint64_t number);

  const std::string& path() const { return path_; }
  uint64_t number() const { return number_; }
  uint64_t file_bytes() const { return file_bytes_; }
  uint64_t min_start_ns() const { return min_start_ns_; }
  uint64_t max_start_ns() const { return max_start_ns_; }
  uint64_t max_end_ns() const { return max_end_ns_; }
  uint64_t span_count() const { return span_count_; }
  uint64_t trace_count() const { return trace_count_; }
  const std::vector<SegmentOperation>& operations() const { return ops_; }
  const std::vector<DependencyLink>& dependencies() const { return deps_; }

  // False only when the trace is certainly not in this segment.
  bool MayContain(const model::TraceId& id) const;

  // Appends the spans of trace `id` to *out (resources and scopes copied in);
  // sets *found. Corruption when a block fails its checksum.
  Status GetTrace(const model::TraceId& id, model::SpanBatch* out, bool* found);

  Result<std::shared_ptr<const SegmentTraceTable>> Traces();
  // The dictionary (needed to turn SegmentTraceTable ids into strings).
  Result<std::shared_ptr<const std::vector<std::string>>> Dictionary();
  // Every trace ordinal, sorted by the trace's start_ns (ascending; ties by
  // ordinal). Built on first use and cached (4 bytes per trace), so a
  // newest-first search can walk a segment by time without scanning it.
  Result<std::shared_ptr<const std::vector<uint32_t>>> OrdinalsByStart();

  // Trace ordinals (sorted) that may satisfy `c`, from the posting lists;
  // nullopt when the postings cannot narrow it (every trace is a candidate).
  // *exact is set when every candidate certainly satisfies `c`, so no span
  // needs decoding to confirm.
  Result<std::optional<std::vector<uint32_t>>> Candidates(const SpanCondition& c, bool* exact);

  // Decodes the row groups that hold the traces for which want(ordinal) is
  // true (all traces when `want` is empty) and calls fn(ordinal, spans) per
  // wanted trace, spans in start-time order, resource/scope indexes into
  // resources()/scopes(). Stops early when fn returns false.
  Status ForEachTrace(const std::function<bool(uint32_t)>& want,
                      const std::function<bool(uint32_t, const std::vector<model::Span>&)>& fn);

  // As ForEachTrace, but decodes only what a SpanCondition without tags
  // reads: each span's start and end time, name, kind, status and resource
  // index; every other field is left empty (ids zero, no attributes, events
  // or links). About a third of the columns are decompressed.
  Status ForEachTraceTimesAndNames(const std::function<bool(uint32_t)>& want,
                                   const std::function<bool(uint32_t, const std::vector<model::Span>&)>& fn);

  // REQUIRES: a successful Traces(), GetTrace() or ForEachTrace() call before.
  const std::vector<model::Resource>& resources() const { return *resources_; }
  const std::vector<model::Scope>& scopes() const { return *scopes_; }

 private:
  SegmentReader() = default;
  Status ReadBlock(const segment::BlockHandle& h, std::string* out) const;
  Status EnsureLoaded();          // dictionary, resources, scopes, trace table
  Status EnsurePostingsLoaded();
  Status DecodeRowGroup(size_t rg, const std::function<bool(uint32_t)>& want,
                        const std::function<bool(uint32_t, const std::vector<model::Span>&)>& fn,
                        bool* stop, bool names_only = false);
  Status ForEachTraceImpl(const std::function<bool(uint32_t)>& want,
                          const std::function<bool(uint32_t, const std::vector<model::Span>&)>& fn,
                          bool names_only);

  std::string path_;
  uint64_t number_ = 0;
  uint64_t file_bytes_ = 0;
  std::unique_ptr<RandomAccessFile> file_;
  uint64_t min_start_ns_ = 0, max_start_ns_ = 0, max_end_ns_ = 0, span_count_ = 0, trace_count_ = 0;
  segment::BlockHandle h_dict_, h_res_, h_scope_, h_traces_, h_post_;
  std::string bloom_;
  std::vector<SegmentOperation> ops_;
  std::vector<DependencyLink> deps_;
  std::vector<segment::RowGroupInfo> row_groups_;

  std::mutex load_mu_;
  bool loaded_ = false;  // GUARDED_BY(load_mu_); the members below are immutable once set
  std::shared_ptr<const std::vector<std::string>> dict_;
  std::shared_ptr<const std::vector<model::Resource>> resources_;
  std::shared_ptr<const std::vector<model::Scope>> scopes_;
  std::shared_ptr<const SegmentTraceTable> traces_;
  std::shared_ptr<const std::vector<uint32_t>> by_start_;  // GUARDED_BY(load_mu_)
  bool postings_loaded_ = false;  // GUARDED_BY(load_mu_)
  std::unordered_map<std::string, std::vector<uint32_t>> postings_;
  std::unordered_set<std::string> pruned_keys_;
};

}  // namespace tracery::storage
