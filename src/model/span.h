// Tracery's in-memory data model of traces: the OTLP model, complete, with
// ids in binary. Every decoder produces a SpanBatch, the store takes and
// returns SpanBatches, and every API encoder renders one. A trace read back
// from the store is a SpanBatch whose spans share one trace id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/ids.h"

namespace tracery::model {

struct KeyValue;

// A typed attribute value (OTLP AnyValue). Strings and bytes share `str`.
struct AnyValue {
  enum class Type : uint8_t { kEmpty = 0, kString, kBool, kInt, kDouble, kBytes, kArray, kMap };

  Type type = Type::kEmpty;
  bool bool_value = false;
  int64_t int_value = 0;
  double double_value = 0;
  std::string str;                 // kString (UTF-8) or kBytes (raw)
  std::vector<AnyValue> array;     // kArray
  std::vector<KeyValue> map;       // kMap

  static AnyValue String(std::string s);
  static AnyValue Bool(bool b);
  static AnyValue Int(int64_t i);
  static AnyValue Double(double d);
  static AnyValue Bytes(std::string raw);

  // A human-readable rendering: strings as-is, bools as true/false, numbers in
  // decimal, bytes as base64, arrays and maps as compact JSON. Used for tag
  // search and for APIs (Zipkin) whose tags are strings only.
  std::string ToString() const;

  friend bool operator==(const AnyValue&, const AnyValue&);
};

struct KeyValue {
  std::string key;
  AnyValue value;
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

using Attributes = std::vector<KeyValue>;

// First attribute with this key, or nullptr.
const AnyValue* FindAttribute(const Attributes& attrs, std::string_view key);

enum class SpanKind : uint8_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};
std::string_view SpanKindName(SpanKind kind);  // "server", "client", ... ("unspecified")

enum class StatusCode : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

struct Event {
  uint64_t time_unix_nano = 0;
  std::string name;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  friend bool operator==(const Event&, const Event&) = default;
};

struct Link {
  TraceId trace_id;
  SpanId span_id;
  std::string trace_state;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;
  friend bool operator==(const Link&, const Link&) = default;
};

struct Resource {
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  std::string schema_url;
  // The value of the `service.name` attribute, or "unknown_service" when absent.
  std::string_view ServiceName() const;
  friend bool operator==(const Resource&, const Resource&) = default;
};

struct Scope {
  std::string name;
  std::string version;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  std::string schema_url;
  friend bool operator==(const Scope&, const Scope&) = default;
};

struct Span {
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;  // zero for a root span
  std::string trace_state;
  uint32_t flags = 0;     // W3C trace flags in the low 8 bits, OTLP span flags above
  std::string name;
  SpanKind kind = SpanKind::kUnspecified;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  std::vector<Event> events;
  uint32_t dropped_events_count = 0;
  std::vector<Link> links;
  uint32_t dropped_links_count = 0;
  StatusCode status_code = StatusCode::kUnset;
  std::string status_message;

  // Indexes into the owning SpanBatch's resources and scopes.
  uint32_t resource_index = 0;
  uint32_t scope_index = 0;

  uint64_t DurationNanos() const {
    return end_time_unix_nano > start_time_unix_nano ? end_time_unix_nano - start_time_unix_nano : 0;
  }
  friend bool operator==(const Span&, const Span&) = default;
};

// A set of spans with the resources and scopes they point to. Resources and
// scopes are shared by index so a batch of 1,000 spans from one process
// carries its resource once.
struct SpanBatch {
  std::vector<Resource> resources;
  std::vector<Scope> scopes;
  std::vector<Span> spans;

  const Resource& ResourceOf(const Span& s) const { return resources[s.resource_index]; }
  const Scope& ScopeOf(const Span& s) const { return scopes[s.scope_index]; }
  std::string_view ServiceOf(const Span& s) const { return resources[s.resource_index].ServiceName(); }

  // Appends `span` from `from`, copying its resource and scope into this
  // batch (deduplicated against the last ones appended).
  void AppendFrom(const SpanBatch& from, const Span& span);
  bool empty() const { return spans.empty(); }
  size_t size() const { return spans.size(); }
};

// Attribute keys Tracery itself writes or reads specially.
namespace keys {
inline constexpr std::string_view kServiceName = "service.name";
// Set on a span (bool true) when any of its values were truncated at ingest
// because they exceeded a configured limit; the truncated attribute's key is
// listed in `tracery.truncated_keys` (string array).
inline constexpr std::string_view kTruncated = "tracery.truncated";
inline constexpr std::string_view kTruncatedKeys = "tracery.truncated_keys";
// The sampling probability's inverse (adjusted count) of a stored span, when
// sampling dropped others like it; absent means 1.
inline constexpr std::string_view kAdjustedCount = "tracery.adjusted_count";
}  // namespace keys

}  // namespace tracery::model
