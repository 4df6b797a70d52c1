#include "traceql/evaluator.h"

#include <re2/re2.h>

#include <algorithm>
#include <unordered_map>

namespace tracery::traceql {

void TraceIndex::Build(const model::SpanBatch& trace) {
  trace_ = &trace;
  const uint32_t n = static_cast<uint32_t>(trace.spans.size());
  parent_.assign(n, kNone);
  live_.assign(n, 0);
  order_.clear();
  root_ = kNone;
  start_ns_ = UINT64_MAX;
  end_ns_ = 0;
  if (n == 0) {
    start_ns_ = 0;
    return;
  }
  links_.Build(trace);
  for (uint32_t i = 0; i < n; ++i) {
    if (!links_.live(i)) continue;
    live_[i] = 1;
    parent_[i] = links_.parent(i);
    start_ns_ = std::min(start_ns_, trace.spans[i].start_time_unix_nano);
    end_ns_ = std::max(end_ns_, trace.spans[i].end_time_unix_nano);
  }
  const std::vector<uint32_t>& roots = links_.roots();
  std::vector<uint8_t> seen(n, 0);
  for (uint32_t r : roots) {
    order_.push_back(r);
    seen[r] = 1;
  }
  for (size_t k = 0; k < order_.size(); ++k) {
    for (uint32_t c = links_.first_child(order_[k]); c != kNone; c = links_.next_sibling(c)) {
      if (seen[c]) continue;
      seen[c] = 1;
      order_.push_back(c);
    }
  }
  // Spans on a parent cycle are unreachable from any root: they keep no
  // ancestors so structural operators cannot loop on them.
  for (uint32_t i = 0; i < n; ++i) {
    if (live_[i] && !seen[i]) {
      parent_[i] = kNone;
      order_.push_back(i);
    }
  }
  auto earlier = [&](uint32_t a, uint32_t b) {
    return trace.spans[a].start_time_unix_nano < trace.spans[b].start_time_unix_nano;
  };
  for (uint32_t r : roots)
    if (trace.spans[r].parent_span_id.IsZero() && (root_ == kNone || earlier(r, root_))) root_ = r;
  if (root_ == kNone)
    for (uint32_t i : order_)
      if (root_ == kNone || earlier(i, root_)) root_ = i;
}

namespace {

Value FromAnyValue(const model::AnyValue* v) {
  if (!v) return Value::Nil();
  using T = model::AnyValue::Type;
  switch (v->type) {
    case T::kString: return Value::String(v->str);
    case T::kBool: return Value::Bool(v->bool_value);
    case T::kInt: return Value::Int(v->int_value);
    case T::kDouble: return Value::Float(v->double_value);
    default: return Value::Nil();  // bytes, arrays and maps are not comparable in TraceQL
  }
}

bool IsNumeric(Value::Type t) {
  return t == Value::Type::kInt || t == Value::Type::kFloat || t == Value::Type::kDuration;
}

template <typename T>
bool Ordered(const T& a, FieldOp op, const T& b) {
  switch (op) {
    case FieldOp::kEq: return a == b;
    case FieldOp::kNe: return a != b;
    case FieldOp::kGt: return a > b;
    case FieldOp::kGe: return a >= b;
    case FieldOp::kLt: return a < b;
    case FieldOp::kLe: return a <= b;
    default: return false;
  }
}

double AsDouble(const Value& v) { return v.type == Value::Type::kFloat ? v.f : static_cast<double>(v.i); }

}  // namespace

Value ReadField(const FieldExpr& field, const TraceIndex& index, uint32_t span) {
  const model::SpanBatch& trace = index.trace();
  const model::Span& s = trace.spans[span];
  switch (field.op) {
    case FieldOp::kLiteral:
      return field.literal;
    case FieldOp::kAttribute: {
      const model::AnyValue* v = nullptr;
      if (field.scope != AttributeScope::kResource) v = model::FindAttribute(s.attributes, field.text);
      if (!v && field.scope != AttributeScope::kSpan && s.resource_index < trace.resources.size())
        v = model::FindAttribute(trace.resources[s.resource_index].attributes, field.text);
      return FromAnyValue(v);
    }
    case FieldOp::kIntrinsic:
      switch (field.intrinsic) {
        case Intrinsic::kName: return Value::String(s.name);
        case Intrinsic::kStatus: return Value::Status(s.status_code);
        case Intrinsic::kStatusMessage: return Value::String(s.status_message);
        case Intrinsic::kDuration: return Value::Duration(static_cast<int64_t>(s.DurationNanos()));
        case Intrinsic::kKind: return Value::Kind(s.kind);
        case Intrinsic::kRootName:
          return index.root() == TraceIndex::kNone ? Value::Nil() : Value::String(trace.spans[index.root()].name);
        case Intrinsic::kRootServiceName: {
          if (index.root() == TraceIndex::kNone) return Value::Nil();
          const model::Span& r = trace.spans[index.root()];
          if (r.resource_index >= trace.resources.size()) return Value::Nil();
          return FromAnyValue(model::FindAttribute(trace.resources[r.resource_index].attributes,
                                                   model::keys::kServiceName));
        }
        case Intrinsic::kTraceDuration: return Value::Duration(static_cast<int64_t>(index.DurationNanos()));
        case Intrinsic::kNone: break;
      }
      return Value::Nil();
    default:
      return Value::Nil();
  }
}

bool CompareValues(const Value& a, FieldOp op, const Value& b, const re2::RE2* regex) {
  using T = Value::Type;
  if (op == FieldOp::kRegex || op == FieldOp::kNotRegex) {
    if (a.type != T::kString || !regex) return false;
    bool m = RE2::FullMatch(re2::StringPiece(a.s.data(), a.s.size()), *regex);
    return op == FieldOp::kRegex ? m : !m;
  }
  if (a.type == T::kNil || b.type == T::kNil) {
    if (op == FieldOp::kEq) return a.type == b.type;
    if (op == FieldOp::kNe) return a.type != b.type;
    return false;
  }
  if (IsNumeric(a.type) && IsNumeric(b.type)) {
    if (a.type == T::kFloat || b.type == T::kFloat) return Ordered(AsDouble(a), op, AsDouble(b));
    return Ordered(a.i, op, b.i);
  }
  if (a.type != b.type) return false;
  switch (a.type) {
    case T::kString: return Ordered(a.s, op, b.s);
    case T::kBool:
    case T::kStatus:
    case T::kKind:
      if (op != FieldOp::kEq && op != FieldOp::kNe) return false;
      return (a.type == T::kBool ? a.b == b.b : a.i == b.i) == (op == FieldOp::kEq);
    default: return false;
  }
}

namespace {

// Evaluates a field expression as a condition on one span.
bool Truth(const FieldExpr& e, const TraceIndex& index, uint32_t span) {
  switch (e.op) {
    case FieldOp::kAnd: return Truth(*e.lhs, index, span) && Truth(*e.rhs, index, span);
    case FieldOp::kOr: return Truth(*e.lhs, index, span) || Truth(*e.rhs, index, span);
    case FieldOp::kNot: return !Truth(*e.lhs, index, span);
    case FieldOp::kLiteral:
    case FieldOp::kIntrinsic:
    case FieldOp::kAttribute: {
      Value v = ReadField(e, index, span);
      return v.type == Value::Type::kBool && v.b;
    }
    default:
      return CompareValues(ReadField(*e.lhs, index, span), e.op, ReadField(*e.rhs, index, span),
                           e.regex.get());
  }
}

}  // namespace

model::AnyValue ValueToAnyValue(const Value& v) {
  switch (v.type) {
    case Value::Type::kBool: return model::AnyValue::Bool(v.b);
    case Value::Type::kInt:
    case Value::Type::kDuration: return model::AnyValue::Int(v.i);
    case Value::Type::kFloat: return model::AnyValue::Double(v.f);
    case Value::Type::kString: return model::AnyValue::String(std::string(v.s));
    case Value::Type::kStatus:
      return model::AnyValue::String(v.i == 2 ? "error" : v.i == 1 ? "ok" : "unset");
    case Value::Type::kKind:
      return model::AnyValue::String(std::string(model::SpanKindName(static_cast<model::SpanKind>(v.i))));
    case Value::Type::kNil: break;
  }
  return {};
}

namespace {

bool SameValue(const Value& a, const Value& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Value::Type::kNil: return true;
    case Value::Type::kBool: return a.b == b.b;
    case Value::Type::kFloat: return a.f == b.f;
    case Value::Type::kString: return a.s == b.s;
    default: return a.i == b.i;
  }
}

std::string AggregateLabel(const PipelineStage& st) {
  std::string label(AggregateFnName(st.fn));
  label += "(";
  if (st.argument) label += st.argument->FieldName();
  label += ")";
  return label;
}

// The aggregate of a spanset, or nil when no span has a numeric value.
Value Aggregate(const PipelineStage& st, const TraceIndex& index, const Spanset& set) {
  if (st.fn == AggregateFn::kCount) return Value::Int(static_cast<int64_t>(set.spans.size()));
  bool any = false, is_float = false, is_duration = false;
  double sum = 0, best = 0;
  size_t n = 0;
  for (uint32_t s : set.spans) {
    Value v = ReadField(*st.argument, index, s);
    if (!IsNumeric(v.type)) continue;
    is_float |= v.type == Value::Type::kFloat;
    is_duration |= v.type == Value::Type::kDuration;
    double d = AsDouble(v);
    if (!any) best = d;
    any = true;
    ++n;
    sum += d;
    if (st.fn == AggregateFn::kMax) best = std::max(best, d);
    if (st.fn == AggregateFn::kMin) best = std::min(best, d);
  }
  if (!any) return Value::Nil();
  double r = st.fn == AggregateFn::kSum ? sum : st.fn == AggregateFn::kAvg ? sum / static_cast<double>(n) : best;
  if (is_duration && !is_float) return Value::Duration(static_cast<int64_t>(r));
  if (is_float || st.fn == AggregateFn::kAvg) return Value::Float(r);
  return Value::Int(static_cast<int64_t>(r));
}

void CollectFields(const FieldExpr* e, std::vector<const FieldExpr*>* out) {
  if (!e) return;
  if (e->op == FieldOp::kAttribute) {
    for (const FieldExpr* f : *out)
      if (f->op == FieldOp::kAttribute && f->scope == e->scope && f->text == e->text) return;
    out->push_back(e);
    return;
  }
  CollectFields(e->lhs.get(), out);
  CollectFields(e->rhs.get(), out);
}

void CollectFields(const SpansetExpr* e, std::vector<const FieldExpr*>* out) {
  if (!e) return;
  CollectFields(e->filter.get(), out);
  CollectFields(e->lhs.get(), out);
  CollectFields(e->rhs.get(), out);
}

}  // namespace

std::vector<const FieldExpr*> DisplayedFields(const Query& query) {
  std::vector<const FieldExpr*> out;
  CollectFields(query.spansets.get(), &out);
  for (const PipelineStage& st : query.stages) {
    CollectFields(st.filter.get(), &out);
    for (const auto& f : st.fields) {
      if (f->op == FieldOp::kAttribute) CollectFields(f.get(), &out);
      else out.push_back(f.get());
    }
  }
  return out;
}

bool Evaluator::Matches(const FieldExpr* filter, uint32_t span) const {
  return filter == nullptr || Truth(*filter, index_, span);
}

std::vector<uint8_t> Evaluator::EvalSpanset(const SpansetExpr& e) {
  const size_t n = index_.trace().spans.size();
  if (e.op == SpansetOp::kFilter) {
    std::vector<uint8_t> out(n, 0);
    for (uint32_t i : index_.order()) out[i] = Matches(e.filter.get(), i) ? 1 : 0;
    return out;
  }
  std::vector<uint8_t> l = EvalSpanset(*e.lhs);
  std::vector<uint8_t> r = EvalSpanset(*e.rhs);
  const std::vector<uint32_t>& order = index_.order();
  auto any = [](const std::vector<uint8_t>& v) { return std::find(v.begin(), v.end(), 1) != v.end(); };
  switch (e.op) {
    case SpansetOp::kAnd:
      if (!any(l) || !any(r)) return std::vector<uint8_t>(n, 0);
      for (size_t i = 0; i < n; ++i) l[i] |= r[i];
      return l;
    case SpansetOp::kOr:
      for (size_t i = 0; i < n; ++i) l[i] |= r[i];
      return l;
    case SpansetOp::kChild:
      for (uint32_t i : order) {
        uint32_t p = index_.parent(i);
        r[i] = r[i] && p != TraceIndex::kNone && l[p];
      }
      return r;
    case SpansetOp::kDescendant: {
      // below[i]: some ancestor of i is in l. Parents come before children in `order`.
      std::vector<uint8_t> below(n, 0);
      for (uint32_t i : order) {
        uint32_t p = index_.parent(i);
        below[i] = p != TraceIndex::kNone && (l[p] || below[p]);
        r[i] = r[i] && below[i];
      }
      return r;
    }
    case SpansetOp::kParent: {
      std::vector<uint8_t> has_child(n, 0);
      for (uint32_t i : order) {
        uint32_t p = index_.parent(i);
        if (p != TraceIndex::kNone && l[i]) has_child[p] = 1;
      }
      for (uint32_t i : order) r[i] = r[i] && has_child[i];
      return r;
    }
    case SpansetOp::kAncestor: {
      // above[i]: some descendant of i is in l. Walk children before parents.
      std::vector<uint8_t> above(n, 0);
      for (auto it = order.rbegin(); it != order.rend(); ++it) {
        uint32_t p = index_.parent(*it);
        if (p != TraceIndex::kNone && (l[*it] || above[*it])) above[p] = 1;
      }
      for (uint32_t i : order) r[i] = r[i] && above[i];
      return r;
    }
    case SpansetOp::kSibling: {
      // Matching left-hand children per parent; a span is its own sibling never.
      std::vector<uint32_t> left_children(n, 0);
      for (uint32_t i : order) {
        uint32_t p = index_.parent(i);
        if (p != TraceIndex::kNone && l[i]) ++left_children[p];
      }
      for (uint32_t i : order) {
        uint32_t p = index_.parent(i);
        r[i] = r[i] && p != TraceIndex::kNone && left_children[p] > (l[i] ? 1u : 0u);
      }
      return r;
    }
    case SpansetOp::kFilter: break;
  }
  return r;
}

std::vector<Spanset> Evaluator::Evaluate(const model::SpanBatch& trace) {
  index_.Build(trace);
  std::vector<Spanset> sets;
  {
    std::vector<uint8_t> matched = EvalSpanset(*query_.spansets);
    Spanset first;
    for (uint32_t i = 0; i < matched.size(); ++i)
      if (matched[i]) first.spans.push_back(i);
    if (first.spans.empty()) return {};
    sets.push_back(std::move(first));
  }
  for (const PipelineStage& st : query_.stages) {
    switch (st.kind) {
      case StageKind::kSelect:
        break;
      case StageKind::kFilter:
        for (Spanset& set : sets)
          std::erase_if(set.spans, [&](uint32_t s) { return !Matches(st.filter.get(), s); });
        std::erase_if(sets, [](const Spanset& set) { return set.spans.empty(); });
        break;
      case StageKind::kAggregateFilter: {
        const std::string label = AggregateLabel(st);
        std::erase_if(sets, [&](Spanset& set) {
          Value v = Aggregate(st, index_, set);
          if (!CompareValues(v, st.compare, st.threshold, nullptr)) return true;
          set.attributes.push_back({label, ValueToAnyValue(v)});
          return false;
        });
        break;
      }
      case StageKind::kBy: {
        const std::string label = "by(" + st.argument->FieldName() + ")";
        std::vector<Spanset> grouped;
        for (const Spanset& set : sets) {
          std::vector<std::pair<Value, Spanset>> groups;  // few groups: linear search
          for (uint32_t s : set.spans) {
            Value key = st.argument->op == FieldOp::kAttribute || st.argument->op == FieldOp::kIntrinsic
                            ? ReadField(*st.argument, index_, s)
                            : Value::Bool(Truth(*st.argument, index_, s));
            auto it = std::find_if(groups.begin(), groups.end(),
                                   [&](const auto& g) { return SameValue(g.first, key); });
            if (it == groups.end()) {
              groups.push_back({key, Spanset{{}, set.attributes}});
              groups.back().second.attributes.push_back({label, ValueToAnyValue(key)});
              it = groups.end() - 1;
            }
            it->second.spans.push_back(s);
          }
          for (auto& g : groups) grouped.push_back(std::move(g.second));
        }
        sets = std::move(grouped);
        break;
      }
    }
    if (sets.empty()) return {};
  }
  return sets;
}

}  // namespace tracery::traceql
