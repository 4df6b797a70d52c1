// B3 (single and multi header), Jaeger (uber-trace-id, uberctx-*) and the
// W3C baggage propagator.
#include <cstring>
#include <string>

#include "propagation/header_grammar.h"
#include "tracery/propagation.h"

namespace tracery {

using internal::ParseLowerHex64;
using internal::TrimOws;
using internal::WriteHex64;

namespace {

// 16 or 32 lowercase hex digits; 64-bit ids are left-padded (high = 0).
bool ParseB3TraceId(std::string_view hex, TraceId* out) {
  if (hex.size() == 16) {
    out->high = 0;
    return ParseLowerHex64(hex, &out->low) && out->IsValid();
  }
  if (hex.size() == 32) {
    return ParseLowerHex64(hex.substr(0, 16), &out->high) && ParseLowerHex64(hex.substr(16), &out->low) &&
           out->IsValid();
  }
  return false;
}
bool ParseB3SpanId(std::string_view hex, SpanId* out) {
  return hex.size() == 16 && ParseLowerHex64(hex, &out->value) && out->IsValid();
}

// 1 to 32 hex digits (either case: Jaeger clients differ), left-padded.
bool ParseJaegerTraceId(std::string_view hex, TraceId* out) {
  if (hex.empty() || hex.size() > 32) return false;
  std::string lower(hex);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c + 32);
  }
  std::string_view s = lower;
  if (s.size() > 16) {
    if (!ParseLowerHex64(s.substr(0, s.size() - 16), &out->high)) return false;
    s = s.substr(s.size() - 16);
  } else {
    out->high = 0;
  }
  return ParseLowerHex64(s, &out->low) && out->IsValid();
}
bool ParseJaegerSpanId(std::string_view hex, uint64_t* out) {
  std::string lower(hex);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c + 32);
  }
  return ParseLowerHex64(lower, out);
}

}  // namespace

// --- B3 ----------------------------------------------------------------------

std::vector<std::string> B3Propagator::Fields() const {
  if (form_ == Form::kSingleHeader) return {"b3"};
  return {"x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags"};
}

void B3Propagator::Inject(const Context& context, TextMapCarrier& carrier) const {
  const SpanContext& sc = context.span_context;
  if (!sc.IsValid()) return;
  char trace[32], span[16];
  sc.trace_id.ToHex(trace);
  WriteHex64(sc.span_id.value, span);
  if (form_ == Form::kSingleHeader) {
    char buf[32 + 1 + 16 + 2];
    std::memcpy(buf, trace, 32);
    buf[32] = '-';
    std::memcpy(buf + 33, span, 16);
    buf[49] = '-';
    buf[50] = sc.IsSampled() ? '1' : '0';
    carrier.Set("b3", std::string_view(buf, sizeof(buf)));
    return;
  }
  carrier.Set("x-b3-traceid", std::string_view(trace, 32));
  carrier.Set("x-b3-spanid", std::string_view(span, 16));
  carrier.Set("x-b3-sampled", sc.IsSampled() ? "1" : "0");
}

Context B3Propagator::Extract(const TextMapCarrier& carrier, const Context& context) const {
  std::string_view single = TrimOws(carrier.Get("b3"));
  if (!single.empty()) {
    // {traceid}-{spanid}[-{sampled}[-{parentspanid}]], or a lone decision "0" / "1" / "d".
    if (single.size() == 1) return context;  // decision only: no ids to continue
    std::string_view parts[4];
    size_t n = 0;
    std::string_view rest = single;
    while (n < 4) {
      size_t dash = rest.find('-');
      parts[n++] = rest.substr(0, dash);
      if (dash == std::string_view::npos) {
        rest = {};
        break;
      }
      rest.remove_prefix(dash + 1);
      if (n == 4) return context;  // too many fields
    }
    if (n < 2) return context;
    SpanContext sc;
    if (!ParseB3TraceId(parts[0], &sc.trace_id) || !ParseB3SpanId(parts[1], &sc.span_id)) return context;
    if (n >= 3) {
      if (parts[2] == "1" || parts[2] == "d") {
        sc.trace_flags = kTraceFlagSampled;
      } else if (parts[2] != "0") {
        return context;
      }
    }
    if (n == 4) {
      SpanId parent;
      if (!ParseB3SpanId(parts[3], &parent)) return context;
    }
    sc.is_remote = true;
    Context out = context;
    out.span_context = sc;
    return out;
  }
  std::string_view trace = TrimOws(carrier.Get("x-b3-traceid"));
  std::string_view span = TrimOws(carrier.Get("x-b3-spanid"));
  if (trace.empty() || span.empty()) return context;
  SpanContext sc;
  if (!ParseB3TraceId(trace, &sc.trace_id) || !ParseB3SpanId(span, &sc.span_id)) return context;
  std::string_view sampled = TrimOws(carrier.Get("x-b3-sampled"));
  std::string_view flags = TrimOws(carrier.Get("x-b3-flags"));
  if (flags == "1" || sampled == "1" || sampled == "true" || sampled == "d") {
    sc.trace_flags = kTraceFlagSampled;
  } else if (!sampled.empty() && sampled != "0" && sampled != "false") {
    return context;
  }
  std::string_view parent = TrimOws(carrier.Get("x-b3-parentspanid"));
  if (!parent.empty()) {
    SpanId p;
    if (!ParseB3SpanId(parent, &p)) return context;
  }
  sc.is_remote = true;
  Context out = context;
  out.span_context = sc;
  return out;
}

// --- Jaeger ------------------------------------------------------------------

void JaegerPropagator::Inject(const Context& context, TextMapCarrier& carrier) const {
  const SpanContext& sc = context.span_context;
  if (sc.IsValid()) {
    char buf[32 + 1 + 16 + 3 + 1];
    sc.trace_id.ToHex(buf);
    buf[32] = ':';
    WriteHex64(sc.span_id.value, buf + 33);
    std::memcpy(buf + 49, ":0:", 3);
    buf[52] = sc.IsSampled() ? '1' : '0';
    carrier.Set("uber-trace-id", std::string_view(buf, sizeof(buf)));
  }
  for (const Baggage::Entry& e : context.baggage.entries()) {
    carrier.Set("uberctx-" + e.key, PercentEncodeBaggageValue(e.value));
  }
}

Context JaegerPropagator::Extract(const TextMapCarrier& carrier, const Context& context) const {
  Context out = context;
  std::string_view header = TrimOws(carrier.Get("uber-trace-id"));
  std::string decoded;
  if (header.find('%') != std::string_view::npos) {
    // Some Jaeger clients URL-encode the colons.
    if (auto d = PercentDecode(header)) {
      decoded = std::move(*d);
      header = decoded;
    }
  }
  if (!header.empty()) {
    std::string_view parts[4];
    size_t n = 0;
    std::string_view rest = header;
    bool ok = true;
    while (true) {
      size_t colon = rest.find(':');
      if (n == 4) {
        ok = false;
        break;
      }
      parts[n++] = rest.substr(0, colon);
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
    SpanContext sc;
    uint64_t parent = 0;
    uint64_t flags = 0;
    if (ok && n == 4 && ParseJaegerTraceId(parts[0], &sc.trace_id) &&
        ParseJaegerSpanId(parts[1], &sc.span_id.value) && sc.span_id.IsValid() &&
        ParseJaegerSpanId(parts[2], &parent) && parts[3].size() <= 2 && ParseJaegerSpanId(parts[3], &flags)) {
      sc.trace_flags = (flags & 0x01) || (flags & 0x02) ? kTraceFlagSampled : 0;  // 2 = debug implies sampled
      sc.is_remote = true;
      out.span_context = sc;
    }
  }
  Baggage baggage = out.baggage;
  carrier.ForEachKey([&](std::string_view key) {
    constexpr std::string_view kPrefix = "uberctx-";
    if (key.size() > kPrefix.size()) {
      bool match = true;
      for (size_t i = 0; i < kPrefix.size(); ++i) {
        char c = key[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        match &= c == kPrefix[i];
      }
      if (match) {
        if (auto value = PercentDecode(carrier.Get(key))) baggage = baggage.Set(key.substr(kPrefix.size()), *value);
      }
    }
    return true;
  });
  out.baggage = baggage;
  return out;
}

// --- W3C baggage -------------------------------------------------------------

void W3CBaggagePropagator::Inject(const Context& context, TextMapCarrier& carrier) const {
  if (context.baggage.empty()) return;
  std::string header = context.baggage.ToHeader();
  if (!header.empty()) carrier.Set("baggage", header);
}

Context W3CBaggagePropagator::Extract(const TextMapCarrier& carrier, const Context& context) const {
  Context out = context;
  ExtractInto(carrier, out);
  return out;
}

void W3CBaggagePropagator::ExtractInto(const TextMapCarrier& carrier, Context& context) const {
  std::string_view header = carrier.Get("baggage");
  if (header.empty()) return;
  Baggage parsed = Baggage::FromHeader(header);
  if (parsed.empty()) return;
  if (context.baggage.empty()) {
    // The common case at a server (nothing current yet): the parsed list,
    // already de-duplicated, is the result; merging would copy it per entry.
    context.baggage = std::move(parsed);
    return;
  }
  Baggage merged = context.baggage;
  for (const Baggage::Entry& e : parsed.entries()) merged = merged.Set(e.key, e.value, e.metadata);
  context.baggage = std::move(merged);
}

}  // namespace tracery
