// W3C Trace Context: traceparent and tracestate.
#include "propagation/header_grammar.h"
#include "tracery/propagation.h"

namespace tracery {

using internal::LowerHexValue;
using internal::TrimOws;

void FormatTraceparent(const SpanContext& context, char out[kTraceparentLength]) {
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  internal::WriteHex64(context.trace_id.high, out + 3);
  internal::WriteHex64(context.trace_id.low, out + 19);
  out[35] = '-';
  internal::WriteHex64(context.span_id.value, out + 36);
  out[52] = '-';
  uint8_t flags = context.trace_flags & 0x03;  // sampled, random (level 2); unknown bits are not forwarded
  out[53] = internal::kLowerHex[flags >> 4];
  out[54] = internal::kLowerHex[flags & 0xF];
}

namespace {

// The ids and flags of a traceparent header, parsed per W3C Trace Context
// levels 1 and 2 (see ParseTraceparent in propagation.h). Writes only the
// fields it parses, so Extract can fill its result in place without building
// and copying a whole SpanContext.
bool ParseTraceparentFields(std::string_view header, TraceId* trace_id, SpanId* span_id, uint8_t* flags) {
  header = TrimOws(header);
  if (header.size() < kTraceparentLength) return false;
  const int v0 = LowerHexValue(header[0]), v1 = LowerHexValue(header[1]);
  const int f0 = LowerHexValue(header[53]), f1 = LowerHexValue(header[54]);
  if ((v0 | v1 | f0 | f1) < 0) return false;
  const int version = v0 * 16 + v1;
  if (version == 0xff) return false;
  if (version == 0 && header.size() != kTraceparentLength) return false;
  // A future version may append fields; they must be separated by '-'.
  if (header.size() > kTraceparentLength && header[kTraceparentLength] != '-') return false;
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return false;
  const char* p = header.data();
  // Non-short-circuit '&': all three decodes run (they are branch-free),
  // and one test decides.
  if (!(internal::DecodeLowerHex16(p + 3, &trace_id->high) & internal::DecodeLowerHex16(p + 19, &trace_id->low) &
        internal::DecodeLowerHex16(p + 36, &span_id->value))) {
    return false;
  }
  if (!trace_id->IsValid() || !span_id->IsValid()) return false;
  *flags = static_cast<uint8_t>(f0 * 16 + f1) & 0x03;  // sampled, random (level 2); unknown bits are not kept
  return true;
}

}  // namespace

std::optional<SpanContext> ParseTraceparent(std::string_view header) {
  SpanContext sc;
  if (!ParseTraceparentFields(header, &sc.trace_id, &sc.span_id, &sc.trace_flags)) return std::nullopt;
  sc.is_remote = true;
  return sc;
}

// --- tracestate ---------------------------------------------------------------

namespace {

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' || c == '/';
}

// Calls fn(key, value) for each non-empty member; false if any member is
// malformed, a key repeats, or there are more than 32 members.
template <typename Fn>
bool ForEachMember(std::string_view header, Fn&& fn) {
  size_t count = 0;
  std::string_view seen[TraceState::kMaxMembers];
  while (true) {
    size_t comma = header.find(',');
    std::string_view member = TrimOws(header.substr(0, comma));
    if (!member.empty()) {
      size_t eq = member.find('=');
      if (eq == std::string_view::npos) return false;
      std::string_view key = member.substr(0, eq), value = member.substr(eq + 1);
      if (!TraceState::IsValidKey(key) || !TraceState::IsValidValue(value)) return false;
      if (count == TraceState::kMaxMembers) return false;
      for (size_t i = 0; i < count; ++i) {
        if (seen[i] == key) return false;
      }
      seen[count++] = key;
      fn(key, value);
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

bool TraceState::IsValidKey(std::string_view key) {
  if (key.empty()) return false;
  size_t at = key.find('@');
  if (at == std::string_view::npos) {
    // simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
    if (key.size() > 256 || !(key[0] >= 'a' && key[0] <= 'z')) return false;
    for (char c : key) {
      if (!IsKeyChar(c)) return false;
    }
    return true;
  }
  // multi-tenant-key = tenant-id "@" system-id
  std::string_view tenant = key.substr(0, at), system = key.substr(at + 1);
  if (tenant.empty() || tenant.size() > 241 || system.empty() || system.size() > 14) return false;
  if (!((tenant[0] >= 'a' && tenant[0] <= 'z') || (tenant[0] >= '0' && tenant[0] <= '9'))) return false;
  if (!(system[0] >= 'a' && system[0] <= 'z')) return false;
  for (char c : tenant) {
    if (!IsKeyChar(c)) return false;
  }
  for (char c : system) {
    if (!IsKeyChar(c)) return false;
  }
  return true;
}

bool TraceState::IsValidValue(std::string_view value) {
  // value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr;
  // nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
  if (value.empty() || value.size() > 256) return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7E || c == ',' || c == '=') return false;
  }
  return value.back() != ' ';
}

TraceState TraceState::Adopt(std::string header) {
  TraceState ts;
  if (!header.empty()) ts.header_ = std::make_unique<const std::string>(std::move(header));
  return ts;
}

const std::string& TraceState::EmptyHeader() {
  static const std::string* empty = new std::string();  // never destroyed: safe during static destruction
  return *empty;
}

TraceState TraceState::FromHeader(std::string_view header, bool* valid) {
  std::string out;
  bool ok = ForEachMember(header, [&](std::string_view k, std::string_view v) {
    if (!out.empty()) out.push_back(',');
    out.append(k).push_back('=');
    out.append(v);
  });
  if (valid) *valid = ok;
  return ok ? Adopt(std::move(out)) : TraceState();
}

std::optional<std::string_view> TraceState::Get(std::string_view key) const {
  std::optional<std::string_view> result;
  ForEachMember(ToHeader(), [&](std::string_view k, std::string_view v) {
    if (k == key) result = v;
  });
  return result;
}

TraceState TraceState::Set(std::string_view key, std::string_view value) const {
  if (!IsValidKey(key) || !IsValidValue(value)) return *this;
  std::string out;
  out.append(key).push_back('=');
  out.append(value);
  size_t n = 1;
  ForEachMember(ToHeader(), [&](std::string_view k, std::string_view v) {
    if (k == key || n >= kMaxMembers) return;  // the oldest (rightmost) entries go first when full
    out.push_back(',');
    out.append(k).push_back('=');
    out.append(v);
    ++n;
  });
  return Adopt(std::move(out));
}

TraceState TraceState::Remove(std::string_view key) const {
  std::string out;
  ForEachMember(ToHeader(), [&](std::string_view k, std::string_view v) {
    if (k == key) return;
    if (!out.empty()) out.push_back(',');
    out.append(k).push_back('=');
    out.append(v);
  });
  return Adopt(std::move(out));
}

void W3CTraceContextPropagator::Inject(const Context& context, TextMapCarrier& carrier) const {
  const SpanContext& sc = context.span_context;
  if (!sc.IsValid()) return;
  char buf[kTraceparentLength];
  FormatTraceparent(sc, buf);
  carrier.Set("traceparent", std::string_view(buf, kTraceparentLength));
  if (!sc.trace_state.empty()) carrier.Set("tracestate", sc.trace_state.ToHeader());
}

Context W3CTraceContextPropagator::Extract(const TextMapCarrier& carrier, const Context& context) const {
  Context out = context;
  ExtractInto(carrier, out);
  return out;
}

void W3CTraceContextPropagator::ExtractInto(const TextMapCarrier& carrier, Context& context) const {
  TraceId trace_id;
  SpanId span_id;
  uint8_t flags;
  if (!ParseTraceparentFields(carrier.Get("traceparent"), &trace_id, &span_id, &flags)) return;
  SpanContext& sc = context.span_context;
  sc.trace_id = trace_id;
  sc.span_id = span_id;
  sc.trace_flags = flags;
  sc.is_remote = true;
  std::string_view ts = carrier.Get("tracestate");
  if (!ts.empty()) {
    sc.trace_state = TraceState::FromHeader(ts);  // invalid: dropped whole
  } else if (!sc.trace_state.empty()) {
    sc.trace_state = TraceState();  // the incoming trace has no state; nothing to allocate when absent
  }
}

}  // namespace tracery
