#include "ingest/json_reader.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace tracery::ingest::json {

namespace dom = simdjson::dom;

std::string_view TypeName(const Element& e) {
  switch (e.type()) {
    case dom::element_type::ARRAY: return "array";
    case dom::element_type::OBJECT: return "object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "number";
    case dom::element_type::STRING: return "string";
    case dom::element_type::BOOL: return "boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "unknown";
}

Status WrongType(std::string_view field, std::string_view expected, const Element& got) {
  std::string m;
  m.append(field).append(": expected ").append(expected).append(", got ").append(TypeName(got));
  return Status::InvalidArgument(std::move(m));
}

Status ReadString(const Element& e, std::string_view field, std::string_view* out) {
  if (e.is_null()) return Status::Ok();
  if (e.get_string().get(*out) != simdjson::SUCCESS) return WrongType(field, "a string", e);
  return Status::Ok();
}

Status ReadString(const Element& e, std::string_view field, std::string* out) {
  std::string_view v;
  if (e.is_null()) return Status::Ok();
  if (e.get_string().get(v) != simdjson::SUCCESS) return WrongType(field, "a string", e);
  out->assign(v.data(), v.size());
  return Status::Ok();
}

Status ReadBool(const Element& e, std::string_view field, bool* out) {
  if (e.is_null()) return Status::Ok();
  if (e.get_bool().get(*out) != simdjson::SUCCESS) return WrongType(field, "a boolean", e);
  return Status::Ok();
}

namespace {

template <typename Int>
Status ReadInteger(const Element& e, std::string_view field, Int* out, std::string_view expected) {
  switch (e.type()) {
    case dom::element_type::NULL_VALUE: return Status::Ok();
    case dom::element_type::INT64: {
      int64_t v = e.get_int64().value_unsafe();
      if constexpr (std::is_unsigned_v<Int>) {
        if (v < 0 || static_cast<uint64_t>(v) > std::numeric_limits<Int>::max()) break;
      } else {
        if (v < std::numeric_limits<Int>::min() || v > std::numeric_limits<Int>::max()) break;
      }
      *out = static_cast<Int>(v);
      return Status::Ok();
    }
    case dom::element_type::UINT64: {
      uint64_t v = e.get_uint64().value_unsafe();
      if (v > static_cast<uint64_t>(std::numeric_limits<Int>::max())) break;
      *out = static_cast<Int>(v);
      return Status::Ok();
    }
    case dom::element_type::DOUBLE: {
      // 1e3 or 5.0 are integers written as floats; accept them when exact.
      double d = e.get_double().value_unsafe();
      if (d != std::floor(d)) {
        return Status::InvalidArgument(std::string(field) + ": " + std::to_string(d) + " is not " +
                                       std::string(expected));
      }
      if (!(d >= static_cast<double>(std::numeric_limits<Int>::min()) &&
            d < static_cast<double>(std::numeric_limits<Int>::max()))) {
        break;
      }
      *out = static_cast<Int>(d);
      return Status::Ok();
    }
    case dom::element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      Int v{};
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
        return Status::InvalidArgument(std::string(field) + ": " + Quote(s) + " is not " + std::string(expected));
      }
      *out = v;
      return Status::Ok();
    }
    default:
      return WrongType(field, std::string(expected) + " (number or decimal string)", e);
  }
  return Status::InvalidArgument(std::string(field) + ": number out of range for " + std::string(expected));
}

}  // namespace

Status ReadUint64(const Element& e, std::string_view field, uint64_t* out) {
  return ReadInteger(e, field, out, "an unsigned 64-bit integer");
}
Status ReadInt64(const Element& e, std::string_view field, int64_t* out) {
  return ReadInteger(e, field, out, "a 64-bit integer");
}
Status ReadUint32(const Element& e, std::string_view field, uint32_t* out) {
  return ReadInteger(e, field, out, "an unsigned 32-bit integer");
}

Status ReadDouble(const Element& e, std::string_view field, double* out) {
  switch (e.type()) {
    case dom::element_type::NULL_VALUE: return Status::Ok();
    case dom::element_type::INT64: *out = static_cast<double>(e.get_int64().value_unsafe()); return Status::Ok();
    case dom::element_type::UINT64: *out = static_cast<double>(e.get_uint64().value_unsafe()); return Status::Ok();
    case dom::element_type::DOUBLE: *out = e.get_double().value_unsafe(); return Status::Ok();
    case dom::element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      if (s == "NaN") { *out = std::numeric_limits<double>::quiet_NaN(); return Status::Ok(); }
      if (s == "Infinity") { *out = std::numeric_limits<double>::infinity(); return Status::Ok(); }
      if (s == "-Infinity") { *out = -std::numeric_limits<double>::infinity(); return Status::Ok(); }
      double v = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
        return Status::InvalidArgument(std::string(field) + ": " + Quote(s) + " is not a number");
      }
      *out = v;
      return Status::Ok();
    }
    default:
      return WrongType(field, "a number", e);
  }
}

Status ReadObject(const Element& e, std::string_view field, dom::object* out) {
  if (e.get_object().get(*out) == simdjson::SUCCESS) return Status::Ok();
  return WrongType(field, "an object", e);
}

Status ReadArray(const Element& e, std::string_view field, dom::array* out) {
  if (e.get_array().get(*out) == simdjson::SUCCESS) return Status::Ok();
  return WrongType(field, "an array", e);
}

std::string Quote(std::string_view s) {
  std::string q = "\"";
  if (s.size() > 40) {
    q.append(s.substr(0, 40)).append("...");
  } else {
    q.append(s);
  }
  q += '"';
  return q;
}

Status Within(std::string_view where, Status st) {
  if (st.ok()) return st;
  std::string m;
  m.reserve(where.size() + 1 + st.message().size());
  m.append(where);
  // A message about the element itself (from a read with an empty field
  // name) starts with ": " and needs no separator.
  if (st.message().empty() || st.message()[0] != ':') m += '.';
  m.append(st.message());
  return Status(st.code(), std::move(m));
}

std::string Indexed(std::string_view name, size_t i) {
  return std::string(name) + "[" + std::to_string(i) + "]";
}

}  // namespace tracery::ingest::json
