// JsonWriter: appends compact JSON to a std::string, either caller-owned
// (JsonWriter(&out)) or its own (JsonWriter(), then Take()). The one JSON
// writer of the query, analysis and TraceQL APIs; it never allocates beyond
// the output string's growth, so encoding a trace costs one buffer, not one
// string per value.
//
// Contract: the caller emits a well-formed sequence (Key only inside an
// object, every Begin matched by its End); the writer inserts commas. Strings
// are escaped per RFC 8259; invalid UTF-8 bytes are replaced by U+FFFD so
// the output is always valid JSON whatever the stored attribute bytes were.
// Not thread-safe; one writer per response.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tracery {

class JsonWriter {
 public:
  // How Double() writes NaN and the infinities, which JSON cannot carry.
  enum class NonFiniteDoubles {
    kAsStrings,  // "NaN", "Infinity", "-Infinity", as protobuf's JSON mapping does
    kAsZero,     // 0, for numeric fields whose readers expect a number
  };

  // Appends to `*out`, which must outlive the writer.
  explicit JsonWriter(std::string* out, NonFiniteDoubles non_finite = NonFiniteDoubles::kAsStrings)
      : out_(out), non_finite_(non_finite) {}
  // Appends to a string the writer owns; Take() hands it over.
  explicit JsonWriter(NonFiniteDoubles non_finite = NonFiniteDoubles::kAsStrings)
      : out_(&owned_), non_finite_(non_finite) {}
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  // The output so far, moved out. REQUIRES: constructed without `out`.
  std::string Take() { return std::move(owned_); }

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  // Shortest round-trip form; non-finite values as NonFiniteDoubles says.
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Inserts already-encoded JSON as one value. REQUIRES: `json` is valid.
  JsonWriter& Raw(std::string_view json);

  // Key(k).String(v) and friends, for brevity at call sites.
  JsonWriter& Field(std::string_view k, std::string_view v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, const char* v) { return Key(k).String(v); }
  JsonWriter& FieldInt(std::string_view k, int64_t v) { return Key(k).Int(v); }
  JsonWriter& FieldUint(std::string_view k, uint64_t v) { return Key(k).Uint(v); }
  JsonWriter& FieldBool(std::string_view k, bool v) { return Key(k).Bool(v); }

 private:
  void BeforeValue();
  std::string owned_;
  std::string* out_;
  NonFiniteDoubles non_finite_;
  // One entry per open container: true once it holds a value.
  std::vector<bool> has_value_;
  bool after_key_ = false;
};

// Appends `s` as a quoted, escaped JSON string.
void AppendJsonString(std::string* out, std::string_view s);

// Appends `s` escaped for use inside a JSON string literal, without the
// quotes (for encoders that write the quotes themselves).
void AppendJsonEscaped(std::string* out, std::string_view s);

// Standard base64 with padding (RFC 4648 section 4), as OTLP/JSON and the
// Jaeger API render bytes.
std::string Base64Encode(std::string_view raw);

}  // namespace tracery
