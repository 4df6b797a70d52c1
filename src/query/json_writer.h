// JsonWriter: appends compact JSON to a caller-owned std::string. Used by
// every query API encoder; it never allocates beyond the output string's
// growth, so encoding a trace costs one buffer, not one string per value.
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

namespace tracery::query {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  // Non-finite doubles have no JSON form; they are written as strings
  // ("NaN", "Infinity", "-Infinity") as protobuf's JSON mapping does.
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
  std::string* out_;
  // One entry per open container: true once it holds a value.
  std::vector<bool> has_value_;
  bool after_key_ = false;
};

// Appends `s` as a quoted, escaped JSON string.
void AppendJsonString(std::string* out, std::string_view s);

// Standard base64 with padding (RFC 4648 section 4), as OTLP/JSON and the
// Jaeger API render bytes.
std::string Base64Encode(std::string_view raw);

}  // namespace tracery::query
