#include "traceql/parser.h"

#include <re2/re2.h>

#include <utility>
#include <vector>

#include "traceql/lexer.h"

namespace tracery::traceql {

std::string_view AggregateFnName(AggregateFn fn) {
  switch (fn) {
    case AggregateFn::kCount: return "count";
    case AggregateFn::kAvg: return "avg";
    case AggregateFn::kMax: return "max";
    case AggregateFn::kMin: return "min";
    case AggregateFn::kSum: return "sum";
  }
  return "?";
}

std::string FieldExpr::FieldName() const {
  if (op == FieldOp::kAttribute) {
    switch (scope) {
      case AttributeScope::kSpan: return "span." + text;
      case AttributeScope::kResource: return "resource." + text;
      case AttributeScope::kAny: return "." + text;
    }
  }
  switch (intrinsic) {
    case Intrinsic::kName: return "name";
    case Intrinsic::kStatus: return "status";
    case Intrinsic::kStatusMessage: return "statusMessage";
    case Intrinsic::kDuration: return "duration";
    case Intrinsic::kKind: return "kind";
    case Intrinsic::kRootName: return "rootName";
    case Intrinsic::kRootServiceName: return "rootServiceName";
    case Intrinsic::kTraceDuration: return "traceDuration";
    case Intrinsic::kNone: break;
  }
  return "expression";
}

namespace {

constexpr int kMaxDepth = 64;
constexpr size_t kMaxRegexBytes = 1024;

Intrinsic IntrinsicByName(std::string_view n) {
  if (n == "name" || n == "span:name") return Intrinsic::kName;
  if (n == "status" || n == "span:status") return Intrinsic::kStatus;
  if (n == "statusMessage" || n == "span:statusMessage") return Intrinsic::kStatusMessage;
  if (n == "duration" || n == "span:duration") return Intrinsic::kDuration;
  if (n == "kind" || n == "span:kind") return Intrinsic::kKind;
  if (n == "rootName" || n == "trace:rootName") return Intrinsic::kRootName;
  if (n == "rootServiceName" || n == "trace:rootService") return Intrinsic::kRootServiceName;
  if (n == "traceDuration" || n == "trace:duration") return Intrinsic::kTraceDuration;
  return Intrinsic::kNone;
}

// Literal identifiers: booleans, nil and the status and kind enums.
bool EnumLiteral(std::string_view n, Value* v) {
  using model::SpanKind;
  using model::StatusCode;
  if (n == "true") *v = Value::Bool(true);
  else if (n == "false") *v = Value::Bool(false);
  else if (n == "nil") *v = Value::Nil();
  else if (n == "ok") *v = Value::Status(StatusCode::kOk);
  else if (n == "error") *v = Value::Status(StatusCode::kError);
  else if (n == "unset") *v = Value::Status(StatusCode::kUnset);
  else if (n == "server") *v = Value::Kind(SpanKind::kServer);
  else if (n == "client") *v = Value::Kind(SpanKind::kClient);
  else if (n == "producer") *v = Value::Kind(SpanKind::kProducer);
  else if (n == "consumer") *v = Value::Kind(SpanKind::kConsumer);
  else if (n == "internal") *v = Value::Kind(SpanKind::kInternal);
  else if (n == "unspecified") *v = Value::Kind(SpanKind::kUnspecified);
  else return false;
  return true;
}

bool IsComparison(TokenType t) {
  return t == TokenType::kEq || t == TokenType::kNe || t == TokenType::kGt || t == TokenType::kGe ||
         t == TokenType::kLt || t == TokenType::kLe || t == TokenType::kRegex || t == TokenType::kNotRegex;
}

FieldOp ComparisonOp(TokenType t) {
  switch (t) {
    case TokenType::kEq: return FieldOp::kEq;
    case TokenType::kNe: return FieldOp::kNe;
    case TokenType::kGt: return FieldOp::kGt;
    case TokenType::kGe: return FieldOp::kGe;
    case TokenType::kLt: return FieldOp::kLt;
    case TokenType::kLe: return FieldOp::kLe;
    case TokenType::kRegex: return FieldOp::kRegex;
    default: return FieldOp::kNotRegex;
  }
}

bool IsValueNode(const FieldExpr& e) {
  return e.op == FieldOp::kLiteral || e.op == FieldOp::kIntrinsic || e.op == FieldOp::kAttribute;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Result<Query> Run() {
    Query q;
    auto spansets = SpansetOr();
    if (!spansets.ok()) return spansets.status();
    q.spansets = std::move(spansets).value();
    while (Cur().type == TokenType::kPipe) {
      ++i_;
      auto stage = Stage();
      if (!stage.ok()) return stage.status();
      q.stages.push_back(std::move(stage).value());
    }
    if (Cur().type != TokenType::kEnd) return Unexpected("'|' or end of query");
    return q;
  }

 private:
  const Token& Cur() const { return t_[i_]; }

  Status ErrorAt(const std::string& what, int column) const {
    return Status::InvalidArgument("TraceQL: " + what + " at column " + std::to_string(column));
  }
  Status Expected(std::string_view what) const {
    return ErrorAt("expected " + std::string(what) + ", found " + Describe(Cur()), Cur().column);
  }
  Status Unexpected(std::string_view wanted) const { return Expected(wanted); }
  static std::string Describe(const Token& t) {
    if (t.type == TokenType::kIdent) return "'" + t.text + "'";
    return std::string(TokenTypeName(t.type));
  }
  Status Expect(TokenType type) {
    if (Cur().type != type) return Expected(TokenTypeName(type));
    ++i_;
    return Status::Ok();
  }

  // ---- spanset expressions ----

  Result<std::unique_ptr<SpansetExpr>> SpansetOr() {
    auto lhs = SpansetAnd();
    if (!lhs.ok()) return lhs;
    while (Cur().type == TokenType::kOr) {
      ++i_;
      auto rhs = SpansetAnd();
      if (!rhs.ok()) return rhs;
      lhs = Join(SpansetOp::kOr, std::move(lhs).value(), std::move(rhs).value());
    }
    return lhs;
  }

  Result<std::unique_ptr<SpansetExpr>> SpansetAnd() {
    auto lhs = SpansetStructural();
    if (!lhs.ok()) return lhs;
    while (Cur().type == TokenType::kAnd) {
      ++i_;
      auto rhs = SpansetStructural();
      if (!rhs.ok()) return rhs;
      lhs = Join(SpansetOp::kAnd, std::move(lhs).value(), std::move(rhs).value());
    }
    return lhs;
  }

  Result<std::unique_ptr<SpansetExpr>> SpansetStructural() {
    auto lhs = SpansetPrimary();
    if (!lhs.ok()) return lhs;
    while (true) {
      SpansetOp op;
      switch (Cur().type) {
        case TokenType::kDescendant: op = SpansetOp::kDescendant; break;
        case TokenType::kGt: op = SpansetOp::kChild; break;
        case TokenType::kTilde: op = SpansetOp::kSibling; break;
        case TokenType::kAncestor: op = SpansetOp::kAncestor; break;
        case TokenType::kLt: op = SpansetOp::kParent; break;
        default: return lhs;
      }
      ++i_;
      auto rhs = SpansetPrimary();
      if (!rhs.ok()) return rhs;
      lhs = Join(op, std::move(lhs).value(), std::move(rhs).value());
    }
  }

  static std::unique_ptr<SpansetExpr> Join(SpansetOp op, std::unique_ptr<SpansetExpr> l,
                                           std::unique_ptr<SpansetExpr> r) {
    auto e = std::make_unique<SpansetExpr>();
    e->op = op;
    e->lhs = std::move(l);
    e->rhs = std::move(r);
    return e;
  }

  Result<std::unique_ptr<SpansetExpr>> SpansetPrimary() {
    if (++depth_ > kMaxDepth) return ErrorAt("query nested too deeply", Cur().column);
    struct DepthGuard { int* d; ~DepthGuard() { --*d; } } guard{&depth_};
    if (Cur().type == TokenType::kLParen) {
      ++i_;
      auto inner = SpansetOr();
      if (!inner.ok()) return inner;
      TRACERY_RETURN_IF_ERROR(Expect(TokenType::kRParen));
      return inner;
    }
    if (Cur().type != TokenType::kLBrace) return Expected("'{' or '('");
    auto filter = Filter();
    if (!filter.ok()) return filter.status();
    auto e = std::make_unique<SpansetExpr>();
    e->op = SpansetOp::kFilter;
    e->filter = std::move(filter).value();
    return e;
  }

  // `{ cond }` or `{}`; returns null for the empty filter.
  Result<std::unique_ptr<FieldExpr>> Filter() {
    TRACERY_RETURN_IF_ERROR(Expect(TokenType::kLBrace));
    if (Cur().type == TokenType::kRBrace) {
      ++i_;
      return std::unique_ptr<FieldExpr>();
    }
    auto cond = FieldOr();
    if (!cond.ok()) return cond;
    const FieldExpr& c = *cond.value();
    if (IsValueNode(c) && !(c.op == FieldOp::kLiteral && c.literal.type == Value::Type::kBool))
      return ErrorAt("a filter needs a condition such as " + c.FieldName() + " = <value>", c.column);
    if (Cur().type != TokenType::kRBrace) return Expected("'}'");
    ++i_;
    return cond;
  }

  // ---- field expressions ----

  Result<std::unique_ptr<FieldExpr>> FieldOr() {
    auto lhs = FieldAnd();
    if (!lhs.ok()) return lhs;
    while (Cur().type == TokenType::kOr) {
      ++i_;
      auto rhs = FieldAnd();
      if (!rhs.ok()) return rhs;
      lhs = Binary(FieldOp::kOr, std::move(lhs).value(), std::move(rhs).value());
    }
    return lhs;
  }

  Result<std::unique_ptr<FieldExpr>> FieldAnd() {
    auto lhs = FieldUnary();
    if (!lhs.ok()) return lhs;
    while (Cur().type == TokenType::kAnd) {
      ++i_;
      auto rhs = FieldUnary();
      if (!rhs.ok()) return rhs;
      lhs = Binary(FieldOp::kAnd, std::move(lhs).value(), std::move(rhs).value());
    }
    return lhs;
  }

  static std::unique_ptr<FieldExpr> Binary(FieldOp op, std::unique_ptr<FieldExpr> l,
                                           std::unique_ptr<FieldExpr> r) {
    auto e = std::make_unique<FieldExpr>();
    e->op = op;
    e->column = l->column;
    e->lhs = std::move(l);
    e->rhs = std::move(r);
    return e;
  }

  Result<std::unique_ptr<FieldExpr>> FieldUnary() {
    if (++depth_ > kMaxDepth) return ErrorAt("query nested too deeply", Cur().column);
    struct DepthGuard { int* d; ~DepthGuard() { --*d; } } guard{&depth_};
    if (Cur().type == TokenType::kNot) {
      int column = Cur().column;
      ++i_;
      auto inner = FieldUnary();
      if (!inner.ok()) return inner;
      auto e = std::make_unique<FieldExpr>();
      e->op = FieldOp::kNot;
      e->column = column;
      e->lhs = std::move(inner).value();
      return e;
    }
    return FieldComparison();
  }

  Result<std::unique_ptr<FieldExpr>> FieldComparison() {
    auto lhs = Operand();
    if (!lhs.ok()) return lhs;
    if (!IsComparison(Cur().type)) return lhs;
    const Token& op_token = Cur();
    FieldOp op = ComparisonOp(op_token.type);
    int op_column = op_token.column;
    ++i_;
    auto rhs = Operand();
    if (!rhs.ok()) return rhs;
    auto e = Binary(op, std::move(lhs).value(), std::move(rhs).value());
    TRACERY_RETURN_IF_ERROR(CheckComparison(e.get(), op_column));
    return e;
  }

  // Static checks a user benefits from: regexes compile, enums compare
  // with their own kind of value.
  Status CheckComparison(FieldExpr* e, int op_column) {
    if (e->op == FieldOp::kRegex || e->op == FieldOp::kNotRegex) {
      const FieldExpr& pat = *e->rhs;
      if (pat.op != FieldOp::kLiteral || pat.literal.type != Value::Type::kString)
        return ErrorAt("a regular expression must be a string literal", pat.column);
      if (pat.text.size() > kMaxRegexBytes)
        return ErrorAt("regular expression longer than 1024 bytes", pat.column);
      RE2::Options opts;
      opts.set_log_errors(false);
      opts.set_max_mem(1 << 20);
      auto re = std::make_shared<const RE2>(pat.text, opts);
      if (!re->ok()) return ErrorAt("invalid regular expression: " + re->error(), pat.column);
      e->regex = std::move(re);
      return Status::Ok();
    }
    for (auto [field, lit] : {std::pair{e->lhs.get(), e->rhs.get()}, std::pair{e->rhs.get(), e->lhs.get()}}) {
      if (field->op != FieldOp::kIntrinsic || lit->op != FieldOp::kLiteral) continue;
      Value::Type t = lit->literal.type;
      if (field->intrinsic == Intrinsic::kStatus && t != Value::Type::kStatus && t != Value::Type::kNil)
        return ErrorAt("status compares with error, ok or unset", lit->column);
      if (field->intrinsic == Intrinsic::kKind && t != Value::Type::kKind && t != Value::Type::kNil)
        return ErrorAt("kind compares with server, client, producer, consumer, internal or unspecified",
                       lit->column);
      if ((field->intrinsic == Intrinsic::kDuration || field->intrinsic == Intrinsic::kTraceDuration) &&
          t != Value::Type::kDuration && t != Value::Type::kInt && t != Value::Type::kNil)
        return ErrorAt(field->FieldName() + " compares with a duration such as 100ms", lit->column);
    }
    (void)op_column;
    return Status::Ok();
  }

  Result<std::unique_ptr<FieldExpr>> Operand() {
    const Token& tok = Cur();
    auto e = std::make_unique<FieldExpr>();
    e->column = tok.column;
    switch (tok.type) {
      case TokenType::kLParen: {
        ++i_;
        auto inner = FieldOr();
        if (!inner.ok()) return inner;
        TRACERY_RETURN_IF_ERROR(Expect(TokenType::kRParen));
        return inner;
      }
      case TokenType::kAttribute:
        e->op = FieldOp::kAttribute;
        e->text = tok.text;
        e->scope = static_cast<AttributeScope>(tok.scope);
        break;
      case TokenType::kString:
        e->op = FieldOp::kLiteral;
        e->text = tok.text;
        e->literal = Value::String({});  // the view is set by FixStringViews
        break;
      case TokenType::kInt:
        e->literal = Value::Int(tok.int_value);
        break;
      case TokenType::kFloat:
        e->literal = Value::Float(tok.float_value);
        break;
      case TokenType::kDuration:
        e->literal = Value::Duration(tok.int_value);
        break;
      case TokenType::kIdent: {
        Intrinsic in = IntrinsicByName(tok.text);
        if (in != Intrinsic::kNone) {
          e->op = FieldOp::kIntrinsic;
          e->intrinsic = in;
        } else if (!EnumLiteral(tok.text, &e->literal)) {
          return ErrorAt("unknown identifier '" + tok.text +
                             "'; attributes need a scope: span." + tok.text + ", resource." + tok.text +
                             " or ." + tok.text,
                         tok.column);
        }
        break;
      }
      default:
        return Expected("a field or a value");
    }
    ++i_;
    return e;
  }

  // ---- pipeline ----

  Result<PipelineStage> Stage() {
    PipelineStage st;
    const Token& tok = Cur();
    if (tok.type == TokenType::kLBrace) {
      st.kind = StageKind::kFilter;
      auto f = Filter();
      if (!f.ok()) return f.status();
      st.filter = std::move(f).value();
      return st;
    }
    if (tok.type != TokenType::kIdent) return Expected("a pipeline stage (count(), avg(), by(), select(), {...})");
    const std::string name = tok.text;
    const int column = tok.column;
    ++i_;
    TRACERY_RETURN_IF_ERROR(Expect(TokenType::kLParen));
    if (name == "by") {
      st.kind = StageKind::kBy;
      auto f = FieldOr();
      if (!f.ok()) return f.status();
      st.argument = std::move(f).value();
      TRACERY_RETURN_IF_ERROR(Expect(TokenType::kRParen));
      return st;
    }
    if (name == "select") {
      st.kind = StageKind::kSelect;
      while (true) {
        auto f = FieldOr();
        if (!f.ok()) return f.status();
        if (f.value()->op != FieldOp::kAttribute && f.value()->op != FieldOp::kIntrinsic)
          return ErrorAt("select() takes attributes or intrinsics", f.value()->column);
        st.fields.push_back(std::move(f).value());
        if (Cur().type != TokenType::kComma) break;
        ++i_;
      }
      TRACERY_RETURN_IF_ERROR(Expect(TokenType::kRParen));
      return st;
    }
    st.kind = StageKind::kAggregateFilter;
    if (name == "count") st.fn = AggregateFn::kCount;
    else if (name == "avg") st.fn = AggregateFn::kAvg;
    else if (name == "max") st.fn = AggregateFn::kMax;
    else if (name == "min") st.fn = AggregateFn::kMin;
    else if (name == "sum") st.fn = AggregateFn::kSum;
    else return ErrorAt("unknown pipeline function '" + name + "'", column);
    if (st.fn == AggregateFn::kCount) {
      TRACERY_RETURN_IF_ERROR(Expect(TokenType::kRParen));
    } else {
      auto f = FieldOr();
      if (!f.ok()) return f.status();
      if (!IsValueNode(*f.value()) || f.value()->op == FieldOp::kLiteral)
        return ErrorAt(name + "() takes a field such as duration or span.x", f.value()->column);
      st.argument = std::move(f).value();
      TRACERY_RETURN_IF_ERROR(Expect(TokenType::kRParen));
    }
    if (!IsComparison(Cur().type) || Cur().type == TokenType::kRegex || Cur().type == TokenType::kNotRegex)
      return Expected("a comparison after " + name + "()");
    st.compare = ComparisonOp(Cur().type);
    ++i_;
    const Token& lit = Cur();
    switch (lit.type) {
      case TokenType::kInt: st.threshold = Value::Int(lit.int_value); break;
      case TokenType::kFloat: st.threshold = Value::Float(lit.float_value); break;
      case TokenType::kDuration: st.threshold = Value::Duration(lit.int_value); break;
      default: return Expected("a number or duration");
    }
    ++i_;
    return st;
  }

  std::vector<Token> t_;
  size_t i_ = 0;
  int depth_ = 0;
};

// String literals view their own `text`; set the views once the tree's
// nodes have their final addresses.
void FixStringViews(FieldExpr* e) {
  if (!e) return;
  if (e->op == FieldOp::kLiteral && e->literal.type == Value::Type::kString) e->literal.s = e->text;
  FixStringViews(e->lhs.get());
  FixStringViews(e->rhs.get());
}

void FixStringViews(SpansetExpr* e) {
  if (!e) return;
  FixStringViews(e->filter.get());
  FixStringViews(e->lhs.get());
  FixStringViews(e->rhs.get());
}

}  // namespace

Result<Query> ParseTraceQL(std::string_view text) {
  auto tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  auto q = Parser(std::move(tokens).value()).Run();
  if (!q.ok()) return q;
  FixStringViews(q->spansets.get());
  for (auto& st : q->stages) {
    FixStringViews(st.filter.get());
    FixStringViews(st.argument.get());
  }
  return q;
}

}  // namespace tracery::traceql
