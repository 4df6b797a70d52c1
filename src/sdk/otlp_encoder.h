// Hand-written protobuf encoder for OTLP ExportTraceServiceRequest.
//
// Why not the generated classes: building a message tree costs an
// allocation per span, attribute and string; this writes wire bytes straight
// from SpanRecords into one reused buffer (see BM_ExportEncodePerSpan).
// Field numbers follow proto/opentelemetry/proto/trace/v1/trace.proto and
// common/v1/common.proto; otlp_encoder_test.cc decodes the output with the
// generated classes and compares every field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "span_record.h"

namespace tracery::internal {

class OtlpEncoder {
 public:
  // `resource_attributes` are encoded once here as string KeyValues.
  explicit OtlpEncoder(const std::vector<std::pair<std::string, std::string>>& resource_attributes);
  // Replaces *out with one ExportTraceServiceRequest holding one
  // ResourceSpans with one ScopeSpans per distinct scope among `spans`.
  void Encode(SpanRecord* const* spans, size_t count, std::string* out) const;
  const std::string& encoded_resource() const { return resource_; }

 private:
  std::string resource_;  // Resource message body
};

}  // namespace tracery::internal
