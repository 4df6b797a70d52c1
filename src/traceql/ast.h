// The syntax tree of a TraceQL query, as produced by ParseTraceQL
// (parser.h) and consumed by the evaluator and the planner.
//
// A query is a spanset expression (filters `{...}` joined by `&&`, `||` and
// the structural operators) followed by zero or more pipeline stages.
// The tree is immutable after parsing and may be shared by threads that
// evaluate it concurrently (compiled regular expressions are thread-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/span.h"

namespace re2 {
class RE2;
}

namespace tracery::traceql {

// What a field expression reads from a span, or a literal's static type.
enum class Intrinsic : uint8_t {
  kNone = 0,         // not an intrinsic: an attribute or a literal
  kName,             // span name (string)
  kStatus,           // status code (enum ok/error/unset)
  kStatusMessage,    // status message (string)
  kDuration,         // span duration (duration)
  kKind,             // span kind (enum server/client/...)
  kRootName,         // name of the trace's root span
  kRootServiceName,  // service.name of the trace's root span
  kTraceDuration,    // latest end minus earliest start of the trace
};

// Where an attribute is looked up.
enum class AttributeScope : uint8_t {
  kAny = 0,   // `.x`: span attributes first, then resource attributes
  kSpan,      // `span.x`
  kResource,  // `resource.x`
};

// A dynamically typed value during evaluation and for literals. Strings are
// views: into the query's literals or into the evaluated trace, so reading
// a value never allocates.
struct Value {
  enum class Type : uint8_t { kNil = 0, kBool, kInt, kFloat, kString, kDuration, kStatus, kKind };
  Type type = Type::kNil;
  bool b = false;
  int64_t i = 0;      // kInt, kDuration (nanoseconds), kStatus, kKind (enum values)
  double f = 0;       // kFloat
  std::string_view s; // kString

  static Value Nil() { return {}; }
  static Value Bool(bool v) { Value x; x.type = Type::kBool; x.b = v; return x; }
  static Value Int(int64_t v) { Value x; x.type = Type::kInt; x.i = v; return x; }
  static Value Float(double v) { Value x; x.type = Type::kFloat; x.f = v; return x; }
  static Value String(std::string_view v) { Value x; x.type = Type::kString; x.s = v; return x; }
  static Value Duration(int64_t ns) { Value x; x.type = Type::kDuration; x.i = ns; return x; }
  static Value Status(model::StatusCode c) { Value x; x.type = Type::kStatus; x.i = static_cast<int64_t>(c); return x; }
  static Value Kind(model::SpanKind k) { Value x; x.type = Type::kKind; x.i = static_cast<int64_t>(k); return x; }
};

enum class FieldOp : uint8_t {
  kLiteral = 0,  // `literal`
  kIntrinsic,    // `intrinsic`
  kAttribute,    // `scope` + `name`
  kAnd, kOr, kNot,
  kEq, kNe, kGt, kGe, kLt, kLe, kRegex, kNotRegex,
};

// An expression evaluated on one span.
struct FieldExpr {
  FieldOp op = FieldOp::kLiteral;
  Value literal;                   // kLiteral (strings view `text`)
  std::string text;                // kLiteral string storage; kAttribute name
  Intrinsic intrinsic = Intrinsic::kNone;
  AttributeScope scope = AttributeScope::kAny;
  std::unique_ptr<FieldExpr> lhs;  // operands of binary and unary (lhs) operators
  std::unique_ptr<FieldExpr> rhs;
  std::shared_ptr<const re2::RE2> regex;  // kRegex/kNotRegex with a literal pattern
  int column = 0;                  // 1-based column where the expression starts

  // The display name of a field: "name", "span.http.method", ".foo"...
  std::string FieldName() const;
};

enum class SpansetOp : uint8_t {
  kFilter = 0,   // `{ filter }`
  kAnd,          // both sides non-empty in the trace: the union of both
  kOr,           // the union of both sides
  kDescendant,   // `>>`: right-hand spans with an ancestor among the left
  kChild,        // `>`:  right-hand spans whose parent is among the left
  kSibling,      // `~`:  right-hand spans with a sibling among the left
  kAncestor,     // `<<`: right-hand spans with a descendant among the left
  kParent,       // `<`:  right-hand spans with a child among the left
};

struct SpansetExpr {
  SpansetOp op = SpansetOp::kFilter;
  std::unique_ptr<FieldExpr> filter;  // kFilter; null for `{}` (matches all)
  std::unique_ptr<SpansetExpr> lhs;
  std::unique_ptr<SpansetExpr> rhs;
};

enum class AggregateFn : uint8_t { kCount = 0, kAvg, kMax, kMin, kSum };
std::string_view AggregateFnName(AggregateFn fn);

enum class StageKind : uint8_t {
  kAggregateFilter = 0,  // `| avg(duration) > 1s`: keep spansets whose aggregate compares true
  kBy,                   // `| by(field)`: split each spanset by the field's value
  kSelect,               // `| select(f1, f2)`: return these fields with each span
  kFilter,               // `| { filter }`: keep only spans that match, drop empty spansets
};

struct PipelineStage {
  StageKind kind = StageKind::kFilter;
  AggregateFn fn = AggregateFn::kCount;
  std::unique_ptr<FieldExpr> argument;  // aggregate argument (null for count), or by() field
  FieldOp compare = FieldOp::kGt;       // kAggregateFilter comparison
  Value threshold;                      // kAggregateFilter right-hand literal
  std::vector<std::unique_ptr<FieldExpr>> fields;  // kSelect
  std::unique_ptr<FieldExpr> filter;    // kFilter; null for `{}`
};

struct Query {
  std::unique_ptr<SpansetExpr> spansets;
  std::vector<PipelineStage> stages;
};

}  // namespace tracery::traceql
