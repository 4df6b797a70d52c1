// Ingest limits the decoder fuzz targets share: small, so that inputs of a
// few hundred bytes already reach every truncation and rejection path.
#pragma once

#include "ingest/decode_result.h"

namespace tracery::ingest {

inline IngestLimits SmallFuzzLimits() {
  IngestLimits limits;
  limits.max_attributes_per_span = 8;
  limits.max_attribute_value_bytes = 16;
  limits.max_events_per_span = 4;
  limits.max_links_per_span = 4;
  limits.max_array_values = 8;
  limits.max_value_depth = 4;
  return limits;
}

}  // namespace tracery::ingest
