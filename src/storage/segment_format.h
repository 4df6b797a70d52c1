// Constants and small structures of the segment file format shared by
// SegmentWriter and SegmentReader. docs/formats/segment.md is the
// specification; keep both in step.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/byte_coding.h"

namespace tracery::storage::segment {

inline constexpr char kHeaderMagic[8] = {'T', 'R', 'S', 'E', 'G', '0', '0', '1'};
inline constexpr uint64_t kFooterMagic = 0x31444E4547455352ULL;  // "RSEGEND1" little-endian
inline constexpr size_t kFooterBytes = 32;
inline constexpr uint32_t kFormatVersion = 1;

// Per-span and per-trace column streams of a row group, in stored order.
enum Column : uint8_t {
  kTraceSpans = 0,   // varint per trace: spans of the trace in this row group
  kTraceBase,        // varint per trace: trace start - segment min start (ns)
  kSpanId,           // 8 bytes per span, little-endian of SpanId::value
  kParent,           // varint per span: 0 none, 1 external (kParentRaw), 2+i span i of the trace
  kParentRaw,        // 8 bytes per external parent
  kStartDelta,       // varint per span: start - previous span's start (first: - trace start)
  kDuration,         // zigzag varint per span: end - start (ns)
  kName,             // varint per span: dictionary id
  kKindStatus,       // byte per span: kind | status << 3 | has_extras << 5
  kResource,         // varint per span: segment resource index
  kScope,            // varint per span: segment scope index
  kFlags,            // varint per span
  kExtras,           // rarely used fields, only for spans with has_extras
  kAttrCount,        // varint per attribute list
  kAttrKey,          // varint per attribute: dictionary id
  kAttrType,         // byte per attribute: AnyValue::Type
  kAttrStr,          // varint per string attribute: dictionary id
  kAttrInt,          // zigzag varint per int attribute, 0/1 per bool attribute
  kAttrDouble,       // 8 bytes per double attribute
  kAttrRaw,          // span_codec AnyValue encoding of bytes/array/map values
  kNumColumns,
};

// Where a block is in the file. raw_bytes == 0 means stored uncompressed.
struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size_bytes = 0;
  uint64_t raw_bytes = 0;
  uint32_t masked_crc = 0;  // crc32c::Mask of the crc32c of the stored bytes

  void EncodeTo(std::string* dst) const {
    PutVarint(dst, offset);
    PutVarint(dst, size_bytes);
    PutVarint(dst, raw_bytes);
    PutFixed32(dst, masked_crc);
  }
  bool DecodeFrom(ByteReader& in) {
    offset = in.Varint();
    size_bytes = in.Varint();
    raw_bytes = in.Varint();
    masked_crc = in.Fixed32();
    return in.ok();
  }
};

struct RowGroupInfo {
  uint32_t first_trace = 0;  // ordinal in the segment's trace table
  uint32_t trace_count = 0;
  uint32_t span_count = 0;
  BlockHandle handle;  // stored uncompressed: a column directory + per-column zstd frames
};

// zstd helpers that turn library errors into Status.
Status Compress(std::string_view raw, int level, std::string* out);
Status Decompress(std::string_view compressed, size_t raw_bytes, std::string* out);

// Posting-list term spellings (see segment.md "Postings").
std::string ServiceTerm(std::string_view service);
std::string OperationTerm(std::string_view service, std::string_view name);
std::string NameTerm(std::string_view name);
std::string TagTerm(std::string_view key, std::string_view value);
inline constexpr std::string_view kErrorTerm = "e";

}  // namespace tracery::storage::segment
