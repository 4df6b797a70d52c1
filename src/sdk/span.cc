// The span hot path: Tracer::StartSpan, Span setters and End, Scope.
#include <time.h>

#include <algorithm>
#include <cstring>

#include "id_generator.h"
#include "span_record.h"
#include "tracer_core.h"
#include "tsc_clock.h"
#include "tracery/trace.h"

namespace tracery {
namespace {

const Context kEmptyContext{};
// Trivially initialised: reading it needs no TLS guard.
thread_local const Context* tls_current = nullptr;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
constexpr char kHex[] = "0123456789abcdef";
void U64ToHex(uint64_t v, char* out) {
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[v & 0xF];
    v >>= 4;
  }
}
bool HexToU64(std::string_view hex, uint64_t* out) {
  uint64_t v = 0;
  for (char c : hex) {
    int d = HexValue(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}
void PutBigEndian(uint64_t v, uint8_t* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}

}  // namespace

void TraceId::ToBytes(uint8_t out[16]) const {
  PutBigEndian(high, out);
  PutBigEndian(low, out + 8);
}
void TraceId::ToHex(char out[32]) const {
  U64ToHex(high, out);
  U64ToHex(low, out + 16);
}
std::string TraceId::ToHex() const {
  std::string s(32, '0');
  ToHex(s.data());
  return s;
}
std::optional<TraceId> TraceId::FromHex(std::string_view hex) {
  TraceId id;
  if (hex.size() != 32 || !HexToU64(hex.substr(0, 16), &id.high) || !HexToU64(hex.substr(16), &id.low)) {
    return std::nullopt;
  }
  return id;
}
void SpanId::ToBytes(uint8_t out[8]) const { PutBigEndian(value, out); }
void SpanId::ToHex(char out[16]) const { U64ToHex(value, out); }
std::string SpanId::ToHex() const {
  std::string s(16, '0');
  ToHex(s.data());
  return s;
}
std::optional<SpanId> SpanId::FromHex(std::string_view hex) {
  SpanId id;
  if (hex.size() != 16 || !HexToU64(hex, &id.value)) return std::nullopt;
  return id;
}

uint64_t NowUnixNs() { return internal::TscClock::Global().NowUnixNs(); }

const Context& CurrentContext() { return tls_current ? *tls_current : kEmptyContext; }

Scope::Scope(const Span& span) : previous_(tls_current) {
  context_.span_context = span.context();
  if (previous_) context_.baggage = previous_->baggage;
  tls_current = &context_;
}
Scope::Scope(const Context& context) : context_(context), previous_(tls_current) { tls_current = &context_; }
Scope::~Scope() { tls_current = previous_; }

Span::Span(Span&& other) noexcept : context_(std::move(other.context_)), record_(other.record_) {
  other.record_ = nullptr;
}
Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    End();
    context_ = std::move(other.context_);
    record_ = other.record_;
    other.record_ = nullptr;
  }
  return *this;
}

Span Tracer::StartSpan(std::string_view name, const StartSpanOptions& options) const {
  const Context& parent_context = options.parent ? *options.parent : CurrentContext();
  const SpanContext* parent =
      (!options.root && parent_context.span_context.IsValid()) ? &parent_context.span_context : nullptr;
  Span span;
  if (core_ == nullptr || core_->disabled()) {
    // No SDK: a non-recording span that carries the parent's context so
    // propagation still works.
    if (parent) {
      span.context_ = *parent;
      span.context_.is_remote = false;
    }
    return span;
  }
  SpanContext& sc = span.context_;
  sc.trace_id = parent ? parent->trace_id : internal::NewTraceId();
  sc.span_id = internal::NewSpanId();
  if (parent && !parent->trace_state.empty()) sc.trace_state = parent->trace_state;
  SamplingParams params{parent, sc.trace_id, name, options.kind};
  const SamplingDecision decision = core_->sampling_plan().Decide(parent, params);
  if (decision == SamplingDecision::kDrop) return span;
  sc.trace_flags = decision == SamplingDecision::kRecordAndSample ? kTraceFlagSampled : 0;

  internal::SpanRecord* r = internal::AcquireSpanRecord();
  r->core = core_;
  r->scope = static_cast<const internal::InstrumentationScope*>(scope_);
  r->trace_id = sc.trace_id;
  r->span_id = sc.span_id;
  r->trace_flags = sc.trace_flags;
  r->sampled = decision == SamplingDecision::kRecordAndSample;
  r->kind = options.kind;
  r->start_unix_ns = options.start_time_unix_ns ? options.start_time_unix_ns : NowUnixNs();
  if (parent) {
    r->has_parent = true;
    r->parent_span_id = parent->span_id;
    r->parent_is_remote = parent->is_remote;
    if (!sc.trace_state.empty()) {
      r->trace_state_off = r->Store(sc.trace_state.ToHeader());
      r->trace_state_len = static_cast<uint32_t>(sc.trace_state.ToHeader().size());
    }
  }
  r->name_off = r->Store(name);
  r->name_len = static_cast<uint32_t>(name.size());
  span.record_ = r;
  for (const Link& link : options.links) span.AddLinkSlow(link);
  return span;
}

void Span::SetAttributeSlow(std::string_view key, const AttributeValue& value) {
  record_->SetAttribute(key, value);
}

void Span::AddEventSlow(std::string_view name, std::span<const Attribute> attributes, uint64_t time_unix_ns) {
  internal::SpanRecord& r = *record_;
  if (r.events.size() >= internal::kMaxEventsPerSpan) {
    ++r.dropped_events;
    return;
  }
  internal::StoredEvent& e = r.events.emplace_back();
  e.time_unix_ns = time_unix_ns ? time_unix_ns : NowUnixNs();
  e.name_off = r.Store(name);
  e.name_len = static_cast<uint32_t>(name.size());
  e.attr_begin = static_cast<uint32_t>(r.sub_attributes.size());
  for (const Attribute& attr : attributes) {
    if (e.attr_count >= internal::kMaxAttributesPerEvent) break;
    internal::StoredAttribute& a = r.sub_attributes.emplace_back();
    a.key_off = r.Store(attr.key);
    a.key_len = static_cast<uint32_t>(attr.key.size());
    r.StoreValue(attr.value, a);
    ++e.attr_count;
  }
}

void Span::AddLinkSlow(const Link& link) {
  internal::SpanRecord& r = *record_;
  if (!link.context.IsValid()) return;
  if (r.links.size() >= internal::kMaxLinksPerSpan) {
    ++r.dropped_links;
    return;
  }
  internal::StoredLink& l = r.links.emplace_back();
  l.trace_id = link.context.trace_id;
  l.span_id = link.context.span_id;
  l.trace_flags = link.context.trace_flags;
  l.is_remote = link.context.is_remote;
  const std::string& ts = link.context.trace_state.ToHeader();
  l.trace_state_off = r.Store(ts);
  l.trace_state_len = static_cast<uint32_t>(ts.size());
  l.attr_begin = static_cast<uint32_t>(r.sub_attributes.size());
  for (const Attribute& attr : link.attributes) {
    if (l.attr_count >= internal::kMaxAttributesPerEvent) break;
    internal::StoredAttribute& a = r.sub_attributes.emplace_back();
    a.key_off = r.Store(attr.key);
    a.key_len = static_cast<uint32_t>(attr.key.size());
    r.StoreValue(attr.value, a);
    ++l.attr_count;
  }
}

void Span::SetStatusSlow(StatusCode code, std::string_view description) {
  internal::SpanRecord& r = *record_;
  if (r.status == StatusCode::kOk || code == StatusCode::kUnset) return;
  r.status = code;
  if (code == StatusCode::kError) {
    r.status_off = r.Store(description);
    r.status_len = static_cast<uint32_t>(description.size());
  } else {
    r.status_len = 0;
  }
}

void Span::RecordException(std::string_view type, std::string_view message, std::string_view stacktrace) {
  if (!record_) return;
  Attribute attrs[3] = {{"exception.type", type}, {"exception.message", message}, {"exception.stacktrace", stacktrace}};
  Attribute present[3] = {attrs[0], attrs[0], attrs[0]};
  size_t n = 0;
  for (const Attribute& a : attrs) {
    if (!a.value.string_value().empty()) present[n++] = a;
  }
  AddEventSlow("exception", std::span<const Attribute>(present, n), 0);
  SetStatusSlow(StatusCode::kError, message);
}

void Span::UpdateNameSlow(std::string_view name) {
  internal::SpanRecord& r = *record_;
  r.name_off = r.Store(name);
  r.name_len = static_cast<uint32_t>(name.size());
}

void Span::EndSlow(uint64_t end_time_unix_ns) {
  internal::SpanRecord* r = record_;
  record_ = nullptr;
  if (end_time_unix_ns != 0) {
    r->end_unix_ns = end_time_unix_ns;
  } else {
    // A span moved to another thread may read the clock there while that
    // thread's reading falls back to the system clock (tsc_clock.h): never
    // let that make a measured span end before it started.
    r->end_unix_ns = std::max(NowUnixNs(), r->start_unix_ns);
  }
  if (r->sampled) {
    r->core->processor().OnEnd(r);
  } else {
    internal::ReleaseSpanRecord(r);
  }
}

}  // namespace tracery
