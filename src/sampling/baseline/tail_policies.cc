#include "sampling/baseline/tail_policies.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "sampling/consistent_trace_hash.h"

namespace tracery::sampling::baseline {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// Values longer than this are not matched against regexes: std::regex is
// recursive and a megabyte attribute could exhaust the stack.
constexpr size_t kMaxRegexSubjectBytes = 4096;

Status PolicyError(const std::string& where, const std::string& what) {
  return Status::InvalidArgument("tail sampling policies: " + where + ": " + what);
}

Result<double> Number(object obj, const char* field, const std::string& where, bool required, double dflt) {
  element f;
  if (obj[field].get(f) != simdjson::SUCCESS) {
    if (required) return PolicyError(where, std::string("missing \"") + field + "\"");
    return dflt;
  }
  double d;
  if (f.is_double()) d = f.get_double().value_unsafe();
  else if (f.is_int64()) d = static_cast<double>(f.get_int64().value_unsafe());
  else if (f.is_uint64()) d = static_cast<double>(f.get_uint64().value_unsafe());
  else return PolicyError(where + "." + field, "expected a number");
  if (!std::isfinite(d) || d < 0) return PolicyError(where + "." + field, "expected a finite number >= 0");
  return d;
}

Result<std::string> String(object obj, const char* field, const std::string& where, bool required) {
  element f;
  if (obj[field].get(f) != simdjson::SUCCESS) {
    if (required) return PolicyError(where, std::string("missing \"") + field + "\"");
    return std::string();
  }
  std::string_view s;
  if (f.get_string().get(s) != simdjson::SUCCESS) return PolicyError(where + "." + field, "expected a string");
  return std::string(s);
}

#define ASSIGN_OR_RETURN(lhs, expr)     \
  do {                                  \
    auto _r = (expr);                   \
    if (!_r.ok()) return _r.status();   \
    lhs = std::move(*_r);               \
  } while (0)

bool AttributeMatches(const model::Attributes& attrs, const TailPolicy& p, const std::regex* re) {
  for (const auto& kv : attrs) {
    if (kv.key != p.key) continue;
    const bool is_str = kv.value.type == model::AnyValue::Type::kString;
    std::string rendered;
    if (!is_str) rendered = kv.value.ToString();
    std::string_view v = is_str ? std::string_view(kv.value.str) : std::string_view(rendered);
    if (re) {
      if (v.size() <= kMaxRegexSubjectBytes && std::regex_search(v.begin(), v.end(), *re)) return true;
    } else if (v == p.value) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<std::vector<TailPolicy>> ParseTailPolicies(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS)
    return Status::InvalidArgument(std::string("tail sampling policies: not valid JSON: ") +
                                   simdjson::error_message(err));
  object top;
  simdjson::dom::array arr;
  element pe;
  if (root.get_object().get(top) != simdjson::SUCCESS || top["policies"].get(pe) != simdjson::SUCCESS ||
      pe.get_array().get(arr) != simdjson::SUCCESS)
    return Status::InvalidArgument("tail sampling policies: expected {\"policies\": [ ... ]}");
  std::vector<TailPolicy> out;
  size_t i = 0;
  for (element el : arr) {
    std::string where = "policies[" + std::to_string(i++) + "]";
    object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) return PolicyError(where, "expected an object");
    TailPolicy p;
    ASSIGN_OR_RETURN(p.name, String(obj, "name", where, false));
    if (p.name.empty()) p.name = where;
    std::string type;
    ASSIGN_OR_RETURN(type, String(obj, "type", where, true));
    ASSIGN_OR_RETURN(p.max_traces_per_second, Number(obj, "max_traces_per_second", where, false, 0));
    if (type == "error") {
      p.type = TailPolicy::Type::kError;
    } else if (type == "latency") {
      p.type = TailPolicy::Type::kLatency;
      double ms;
      ASSIGN_OR_RETURN(ms, Number(obj, "threshold_ms", where, true, 0));
      p.threshold_ns = static_cast<uint64_t>(ms * 1e6);
      ASSIGN_OR_RETURN(p.service, String(obj, "service", where, false));
      ASSIGN_OR_RETURN(p.operation, String(obj, "operation", where, false));
    } else if (type == "rare") {
      p.type = TailPolicy::Type::kRare;
      double n, window_s;
      ASSIGN_OR_RETURN(n, Number(obj, "per_window", where, false, 1));
      ASSIGN_OR_RETURN(window_s, Number(obj, "window_s", where, false, 60));
      if (n < 1 || n > 1e9) return PolicyError(where + ".per_window", "expected 1 to 1e9");
      if (window_s <= 0 || window_s > 86400) return PolicyError(where + ".window_s", "expected (0, 86400]");
      p.per_window = static_cast<uint32_t>(n);
      p.window_ns = static_cast<uint64_t>(window_s * 1e9);
    } else if (type == "attribute") {
      p.type = TailPolicy::Type::kAttribute;
      ASSIGN_OR_RETURN(p.key, String(obj, "key", where, true));
      ASSIGN_OR_RETURN(p.value, String(obj, "value", where, false));
      ASSIGN_OR_RETURN(p.regex, String(obj, "regex", where, false));
      element f;
      if (obj["value"].get(f) != simdjson::SUCCESS && obj["regex"].get(f) != simdjson::SUCCESS)
        return PolicyError(where, "an attribute policy needs \"value\" or \"regex\"");
    } else if (type == "probabilistic") {
      p.type = TailPolicy::Type::kProbabilistic;
      ASSIGN_OR_RETURN(p.probability, Number(obj, "probability", where, true, 0));
    } else if (type == "rate_limit") {
      p.type = TailPolicy::Type::kRateLimit;
      ASSIGN_OR_RETURN(p.traces_per_second, Number(obj, "traces_per_second", where, true, 0));
    } else {
      return PolicyError(where + ".type", "unknown type \"" + type +
                                              "\" (expected error, latency, rare, attribute, probabilistic, "
                                              "rate_limit)");
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::unique_ptr<TailPolicySet>> TailPolicySet::Create(std::vector<TailPolicy> policies) {
  std::unique_ptr<TailPolicySet> set(new TailPolicySet(std::move(policies)));
  set->compiled_.resize(set->policies_.size());
  set->kept_by_policy_.assign(set->policies_.size(), 0);
  for (size_t i = 0; i < set->policies_.size(); ++i) {
    const TailPolicy& p = set->policies_[i];
    if (p.type == TailPolicy::Type::kProbabilistic && !(p.probability > 0 && p.probability <= 1))
      return PolicyError(p.name, "probability must be in (0, 1]");
    if (p.type == TailPolicy::Type::kAttribute && !p.regex.empty()) {
      try {
        set->compiled_[i].regex = std::make_unique<std::regex>(p.regex, std::regex::ECMAScript | std::regex::optimize);
      } catch (const std::regex_error& e) {
        return PolicyError(p.name, "invalid regex \"" + p.regex + "\": " + e.what());
      }
    }
  }
  return set;
}

bool TailPolicySet::Bucket::Take(double rate_per_s, uint64_t now_ns) {
  if (!started) {
    started = true;
    tokens = rate_per_s;  // burst: one second's worth
    last_ns = now_ns;
  } else if (now_ns > last_ns) {
    tokens = std::min(rate_per_s, tokens + rate_per_s * static_cast<double>(now_ns - last_ns) * 1e-9);
    last_ns = now_ns;
  }
  if (tokens >= 1.0) {
    tokens -= 1.0;
    return true;
  }
  return false;
}

bool TailPolicySet::Matches(size_t i, const model::SpanBatch& trace, uint64_t now_ns, double* adjusted) {
  const TailPolicy& p = policies_[i];
  Compiled& c = compiled_[i];
  switch (p.type) {
    case TailPolicy::Type::kError:
      for (const auto& s : trace.spans)
        if (s.status_code == model::StatusCode::kError) return true;
      return false;
    case TailPolicy::Type::kLatency: {
      if (p.service.empty() && p.operation.empty()) {
        uint64_t lo = UINT64_MAX, hi = 0;
        for (const auto& s : trace.spans) {
          lo = std::min(lo, s.start_time_unix_nano);
          hi = std::max(hi, s.end_time_unix_nano);
        }
        return hi > lo && hi - lo >= p.threshold_ns;
      }
      for (const auto& s : trace.spans) {
        if (!p.operation.empty() && s.name != p.operation) continue;
        if (!p.service.empty() && trace.ServiceOf(s) != p.service) continue;
        if (s.DurationNanos() >= p.threshold_ns) return true;
      }
      return false;
    }
    case TailPolicy::Type::kRare: {
      RareState& r = c.rare;
      if (now_ns - r.window_start_ns >= p.window_ns || now_ns < r.window_start_ns) {
        r.window_start_ns = now_ns;
        r.seen.clear();
      }
      bool rare = false;
      // Each (service, operation) counts once per trace: a trace with 50
      // spans of one operation is one trace of it.
      uint64_t counted[16];
      size_t n_counted = 0;
      for (const auto& s : trace.spans) {
        const uint64_t key = std::hash<std::string_view>{}(trace.ServiceOf(s)) * 0x9E3779B97F4A7C15ULL ^
                             std::hash<std::string_view>{}(s.name);
        bool dup = false;
        for (size_t k = 0; k < n_counted && !dup; ++k) dup = counted[k] == key;
        if (dup) continue;
        if (n_counted < 16) counted[n_counted++] = key;
        auto it = r.seen.find(key);
        if (it == r.seen.end()) {
          if (r.seen.size() >= kMaxRareKeysPerWindow) continue;
          it = r.seen.emplace(key, 0).first;
        }
        if (it->second <= p.per_window) {
          ++it->second;
          if (it->second <= p.per_window) rare = true;
        }
      }
      return rare;
    }
    case TailPolicy::Type::kAttribute:
      // Resources are shared by many spans: check each once, not per span.
      for (const auto& r : trace.resources)
        if (AttributeMatches(r.attributes, p, c.regex.get())) return true;
      for (const auto& s : trace.spans)
        if (AttributeMatches(s.attributes, p, c.regex.get())) return true;
      return false;
    case TailPolicy::Type::kProbabilistic:
      if (trace.spans.empty() || !TraceIdSampled(trace.spans.front().trace_id, p.probability)) return false;
      *adjusted = 1.0 / p.probability;
      return true;
    case TailPolicy::Type::kRateLimit: {
      if (now_ns - c.second_start_ns >= 1'000'000'000ULL || now_ns < c.second_start_ns) {
        if (c.kept_in_second > 0) c.adjusted = std::max(1.0, c.offered_in_second / c.kept_in_second);
        c.offered_in_second = c.kept_in_second = 0;
        c.second_start_ns = now_ns;
      }
      c.offered_in_second += 1;
      if (!c.rate_limit.Take(p.traces_per_second, now_ns)) return false;
      c.kept_in_second += 1;
      *adjusted = c.adjusted;
      return true;
    }
  }
  return false;
}

TailDecision TailPolicySet::Decide(const model::SpanBatch& trace, uint64_t now_ns) {
  TailDecision d;
  for (size_t i = 0; i < policies_.size(); ++i) {
    double adjusted = 1.0;
    if (!Matches(i, trace, now_ns, &adjusted)) continue;
    const TailPolicy& p = policies_[i];
    if (p.max_traces_per_second > 0 && !compiled_[i].budget.Take(p.max_traces_per_second, now_ns)) continue;
    d.keep = true;
    d.adjusted_count = adjusted;
    d.policy_index = static_cast<int>(i);
    d.priority = p.type == TailPolicy::Type::kError || p.type == TailPolicy::Type::kLatency ||
                 p.type == TailPolicy::Type::kRare || p.type == TailPolicy::Type::kAttribute;
    ++kept_by_policy_[i];
    return d;
  }
  return d;
}

}  // namespace tracery::sampling::baseline
