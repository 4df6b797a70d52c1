// Writes immutable columnar segment files (docs/formats/segment.md) from the
// traces of a frozen memtable: spans of a trace stored together, per-column
// encodings with a segment-wide string dictionary, zstd per column, plus the
// per-segment indexes (sorted trace table with summaries, trace-id bloom
// filter, posting lists, operations, service dependency edges).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/env.h"
#include "storage/memtable.h"

namespace tracery::storage {

struct SegmentWriteOptions {
  size_t row_group_spans = 1024;  // spans per row group (unit of decoding on read)
  int zstd_level = 3;
  // Tag keys with more than this many values seen in exactly one trace are
  // treated as unique-looking: their single-trace postings are dropped and
  // the key is listed as "not fully indexed".
  size_t max_singleton_values_per_key = 512;
};

struct SegmentFileInfo {
  uint64_t min_start_ns = 0;
  uint64_t max_start_ns = 0;
  uint64_t max_end_ns = 0;
  uint64_t span_count = 0;
  uint64_t trace_count = 0;
  uint64_t file_bytes = 0;
};

// Writes `traces` (sorted by trace id, non-empty, all from `mem`, which must
// be frozen) to `path`: first to path + ".tmp", fsynced, then renamed and
// the directory fsynced, so a crash never leaves a partial segment under
// the final name.
Result<SegmentFileInfo> WriteSegment(Env* env, const std::string& dir, const std::string& file_name,
                                     const Memtable& mem,
                                     const std::vector<std::pair<model::TraceId, const MemTrace*>>& traces,
                                     const SegmentWriteOptions& options);

}  // namespace tracery::storage
