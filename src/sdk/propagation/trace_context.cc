// W3C Trace Context: traceparent and tracestate.
#include "propagation/header_grammar.h"
#include "tracery/propagation.h"

namespace tracery {

using internal::LowerHexValue;
using internal::ParseLowerHex64;
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

std::optional<SpanContext> ParseTraceparent(std::string_view header) {
  header = TrimOws(header);
  if (header.size() < kTraceparentLength) return std::nullopt;
  int v0 = LowerHexValue(header[0]), v1 = LowerHexValue(header[1]);
  if (v0 < 0 || v1 < 0) return std::nullopt;
  int version = v0 * 16 + v1;
  if (version == 0xff) return std::nullopt;
  if (version == 0 && header.size() != kTraceparentLength) return std::nullopt;
  // A future version may append fields; they must be separated by '-'.
  if (header.size() > kTraceparentLength && header[kTraceparentLength] != '-') return std::nullopt;
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  SpanContext sc;
  uint64_t flags;
  if (!ParseLowerHex64(header.substr(3, 16), &sc.trace_id.high) ||
      !ParseLowerHex64(header.substr(19, 16), &sc.trace_id.low) ||
      !ParseLowerHex64(header.substr(36, 16), &sc.span_id.value) || !ParseLowerHex64(header.substr(53, 2), &flags)) {
    return std::nullopt;
  }
  if (!sc.trace_id.IsValid() || !sc.span_id.IsValid()) return std::nullopt;
  sc.trace_flags = static_cast<uint8_t>(flags) & 0x03;
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

TraceState TraceState::FromHeader(std::string_view header, bool* valid) {
  TraceState ts;
  std::string out;
  bool ok = ForEachMember(header, [&](std::string_view k, std::string_view v) {
    if (!out.empty()) out.push_back(',');
    out.append(k).push_back('=');
    out.append(v);
  });
  if (valid) *valid = ok;
  if (ok) ts.header_ = std::move(out);
  return ts;
}

std::optional<std::string_view> TraceState::Get(std::string_view key) const {
  std::optional<std::string_view> result;
  ForEachMember(header_, [&](std::string_view k, std::string_view v) {
    if (k == key) result = v;
  });
  return result;
}

TraceState TraceState::Set(std::string_view key, std::string_view value) const {
  if (!IsValidKey(key) || !IsValidValue(value)) return *this;
  TraceState ts;
  ts.header_.append(key).push_back('=');
  ts.header_.append(value);
  size_t n = 1;
  ForEachMember(header_, [&](std::string_view k, std::string_view v) {
    if (k == key || n >= kMaxMembers) return;  // the oldest (rightmost) entries go first when full
    ts.header_.push_back(',');
    ts.header_.append(k).push_back('=');
    ts.header_.append(v);
    ++n;
  });
  return ts;
}

TraceState TraceState::Remove(std::string_view key) const {
  TraceState ts;
  ForEachMember(header_, [&](std::string_view k, std::string_view v) {
    if (k == key) return;
    if (!ts.header_.empty()) ts.header_.push_back(',');
    ts.header_.append(k).push_back('=');
    ts.header_.append(v);
  });
  return ts;
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
  std::optional<SpanContext> sc = ParseTraceparent(carrier.Get("traceparent"));
  if (!sc) return context;
  Context out = context;
  out.span_context = *sc;
  std::string_view ts = carrier.Get("tracestate");
  if (!ts.empty()) out.span_context.trace_state = TraceState::FromHeader(ts);  // invalid: dropped whole
  return out;
}

}  // namespace tracery
