#include "query/search_params.h"

#include <charconv>
#include <cmath>
#include <string>

#include <simdjson.h>

namespace tracery::query {

namespace {

constexpr size_t kDefaultLimit = 20;
constexpr size_t kMaxLimit = 1500;
constexpr uint64_t kDefaultLookbackNs = 3600ULL * 1'000'000'000ULL;

Status BadParam(std::string_view name, std::string_view what) {
  return Status::InvalidArgument(std::string(name) + ": " + std::string(what));
}

std::string Quoted(std::string_view v) { return "\"" + std::string(v) + "\""; }

Result<uint64_t> ParseUint(std::string_view name, std::string_view text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size())
    return BadParam(name, "cannot parse " + Quoted(text) + " as a non-negative integer");
  return v;
}

Result<uint64_t> ParseNamedDuration(std::string_view name, std::string_view text) {
  auto d = ParseDuration(text);
  if (!d.ok()) return BadParam(name, "cannot parse " + Quoted(text) + " as a duration (e.g. \"1.5ms\", \"1h30m\")");
  return *d;
}

// "1h", "2d" (days, which the Jaeger UI sends), "custom" (ignored: start and
// end carry the range).
Result<uint64_t> ParseLookback(std::string_view text) {
  if (text.size() > 1 && text.back() == 'd') {
    auto days = ParseUint("lookback", text.substr(0, text.size() - 1));
    if (!days.ok() || *days > 365 * 100)
      return BadParam("lookback", "cannot parse " + Quoted(text) + " as a duration");
    return *days * 86400ULL * 1'000'000'000ULL;
  }
  return ParseNamedDuration("lookback", text);
}

Result<model::SpanKind> ParseKind(std::string_view name, std::string_view text) {
  static constexpr std::pair<std::string_view, model::SpanKind> kKinds[] = {
      {"server", model::SpanKind::kServer},     {"client", model::SpanKind::kClient},
      {"producer", model::SpanKind::kProducer}, {"consumer", model::SpanKind::kConsumer},
      {"internal", model::SpanKind::kInternal}, {"unspecified", model::SpanKind::kUnspecified},
  };
  for (const auto& [n, k] : kKinds)
    if (n == text) return k;
  return BadParam(name, "unknown span kind " + Quoted(text) +
                            " (expected server, client, producer, consumer, internal or unspecified)");
}

// A JSON value used as a tag filter value: strings as-is, other scalars in
// their JSON spelling ("200", "true").
Result<std::string> TagValueText(std::string_view name, simdjson::dom::element v) {
  std::string_view sv;
  if (v.get_string().get(sv) == simdjson::SUCCESS) return std::string(sv);
  if (v.is_array() || v.is_object() || v.is_null())
    return BadParam(name, "tag values must be strings, numbers or booleans");
  return simdjson::minify(v);
}

// {"key":"value",...} into `out`.
Status ParseTagsObject(std::string_view name, simdjson::dom::element e, std::vector<storage::TagFilter>* out) {
  simdjson::dom::object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS)
    return BadParam(name, "expected a JSON object of tag key to value");
  for (auto [k, v] : obj) {
    auto text = TagValueText(name, v);
    if (!text.ok()) return text.status();
    out->push_back({std::string(k), std::move(*text)});
  }
  return Status::Ok();
}

Result<simdjson::dom::element> ParseJson(simdjson::dom::parser& parser, std::string_view name,
                                         std::string_view text) {
  simdjson::dom::element e;
  auto err = parser.parse(simdjson::padded_string(text)).get(e);
  if (err) return BadParam(name, std::string("invalid JSON: ") + simdjson::error_message(err));
  return e;
}

// One `span=` condition object.
Result<storage::SpanCondition> ParseSpanCondition(std::string_view text) {
  constexpr std::string_view kName = "span";
  simdjson::dom::parser parser;
  auto doc = ParseJson(parser, kName, text);
  if (!doc.ok()) return doc.status();
  simdjson::dom::object obj;
  if (doc->get_object().get(obj) != simdjson::SUCCESS) return BadParam(kName, "expected a JSON object");
  storage::SpanCondition c;
  for (auto [k, v] : obj) {
    std::string_view sv;
    if (k == "service" || k == "operation" || k == "spanKind" || k == "minDuration" || k == "maxDuration") {
      if (v.get_string().get(sv) != simdjson::SUCCESS)
        return BadParam(kName, "\"" + std::string(k) + "\" must be a string");
      if (k == "service") c.service = sv;
      else if (k == "operation") c.operation = sv;
      else if (k == "spanKind") {
        auto kind = ParseKind("span.spanKind", sv);
        if (!kind.ok()) return kind.status();
        c.kind = *kind;
      } else {
        auto d = ParseNamedDuration(k == "minDuration" ? "span.minDuration" : "span.maxDuration", sv);
        if (!d.ok()) return d.status();
        (k == "minDuration" ? c.min_duration_ns : c.max_duration_ns) = *d;
      }
    } else if (k == "tags") {
      TRACERY_RETURN_IF_ERROR(ParseTagsObject("span.tags", v, &c.tags));
    } else if (k == "error") {
      bool b;
      if (v.get_bool().get(b) != simdjson::SUCCESS) return BadParam(kName, "\"error\" must be true or false");
      c.error_only = b;
    } else {
      return BadParam(kName, "unknown field \"" + std::string(k) +
                                 "\" (expected service, operation, spanKind, tags, minDuration, maxDuration, error)");
    }
  }
  return c;
}

}  // namespace

Result<uint64_t> ParseDuration(std::string_view text) {
  auto bad = [&] { return Status::InvalidArgument("cannot parse " + Quoted(text) + " as a duration"); };
  if (text.empty()) return bad();
  if (text == "0") return uint64_t{0};
  double total_ns = 0;
  size_t i = 0;
  while (i < text.size()) {
    // Number: digits with at most one '.'.
    const size_t num_begin = i;
    bool seen_digit = false, seen_dot = false;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || (text[i] == '.' && !seen_dot))) {
      if (text[i] == '.') seen_dot = true;
      else seen_digit = true;
      ++i;
    }
    if (!seen_digit) return bad();
    double number = 0;
    auto [p, ec] = std::from_chars(text.data() + num_begin, text.data() + i, number);
    if (ec != std::errc() || p != text.data() + i) return bad();
    // Unit.
    const size_t unit_begin = i;
    while (i < text.size() && !(text[i] >= '0' && text[i] <= '9') && text[i] != '.') ++i;
    const std::string_view unit = text.substr(unit_begin, i - unit_begin);
    double unit_ns;
    if (unit == "ns") unit_ns = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") unit_ns = 1e3;
    else if (unit == "ms") unit_ns = 1e6;
    else if (unit == "s") unit_ns = 1e9;
    else if (unit == "m") unit_ns = 60e9;
    else if (unit == "h") unit_ns = 3600e9;
    else if (unit == "d") unit_ns = 86400e9;  // not Go's, but what people type for retention and lookback
    else return bad();
    total_ns += number * unit_ns;
  }
  if (!(total_ns < 1.8e19)) return bad();  // beyond uint64_t nanoseconds
  return static_cast<uint64_t>(std::llround(total_ns));
}

Result<storage::TraceQuery> ParseTraceQuery(const HttpRequest& req, uint64_t now_ns) {
  storage::TraceQuery q;
  storage::SpanCondition main;

  if (auto* v = req.Param("service")) main.service = *v;
  if (auto* v = req.Param("operation")) main.operation = *v;
  if (auto* v = req.Param("spanKind"); v && !v->empty()) {
    auto kind = ParseKind("spanKind", *v);
    if (!kind.ok()) return kind.status();
    main.kind = *kind;
  }
  simdjson::dom::parser parser;
  for (const auto& text : req.Params("tags")) {
    if (text.empty()) continue;
    auto doc = ParseJson(parser, "tags", text);
    if (!doc.ok()) return doc.status();
    TRACERY_RETURN_IF_ERROR(ParseTagsObject("tags", *doc, &main.tags));
  }
  for (const auto& text : req.Params("tag")) {
    const size_t colon = text.find(':');
    if (colon == std::string::npos || colon == 0)
      return BadParam("tag", "expected key:value, got " + Quoted(text));
    main.tags.push_back({text.substr(0, colon), text.substr(colon + 1)});
  }
  if (auto* v = req.Param("minDuration"); v && !v->empty()) {
    auto d = ParseNamedDuration("minDuration", *v);
    if (!d.ok()) return d.status();
    main.min_duration_ns = *d;
  }
  if (auto* v = req.Param("maxDuration"); v && !v->empty()) {
    auto d = ParseNamedDuration("maxDuration", *v);
    if (!d.ok()) return d.status();
    main.max_duration_ns = *d;
  }
  if (main.min_duration_ns && main.max_duration_ns && main.min_duration_ns > main.max_duration_ns)
    return BadParam("minDuration", "is greater than maxDuration");
  if (auto* v = req.Param("errors"); v && !v->empty()) {
    if (*v != "true" && *v != "false") return BadParam("errors", "expected true or false, got " + Quoted(*v));
    main.error_only = *v == "true";
  }
  const bool main_used = !main.service.empty() || !main.operation.empty() || main.kind || !main.tags.empty() ||
                         main.min_duration_ns || main.max_duration_ns || main.error_only;
  if (main_used) q.span_conditions.push_back(std::move(main));
  for (const auto& text : req.Params("span")) {
    auto c = ParseSpanCondition(text);
    if (!c.ok()) return c.status();
    q.span_conditions.push_back(std::move(*c));
  }

  if (auto* v = req.Param("minTraceDuration"); v && !v->empty()) {
    auto d = ParseNamedDuration("minTraceDuration", *v);
    if (!d.ok()) return d.status();
    q.min_trace_duration_ns = *d;
  }
  if (auto* v = req.Param("maxTraceDuration"); v && !v->empty()) {
    auto d = ParseNamedDuration("maxTraceDuration", *v);
    if (!d.ok()) return d.status();
    q.max_trace_duration_ns = *d;
  }

  // Time range: start/end in microseconds; missing ones come from lookback.
  uint64_t lookback_ns = kDefaultLookbackNs;
  if (auto* v = req.Param("lookback"); v && !v->empty() && *v != "custom") {
    auto d = ParseLookback(*v);
    if (!d.ok()) return d.status();
    lookback_ns = *d;
  }
  uint64_t end_ns = now_ns;
  if (auto* v = req.Param("end"); v && !v->empty()) {
    auto us = ParseUint("end", *v);
    if (!us.ok()) return BadParam("end", "cannot parse " + Quoted(*v) + " as microseconds since the epoch");
    if (*us > UINT64_MAX / 1000) return BadParam("end", "out of range");
    end_ns = *us * 1000;
  }
  uint64_t start_ns = end_ns > lookback_ns ? end_ns - lookback_ns : 0;
  if (auto* v = req.Param("start"); v && !v->empty()) {
    auto us = ParseUint("start", *v);
    if (!us.ok()) return BadParam("start", "cannot parse " + Quoted(*v) + " as microseconds since the epoch");
    if (*us > UINT64_MAX / 1000) return BadParam("start", "out of range");
    start_ns = *us * 1000;
  }
  if (start_ns > end_ns) return BadParam("start", "is after end");
  q.start_time_min_ns = start_ns;
  q.start_time_max_ns = end_ns;

  q.limit = kDefaultLimit;
  if (auto* v = req.Param("limit"); v && !v->empty()) {
    auto n = ParseUint("limit", *v);
    if (!n.ok()) return n.status();
    if (*n > 0) q.limit = std::min<uint64_t>(*n, kMaxLimit);
  }
  if (auto* v = req.Param("orderBy"); v && !v->empty()) {
    if (*v == "recent") q.order = storage::TraceOrder::kMostRecent;
    else if (*v == "longest") q.order = storage::TraceOrder::kLongestFirst;
    else if (*v == "shortest") q.order = storage::TraceOrder::kShortestFirst;
    else return BadParam("orderBy", "expected recent, longest or shortest, got " + Quoted(*v));
  }
  if (auto* v = req.Param("cursor")) q.cursor = *v;
  return q;
}

}  // namespace tracery::query
