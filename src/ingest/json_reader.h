// Typed reads of simdjson DOM values for the JSON decoders, with errors that
// name the field and what was wrong ("startTimeUnixNano: expected an unsigned
// integer (number or decimal string), got boolean"). For scalars, JSON null
// reads as "absent": the output is left unchanged and the read succeeds, as
// proto3 JSON requires; callers skip null object fields before reading
// objects and arrays. Internal to src/ingest.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tracery::ingest::json {

using Element = simdjson::dom::element;

// "string", "number", "boolean", "object", "array", "null".
std::string_view TypeName(const Element& e);

// `key` is one of the two spellings of a proto field in JSON: lowerCamelCase
// (what encoders emit) or the original snake_case (what parsers must accept).
inline bool KeyIs(std::string_view key, std::string_view camel, std::string_view snake) {
  return key == camel || key == snake;
}

Status WrongType(std::string_view field, std::string_view expected, const Element& got);

Status ReadString(const Element& e, std::string_view field, std::string_view* out);
Status ReadString(const Element& e, std::string_view field, std::string* out);
Status ReadBool(const Element& e, std::string_view field, bool* out);
// A JSON integer, or a string of decimal digits (proto3 JSON writes 64-bit
// integers as strings). Out-of-range values are errors.
Status ReadUint64(const Element& e, std::string_view field, uint64_t* out);
Status ReadInt64(const Element& e, std::string_view field, int64_t* out);
Status ReadUint32(const Element& e, std::string_view field, uint32_t* out);
// A JSON number, or a string: "NaN", "Infinity", "-Infinity" or a decimal.
Status ReadDouble(const Element& e, std::string_view field, double* out);
// InvalidArgument unless `e` is an object / array (null included: a
// default-constructed simdjson object cannot be iterated).
Status ReadObject(const Element& e, std::string_view field, simdjson::dom::object* out);
Status ReadArray(const Element& e, std::string_view field, simdjson::dom::array* out);

// `s` quoted for an error message, cut to 40 bytes.
std::string Quote(std::string_view s);

// Prefixes a failed status's message with `where` and a '.', for building
// paths like "resourceSpans[0].scopeSpans[1].spans[3].name: ...".
Status Within(std::string_view where, Status st);
std::string Indexed(std::string_view name, size_t i);  // name[i]

}  // namespace tracery::ingest::json
