#include "model/span.h"

#include "common/json_writer.h"

#include <cmath>
#include <cstdio>

namespace tracery::model {
namespace {

void AppendJson(std::string* out, const AnyValue& v) {
  switch (v.type) {
    case AnyValue::Type::kEmpty: *out += "null"; break;
    case AnyValue::Type::kString: AppendJsonString(out, v.str); break;
    case AnyValue::Type::kBytes: AppendJsonString(out, Base64Encode(v.str)); break;
    case AnyValue::Type::kArray:
      out->push_back('[');
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i) out->push_back(',');
        AppendJson(out, v.array[i]);
      }
      out->push_back(']');
      break;
    case AnyValue::Type::kMap:
      out->push_back('{');
      for (size_t i = 0; i < v.map.size(); ++i) {
        if (i) out->push_back(',');
        AppendJsonString(out, v.map[i].key);
        out->push_back(':');
        AppendJson(out, v.map[i].value);
      }
      out->push_back('}');
      break;
    default: *out += v.ToString();
  }
}

}  // namespace

AnyValue AnyValue::String(std::string s) {
  AnyValue v;
  v.type = Type::kString;
  v.str = std::move(s);
  return v;
}
AnyValue AnyValue::Bool(bool b) {
  AnyValue v;
  v.type = Type::kBool;
  v.bool_value = b;
  return v;
}
AnyValue AnyValue::Int(int64_t i) {
  AnyValue v;
  v.type = Type::kInt;
  v.int_value = i;
  return v;
}
AnyValue AnyValue::Double(double d) {
  AnyValue v;
  v.type = Type::kDouble;
  v.double_value = d;
  return v;
}
AnyValue AnyValue::Bytes(std::string raw) {
  AnyValue v;
  v.type = Type::kBytes;
  v.str = std::move(raw);
  return v;
}

std::string AnyValue::ToString() const {
  switch (type) {
    case Type::kEmpty: return "";
    case Type::kString: return str;
    case Type::kBool: return bool_value ? "true" : "false";
    case Type::kInt: return std::to_string(int_value);
    case Type::kDouble: {
      if (std::isfinite(double_value) && double_value == std::floor(double_value) &&
          std::fabs(double_value) < 1e15) {
        return std::to_string(static_cast<int64_t>(double_value));
      }
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", double_value);
      return buf;
    }
    case Type::kBytes: return Base64Encode(str);
    case Type::kArray:
    case Type::kMap: {
      std::string out;
      AppendJson(&out, *this);
      return out;
    }
  }
  return "";
}

bool operator==(const AnyValue& a, const AnyValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case AnyValue::Type::kEmpty: return true;
    case AnyValue::Type::kString:
    case AnyValue::Type::kBytes: return a.str == b.str;
    case AnyValue::Type::kBool: return a.bool_value == b.bool_value;
    case AnyValue::Type::kInt: return a.int_value == b.int_value;
    case AnyValue::Type::kDouble:
      return a.double_value == b.double_value ||
             (std::isnan(a.double_value) && std::isnan(b.double_value));
    case AnyValue::Type::kArray: return a.array == b.array;
    case AnyValue::Type::kMap: return a.map == b.map;
  }
  return false;
}

const AnyValue* FindAttribute(const Attributes& attrs, std::string_view key) {
  for (const auto& kv : attrs)
    if (kv.key == key) return &kv.value;
  return nullptr;
}

std::string_view SpanKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kUnspecified: return "unspecified";
    case SpanKind::kInternal: return "internal";
    case SpanKind::kServer: return "server";
    case SpanKind::kClient: return "client";
    case SpanKind::kProducer: return "producer";
    case SpanKind::kConsumer: return "consumer";
  }
  return "unspecified";
}

std::string_view Resource::ServiceName() const {
  const AnyValue* v = FindAttribute(attributes, keys::kServiceName);
  if (v && v->type == AnyValue::Type::kString && !v->str.empty()) return v->str;
  return "unknown_service";
}

void SpanBatch::AppendFrom(const SpanBatch& from, const Span& span) {
  const Resource& r = from.ResourceOf(span);
  const Scope& sc = from.ScopeOf(span);
  if (resources.empty() || !(resources.back() == r)) resources.push_back(r);
  if (scopes.empty() || !(scopes.back() == sc)) scopes.push_back(sc);
  Span copy = span;
  copy.resource_index = static_cast<uint32_t>(resources.size() - 1);
  copy.scope_index = static_cast<uint32_t>(scopes.size() - 1);
  spans.push_back(std::move(copy));
}

}  // namespace tracery::model
