// span_codec: Tracery's compact binary encoding of a SpanBatch. It is the
// payload of every WAL record (docs/formats/wal.md describes it field by
// field) and carries complex attribute values (arrays, maps) in segments.
//
// Lossless: DecodeSpanBatch(EncodeSpanBatch(b)) == b for every field of the
// model. Decoding untrusted bytes never crashes; malformed input yields
// Corruption naming what is wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/span.h"
#include "storage/byte_coding.h"

namespace tracery::storage {

// Where one span's encoding sits in *dst after EncodeSpanBatch: bytes
// [begin, indexes_begin) are the span up to (not including) its trailing
// resource_index and scope_index varints, which end at `end`. Lets the
// memtable copy a span's WAL bytes instead of encoding it again.
struct EncodedSpanRange {
  size_t begin = 0;
  size_t indexes_begin = 0;
  size_t end = 0;
};

// Appends the encoding of `batch` to *dst; if `ranges` is not null, appends
// the position of each span's encoding in *dst to it. Hot path: no
// allocation beyond growing *dst and *ranges (reuse them across calls).
void EncodeSpanBatch(const model::SpanBatch& batch, std::string* dst,
                     std::vector<EncodedSpanRange>* ranges = nullptr);
Result<model::SpanBatch> DecodeSpanBatch(std::string_view data);

// One span in the batch encoding's span layout, with the given resource and
// scope indexes (the memtable stores spans this way, indexes into its own
// tables). Hot path: no allocation beyond growing *dst.
void EncodeSpan(const model::Span& s, uint32_t resource_index, uint32_t scope_index, std::string* dst);
// Decodes one span written by EncodeSpan into *out, overwriting every field
// and reusing its buffers (decode many spans into one scratch span or a
// reused vector to avoid allocation). Returns nullptr on success, else the
// name of the malformed field (and `in` may be failed). Index ranges are not
// checked here: callers check resource_index/scope_index against their tables.
const char* DecodeSpan(ByteReader& in, model::Span* out);

// Building blocks, shared with the segment format.
void EncodeAnyValue(const model::AnyValue& v, std::string* dst);
void EncodeAttributes(const model::Attributes& attrs, std::string* dst);
// Return false (and leave `in` failed) on malformed input or nesting deeper
// than 32 levels.
bool DecodeAnyValue(ByteReader& in, model::AnyValue* out, int depth = 0);
bool DecodeAttributes(ByteReader& in, model::Attributes* out, int depth = 0);

}  // namespace tracery::storage
