#include "traceql/planner.h"

#include <algorithm>
#include <chrono>

namespace tracery::traceql {
namespace {

FieldOp Mirror(FieldOp op) {
  switch (op) {
    case FieldOp::kGt: return FieldOp::kLt;
    case FieldOp::kGe: return FieldOp::kLe;
    case FieldOp::kLt: return FieldOp::kGt;
    case FieldOp::kLe: return FieldOp::kGe;
    default: return op;
  }
}

void Conjuncts(const FieldExpr* e, std::vector<const FieldExpr*>* out) {
  if (!e) return;
  if (e->op == FieldOp::kAnd) {
    Conjuncts(e->lhs.get(), out);
    Conjuncts(e->rhs.get(), out);
    return;
  }
  out->push_back(e);
}

bool IsDurationLiteral(const Value& v) {
  return (v.type == Value::Type::kDuration || v.type == Value::Type::kInt) && v.i > 0;
}

void TightenMin(uint64_t* bound, uint64_t v) { *bound = std::max(*bound, v); }
void TightenMax(uint64_t* bound, uint64_t v) { *bound = *bound == 0 ? v : std::min(*bound, v); }

// Adds what one filter (all on one span) implies to `plan`.
void PlanFilter(const FieldExpr* filter, PushdownPlan* plan) {
  std::vector<const FieldExpr*> terms;
  Conjuncts(filter, &terms);
  storage::SpanCondition cond;
  for (const FieldExpr* t : terms) {
    if (!t->lhs || !t->rhs) continue;
    const FieldExpr* field = t->lhs.get();
    const FieldExpr* lit = t->rhs.get();
    FieldOp op = t->op;
    if (field->op == FieldOp::kLiteral) {
      std::swap(field, lit);
      op = Mirror(op);
    }
    if (lit->op != FieldOp::kLiteral || field->op == FieldOp::kLiteral) continue;
    const Value& v = lit->literal;
    if (field->op == FieldOp::kAttribute) {
      if (op != FieldOp::kEq) continue;
      if (v.type != Value::Type::kString && v.type != Value::Type::kBool) continue;
      std::string value = v.type == Value::Type::kString ? std::string(v.s) : (v.b ? "true" : "false");
      if (field->text == model::keys::kServiceName && field->scope == AttributeScope::kResource &&
          v.type == Value::Type::kString) {
        if (cond.service.empty()) cond.service = value;
        continue;
      }
      cond.tags.push_back({field->text, std::move(value)});
      continue;
    }
    switch (field->intrinsic) {
      case Intrinsic::kName:
        if (op == FieldOp::kEq && v.type == Value::Type::kString && cond.operation.empty())
          cond.operation = std::string(v.s);
        break;
      case Intrinsic::kStatus:
        if (op == FieldOp::kEq && v.type == Value::Type::kStatus &&
            v.i == static_cast<int64_t>(model::StatusCode::kError))
          cond.error_only = true;
        break;
      case Intrinsic::kKind:
        if (op == FieldOp::kEq && v.type == Value::Type::kKind && !cond.kind)
          cond.kind = static_cast<model::SpanKind>(v.i);
        break;
      case Intrinsic::kDuration:
      case Intrinsic::kTraceDuration: {
        if (!IsDurationLiteral(v)) break;
        const bool trace = field->intrinsic == Intrinsic::kTraceDuration;
        uint64_t* min = trace ? &plan->min_trace_duration_ns : &cond.min_duration_ns;
        uint64_t* max = trace ? &plan->max_trace_duration_ns : &cond.max_duration_ns;
        // Store bounds are inclusive: a strict bound is pushed as its
        // inclusive relaxation.
        if (op == FieldOp::kGt || op == FieldOp::kGe || op == FieldOp::kEq) TightenMin(min, v.i);
        if (op == FieldOp::kLt || op == FieldOp::kLe || op == FieldOp::kEq) TightenMax(max, v.i);
        break;
      }
      case Intrinsic::kRootServiceName:
      case Intrinsic::kRootName:
        if (op == FieldOp::kEq && v.type == Value::Type::kString) {
          storage::SpanCondition root;
          (field->intrinsic == Intrinsic::kRootName ? root.operation : root.service) = std::string(v.s);
          plan->span_conditions.push_back(std::move(root));
        }
        break;
      default:
        break;
    }
  }
  const bool empty = cond.service.empty() && cond.operation.empty() && !cond.kind && cond.tags.empty() &&
                     cond.min_duration_ns == 0 && cond.max_duration_ns == 0 && !cond.error_only;
  if (!empty) plan->span_conditions.push_back(std::move(cond));
}

void PlanSpanset(const SpansetExpr* e, PushdownPlan* plan) {
  if (!e) return;
  switch (e->op) {
    case SpansetOp::kFilter:
      PlanFilter(e->filter.get(), plan);
      return;
    case SpansetOp::kOr:
      return;  // either side may be the one that matched: nothing is necessary
    default:
      // && and every structural operator need both sides non-empty.
      PlanSpanset(e->lhs.get(), plan);
      PlanSpanset(e->rhs.get(), plan);
      return;
  }
}

}  // namespace

PushdownPlan PlanPushdown(const Query& query) {
  PushdownPlan plan;
  PlanSpanset(query.spansets.get(), &plan);
  for (const PipelineStage& st : query.stages)
    if (st.kind == StageKind::kFilter) PlanFilter(st.filter.get(), &plan);
  return plan;
}

Result<SearchResult> SearchTraces(storage::SpanStore& store, const Query& query, const SearchOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(options.time_budget_ms);
  PushdownPlan plan = PlanPushdown(query);

  storage::TraceQuery tq;
  tq.start_time_min_ns = options.start_time_min_ns;
  tq.start_time_max_ns = options.start_time_max_ns;
  tq.span_conditions = std::move(plan.span_conditions);
  tq.min_trace_duration_ns = std::max(plan.min_trace_duration_ns, options.min_trace_duration_ns);
  tq.max_trace_duration_ns = plan.max_trace_duration_ns;
  if (options.max_trace_duration_ns != 0) TightenMax(&tq.max_trace_duration_ns, options.max_trace_duration_ns);
  tq.order = storage::TraceOrder::kMostRecent;

  SearchResult result;
  if (options.limit == 0) return result;
  Evaluator evaluator(query);
  while (true) {
    const auto now = Clock::now();
    if (now >= deadline || result.inspected_traces >= options.max_inspected_traces) {
      result.partial = true;
      return result;
    }
    tq.limit = std::min<size_t>(500, options.max_inspected_traces - result.inspected_traces);
    tq.timeout_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    auto page = store.FindTraces(tq);
    if (!page.ok()) {
      if (page.status().code() == Status::Code::kDeadlineExceeded) {
        result.partial = true;
        return result;
      }
      return page.status();
    }
    for (const storage::TraceSummary& summary : page->traces) {
      if (result.inspected_traces >= options.max_inspected_traces || Clock::now() >= deadline) {
        result.partial = true;
        return result;
      }
      ++result.inspected_traces;
      auto trace = store.GetTrace(summary.trace_id, options.max_spans_per_trace);
      if (!trace.ok()) {
        if (trace.status().code() == Status::Code::kNotFound) continue;  // expired meanwhile
        return trace.status();
      }
      std::vector<Spanset> sets = evaluator.Evaluate(*trace);
      if (sets.empty()) continue;
      const uint64_t duration_ns = evaluator.index().DurationNanos();
      if (duration_ns < options.min_trace_duration_ns ||
          (options.max_trace_duration_ns != 0 && duration_ns > options.max_trace_duration_ns))
        continue;
      result.traces.push_back({summary, std::move(trace).value(), std::move(sets)});
      if (result.traces.size() >= options.limit) {
        result.partial = true;
        return result;
      }
    }
    if (page->next_cursor.empty()) return result;
    tq.cursor = page->next_cursor;
  }
}

}  // namespace tracery::traceql
