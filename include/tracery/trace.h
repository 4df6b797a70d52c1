// The Tracery tracing API: what instrumented code calls.
//
//   tracery::Tracer tracer = tracery::GetTracer("cart-service");
//   tracery::Span span = tracer.StartSpan("load cart");   // child of the current span
//   tracery::Scope scope(span);                           // span is current on this thread
//   span.SetAttribute("cart.items", int64_t{3});
//   ...                                                   // span ends when it goes out of scope
//
// Cost model (this is a hot path and is written for it): starting and ending a
// span takes no lock, makes no heap allocation once the thread's span pool is
// warm, and involves no shared_ptr and one virtual call (the sampler). A span
// that is not sampled records nothing: every setter is an inline null check.
//
// Thread-safety: a Span is owned by one thread at a time (move it to hand it
// over); Tracer and TracerProvider are safe to use from any thread. The
// current context is thread-local.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "tracery/baggage.h"

namespace tracery {

// 128-bit trace id, as two big-endian halves (high = wire bytes 0..7).
struct TraceId {
  uint64_t high = 0;
  uint64_t low = 0;
  bool IsValid() const { return (high | low) != 0; }
  void ToBytes(uint8_t out[16]) const;
  // 32 lowercase hex digits into out (no terminator).
  void ToHex(char out[32]) const;
  std::string ToHex() const;
  // Exactly 32 lowercase-or-uppercase hex digits (use ParseHex in
  // propagation.h for the header-specific rules); nullopt otherwise.
  static std::optional<TraceId> FromHex(std::string_view hex);
  friend bool operator==(const TraceId&, const TraceId&) = default;
};

// 64-bit span id (big-endian interpretation of the 8 wire bytes).
struct SpanId {
  uint64_t value = 0;
  bool IsValid() const { return value != 0; }
  void ToBytes(uint8_t out[8]) const;
  void ToHex(char out[16]) const;
  std::string ToHex() const;
  static std::optional<SpanId> FromHex(std::string_view hex);  // exactly 16 hex digits
  friend bool operator==(const SpanId&, const SpanId&) = default;
};

inline constexpr uint8_t kTraceFlagSampled = 0x01;

// W3C tracestate: an immutable, already-validated list of vendor entries,
// kept as its header text. Held by pointer and null when empty (the common
// case), so every Span, Scope and Context that carries one copies, moves and
// destroys it with a pointer test instead of a std::string's; a non-empty
// one is deep-copied (no shared reference count).
class TraceState {
 public:
  static constexpr size_t kMaxMembers = 32;
  TraceState() = default;
  TraceState(const TraceState& other)
      : header_(other.header_ ? std::make_unique<const std::string>(*other.header_) : nullptr) {}
  TraceState& operator=(const TraceState& other) {
    if (this != &other) header_ = other.header_ ? std::make_unique<const std::string>(*other.header_) : nullptr;
    return *this;
  }
  TraceState(TraceState&&) noexcept = default;
  TraceState& operator=(TraceState&&) noexcept = default;
  // Parses and validates a tracestate header. Per the W3C spec an invalid
  // header is dropped whole: returns an empty TraceState and sets *valid=false.
  // Duplicate keys make the header invalid; empty list members are skipped.
  static TraceState FromHeader(std::string_view header, bool* valid = nullptr);
  // The header text; a reference to an empty string when empty.
  const std::string& ToHeader() const { return header_ ? *header_ : EmptyHeader(); }
  bool empty() const { return header_ == nullptr; }
  std::optional<std::string_view> Get(std::string_view key) const;
  // A copy with key=value moved to the front (per the spec, the updated
  // entry goes first); the last entry is dropped if that would exceed 32.
  // Returns *this unchanged when key or value breaks the grammar.
  TraceState Set(std::string_view key, std::string_view value) const;
  TraceState Remove(std::string_view key) const;
  static bool IsValidKey(std::string_view key);
  static bool IsValidValue(std::string_view value);
  friend bool operator==(const TraceState& a, const TraceState& b) { return a.ToHeader() == b.ToHeader(); }

 private:
  // Takes already-validated header text; empty text gives an empty state.
  static TraceState Adopt(std::string header);
  static const std::string& EmptyHeader();
  std::unique_ptr<const std::string> header_;  // null when empty; never points to an empty string
};

// The part of a span that crosses process boundaries.
struct SpanContext {
  TraceId trace_id;
  SpanId span_id;
  uint8_t trace_flags = 0;
  bool is_remote = false;  // true when extracted from a carrier
  TraceState trace_state;

  bool IsValid() const { return trace_id.IsValid() && span_id.IsValid(); }
  bool IsSampled() const { return (trace_flags & kTraceFlagSampled) != 0; }
  friend bool operator==(const SpanContext&, const SpanContext&) = default;
};

// What flows along a request: the active span's context and the baggage.
// Plain value; pass it explicitly to hand work to another thread or callback.
struct Context {
  SpanContext span_context;
  Baggage baggage;
};

// The context current on this thread (an empty Context when none). Returns a
// reference valid until the innermost Scope on this thread ends.
const Context& CurrentContext();

enum class SpanKind : uint8_t { kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };
enum class StatusCode : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

// An attribute value as passed to the API: a non-owning view. Strings and
// arrays are copied into the span's own storage when set, so literals,
// temporaries and std::string all work.
class AttributeValue {
 public:
  enum class Type : uint8_t { kString, kBool, kInt64, kDouble, kStringArray, kBoolArray, kInt64Array, kDoubleArray };
  AttributeValue(std::string_view v) : type_(Type::kString), str_(v) {}
  AttributeValue(const char* v) : type_(Type::kString), str_(v) {}
  AttributeValue(const std::string& v) : type_(Type::kString), str_(v) {}
  AttributeValue(bool v) : type_(Type::kBool), b_(v) {}
  template <typename I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  AttributeValue(I v) : type_(Type::kInt64), i_(static_cast<int64_t>(v)) {}
  AttributeValue(double v) : type_(Type::kDouble), d_(v) {}
  AttributeValue(float v) : type_(Type::kDouble), d_(v) {}
  AttributeValue(std::span<const std::string_view> v) : type_(Type::kStringArray), sarr_(v) {}
  AttributeValue(std::initializer_list<std::string_view> v) : type_(Type::kStringArray), sarr_(v.begin(), v.size()) {}
  AttributeValue(std::span<const bool> v) : type_(Type::kBoolArray), barr_(v) {}
  AttributeValue(std::span<const int64_t> v) : type_(Type::kInt64Array), iarr_(v) {}
  AttributeValue(std::span<const double> v) : type_(Type::kDoubleArray), darr_(v) {}

  Type type() const { return type_; }
  std::string_view string_value() const { return str_; }
  bool bool_value() const { return b_; }
  int64_t int_value() const { return i_; }
  double double_value() const { return d_; }
  std::span<const std::string_view> string_array() const { return sarr_; }
  std::span<const bool> bool_array() const { return barr_; }
  std::span<const int64_t> int_array() const { return iarr_; }
  std::span<const double> double_array() const { return darr_; }

 private:
  Type type_;
  union {
    std::string_view str_;
    bool b_;
    int64_t i_;
    double d_;
    std::span<const std::string_view> sarr_;
    std::span<const bool> barr_;
    std::span<const int64_t> iarr_;
    std::span<const double> darr_;
  };
};

struct Attribute {
  std::string_view key;
  AttributeValue value;
};

// A link to another span (e.g. the messages a batch consumer processed).
struct Link {
  SpanContext context;
  std::span<const Attribute> attributes = {};
};

namespace internal {
struct SpanRecord;
class TracerCore;
}  // namespace internal

class Tracer;

// A span being recorded. Move-only handle; ends (and is handed to the
// exporter) on End() or destruction, whichever is first. Every method is a
// no-op on a span that is not recording (unsampled, SDK disabled, already
// ended) except context(), which always returns a valid context when the
// span has a trace to belong to.
class Span {
 public:
  Span() = default;
  Span(Span&& other) noexcept;
  Span& operator=(Span&& other) noexcept;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span() { End(); }

  const SpanContext& context() const { return context_; }
  bool IsRecording() const { return record_ != nullptr; }

  // Overwrites any value already set for `key`. Attributes past the span's
  // limit (128) are dropped and counted.
  void SetAttribute(std::string_view key, const AttributeValue& value) {
    if (record_) SetAttributeSlow(key, value);
  }
  void SetAttributes(std::initializer_list<Attribute> attributes) {
    if (record_) for (const Attribute& a : attributes) SetAttributeSlow(a.key, a.value);
  }
  // time_unix_ns = 0 means now.
  void AddEvent(std::string_view name, std::initializer_list<Attribute> attributes = {}, uint64_t time_unix_ns = 0) {
    if (record_) AddEventSlow(name, std::span<const Attribute>(attributes.begin(), attributes.size()), time_unix_ns);
  }
  void AddEvent(std::string_view name, std::span<const Attribute> attributes, uint64_t time_unix_ns = 0) {
    if (record_) AddEventSlow(name, attributes, time_unix_ns);
  }
  void AddLink(const Link& link) {
    if (record_) AddLinkSlow(link);
  }
  // Per the OTel spec: kOk is final (later kError/kUnset is ignored); the
  // description is kept only for kError.
  void SetStatus(StatusCode code, std::string_view description = {}) {
    if (record_) SetStatusSlow(code, description);
  }
  // Adds an "exception" event with exception.type, exception.message and
  // exception.stacktrace (empty strings are left out) and sets status error
  // with `message` as description.
  void RecordException(std::string_view type, std::string_view message, std::string_view stacktrace = {});
  void UpdateName(std::string_view name) {
    if (record_) UpdateNameSlow(name);
  }
  // Ends the span; later calls do nothing. end_time_unix_ns = 0 means now.
  void End(uint64_t end_time_unix_ns = 0) {
    if (record_) EndSlow(end_time_unix_ns);
  }

 private:
  friend class Tracer;
  void SetAttributeSlow(std::string_view key, const AttributeValue& value);
  void AddEventSlow(std::string_view name, std::span<const Attribute> attributes, uint64_t time_unix_ns);
  void AddLinkSlow(const Link& link);
  void SetStatusSlow(StatusCode code, std::string_view description);
  void UpdateNameSlow(std::string_view name);
  void EndSlow(uint64_t end_time_unix_ns);

  SpanContext context_;
  internal::SpanRecord* record_ = nullptr;
};

// Makes a context (or a span's context, keeping the current baggage)
// current on this thread for the Scope's lifetime. Scopes nest and must end
// in reverse order of creation (stack objects do this naturally). The
// referenced span may end before the scope; the scope copies its context.
class Scope {
 public:
  explicit Scope(const Span& span);
  explicit Scope(const Context& context);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Context context_;
  const Context* previous_;
};

struct StartSpanOptions {
  SpanKind kind = SpanKind::kInternal;
  // Parent to use instead of the current context; nullptr = current context.
  const Context* parent = nullptr;
  // Start a new trace even when there is a current span.
  bool root = false;
  uint64_t start_time_unix_ns = 0;  // 0 = now
  std::span<const Link> links = {};
};

// Creates spans. Cheap to copy (two pointers). Valid while the
// TracerProvider it came from lives; a default Tracer (or one from a
// disabled provider) creates non-recording spans that still carry the
// parent's context, so propagation keeps working with tracing off.
class Tracer {
 public:
  Tracer() = default;
  Span StartSpan(std::string_view name, const StartSpanOptions& options = {}) const;
  Span StartSpan(std::string_view name, SpanKind kind) const {
    StartSpanOptions o;
    o.kind = kind;
    return StartSpan(name, o);
  }
  Span StartSpan(std::string_view name, const Context& parent, SpanKind kind = SpanKind::kInternal) const {
    StartSpanOptions o;
    o.kind = kind;
    o.parent = &parent;
    return StartSpan(name, o);
  }

 private:
  friend class TracerProvider;
  Tracer(internal::TracerCore* core, const void* scope) : core_(core), scope_(scope) {}
  internal::TracerCore* core_ = nullptr;
  const void* scope_ = nullptr;  // the instrumentation scope (name, version)
};

// A tracer from the global provider (see sdk.h: InitFromEnv sets it). Before
// any provider is installed this returns a non-recording tracer.
Tracer GetTracer(std::string_view name, std::string_view version = {});

// Wall-clock time in nanoseconds since the Unix epoch.
uint64_t NowUnixNs();

}  // namespace tracery
