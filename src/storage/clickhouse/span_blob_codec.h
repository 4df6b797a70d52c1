// The span blob: the part of a span that ClickHouse stores as one opaque
// String column (`span_blob`) so that GetTrace and ScanSpans return every
// model field exactly: typed attribute values, events, links, trace state,
// flags, dropped counts, the status message, and the span's resource and
// scope. Fields that are columns of their own (trace id, span id, parent id,
// name, kind, start, duration, status code) are not repeated in the blob.
// The byte layout is documented in docs/formats/clickhouse.md.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include "model/span.h"

namespace tracery::storage::clickhouse {

inline constexpr uint8_t kSpanBlobVersion = 1;

// Appends the blob of `span` (whose resource and scope are looked up in
// `batch`) to `out`, framed as a RowBinary String (length prefix included).
void AppendSpanBlob(const model::SpanBatch& batch, const model::Span& span, std::string* out);

// Rebuilds spans from their column values and blobs into one SpanBatch,
// sharing identical resources and scopes between spans (they are compared
// by their encoded bytes, so a resource is decoded once per batch).
// Not thread-safe; one per batch being built.
class SpanBatchAssembler {
 public:
  explicit SpanBatchAssembler(model::SpanBatch* out) : out_(out) {}

  // `span` carries the column fields (trace id, ids, name, kind, start,
  // status code); the blob supplies the rest. Corruption when the blob is
  // truncated, has an unknown version, or nests values deeper than 64.
  Status Add(model::Span span, uint64_t duration_ns, std::string_view blob);

 private:
  model::SpanBatch* out_;
  std::unordered_map<std::string, uint32_t> resource_index_;
  std::unordered_map<std::string, uint32_t> scope_index_;
};

}  // namespace tracery::storage::clickhouse
