// Context propagation across process boundaries: W3C Trace Context and
// Baggage, B3 (single and multi header), Jaeger, and a composite of these,
// injecting into / extracting from any header-like carrier.
//
// Extraction treats its input as untrusted: a malformed header is ignored
// (the result is the context passed in, unchanged), never a crash.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tracery/trace.h"

namespace tracery {

// Where headers are read from and written to. Keys passed to Get/Set are
// lowercase; adapters over case-preserving containers match
// case-insensitively on Get.
class TextMapCarrier {
 public:
  virtual ~TextMapCarrier() = default;
  // The value for `key`, or an empty view when absent.
  virtual std::string_view Get(std::string_view key) const = 0;
  virtual void Set(std::string_view key, std::string_view value) = 0;
  // Calls `fn` for every key (used for prefixed headers such as uberctx-*).
  // Returning false from fn stops the walk. Default: no keys.
  virtual void ForEachKey(const std::function<bool(std::string_view)>& fn) const {}
};

// Adapters over common containers. They keep a reference: the container
// must outlive the adapter.
template <typename Map>
class MapCarrier final : public TextMapCarrier {
 public:
  explicit MapCarrier(Map& map) : map_(map) {}
  std::string_view Get(std::string_view key) const override {
    auto it = map_.find(typename Map::key_type(key));
    if (it != map_.end()) return it->second;
    for (const auto& [k, v] : map_) {
      if (EqualsIgnoreCase(k, key)) return v;
    }
    return {};
  }
  void Set(std::string_view key, std::string_view value) override {
    map_.insert_or_assign(typename Map::key_type(key), typename Map::mapped_type(value));
  }
  void ForEachKey(const std::function<bool(std::string_view)>& fn) const override {
    for (const auto& kv : map_) {
      if (!fn(kv.first)) return;
    }
  }

 private:
  static bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      char x = a[i], y = b[i];
      if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
      if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
      if (x != y) return false;
    }
    return true;
  }
  Map& map_;
};
using StdMapCarrier = MapCarrier<std::map<std::string, std::string>>;
using UnorderedMapCarrier = MapCarrier<std::unordered_map<std::string, std::string>>;

// A vector of (name, value) header pairs: Set replaces an existing entry
// with the same name (case-insensitive) or appends.
class HeaderVectorCarrier final : public TextMapCarrier {
 public:
  explicit HeaderVectorCarrier(std::vector<std::pair<std::string, std::string>>& headers) : headers_(headers) {}
  std::string_view Get(std::string_view key) const override;
  void Set(std::string_view key, std::string_view value) override;
  void ForEachKey(const std::function<bool(std::string_view)>& fn) const override;

 private:
  std::vector<std::pair<std::string, std::string>>& headers_;
};

// A multimap such as gRPC metadata (std::multimap<grpc::string_ref,
// grpc::string_ref> on the server, ClientContext::AddMetadata on the
// client). Get returns the first value; Set calls `add`.
template <typename MultiMap>
class MultiMapCarrier final : public TextMapCarrier {
 public:
  using AddFn = std::function<void(std::string_view, std::string_view)>;
  MultiMapCarrier(const MultiMap& map, AddFn add = {}) : map_(map), add_(std::move(add)) {}
  std::string_view Get(std::string_view key) const override {
    for (const auto& [k, v] : map_) {
      if (std::string_view(k.data(), k.size()) == key) return std::string_view(v.data(), v.size());
    }
    return {};
  }
  void Set(std::string_view key, std::string_view value) override {
    if (add_) add_(key, value);
  }
  void ForEachKey(const std::function<bool(std::string_view)>& fn) const override {
    for (const auto& kv : map_) {
      if (!fn(std::string_view(kv.first.data(), kv.first.size()))) return;
    }
  }

 private:
  const MultiMap& map_;
  AddFn add_;
};

class TextMapPropagator {
 public:
  virtual ~TextMapPropagator() = default;
  // Writes `context` into the carrier (nothing when it has no valid span
  // context / no baggage, as fits the format).
  virtual void Inject(const Context& context, TextMapCarrier& carrier) const = 0;
  // Returns `context` with what the carrier holds merged in (span context
  // marked is_remote). Malformed or absent headers leave it unchanged.
  virtual Context Extract(const TextMapCarrier& carrier, const Context& context) const = 0;
  // Extract in place: `context` becomes what Extract(carrier, context) would
  // return. The built-in propagators override it so a composite (and a server
  // extracting every request) does not copy the Context, with its baggage's
  // reference count, once per part. Default: context = Extract(carrier, context).
  virtual void ExtractInto(const TextMapCarrier& carrier, Context& context) const {
    context = Extract(carrier, context);
  }
  virtual std::vector<std::string> Fields() const = 0;
};

// W3C Trace Context (traceparent + tracestate).
class W3CTraceContextPropagator final : public TextMapPropagator {
 public:
  void Inject(const Context& context, TextMapCarrier& carrier) const override;
  Context Extract(const TextMapCarrier& carrier, const Context& context) const override;
  void ExtractInto(const TextMapCarrier& carrier, Context& context) const override;
  std::vector<std::string> Fields() const override { return {"traceparent", "tracestate"}; }
};

// W3C Baggage (`baggage` header).
class W3CBaggagePropagator final : public TextMapPropagator {
 public:
  void Inject(const Context& context, TextMapCarrier& carrier) const override;
  Context Extract(const TextMapCarrier& carrier, const Context& context) const override;
  void ExtractInto(const TextMapCarrier& carrier, Context& context) const override;
  std::vector<std::string> Fields() const override { return {"baggage"}; }
};

// B3. Extract accepts both the single `b3` header (preferred) and the
// X-B3-* headers; Inject writes the form chosen here. `b3: d` / X-B3-Flags: 1
// (debug) imply sampled. A `b3: 0` / `b3: 1` header with no ids carries only
// a decision: it yields no span context (the span starts a new trace).
class B3Propagator final : public TextMapPropagator {
 public:
  enum class Form { kSingleHeader, kMultiHeader };
  explicit B3Propagator(Form inject_form = Form::kSingleHeader) : form_(inject_form) {}
  void Inject(const Context& context, TextMapCarrier& carrier) const override;
  Context Extract(const TextMapCarrier& carrier, const Context& context) const override;
  std::vector<std::string> Fields() const override;

 private:
  Form form_;
};

// Jaeger `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}`
// (ids are 1-32 / 1-16 hex digits, left-padded) and `uberctx-{key}` baggage
// headers (values percent-decoded on extract, encoded on inject).
class JaegerPropagator final : public TextMapPropagator {
 public:
  void Inject(const Context& context, TextMapCarrier& carrier) const override;
  Context Extract(const TextMapCarrier& carrier, const Context& context) const override;
  std::vector<std::string> Fields() const override { return {"uber-trace-id"}; }
};

// Runs several propagators in order: every one injects; extraction applies
// each in turn to the result of the previous.
class CompositePropagator final : public TextMapPropagator {
 public:
  explicit CompositePropagator(std::vector<std::unique_ptr<TextMapPropagator>> parts) : parts_(std::move(parts)) {}
  void Inject(const Context& context, TextMapCarrier& carrier) const override;
  Context Extract(const TextMapCarrier& carrier, const Context& context) const override;
  void ExtractInto(const TextMapCarrier& carrier, Context& context) const override;
  std::vector<std::string> Fields() const override;

 private:
  std::vector<std::unique_ptr<TextMapPropagator>> parts_;
};

// A composite built from OTEL_PROPAGATORS names (tracecontext, baggage, b3,
// b3multi, jaeger, none). Unknown names are skipped and listed in *unknown.
std::unique_ptr<TextMapPropagator> MakePropagator(const std::vector<std::string>& names,
                                                  std::vector<std::string>* unknown = nullptr);

// The process-wide propagator (default: tracecontext + baggage). Set it
// before starting threads that propagate; the previous one stays alive, so
// references obtained earlier remain valid.
const TextMapPropagator& GlobalPropagator();
void SetGlobalPropagator(std::unique_ptr<TextMapPropagator> propagator);

// Low-level traceparent codec, what the propagator uses (exposed for speed
// and tests). Format writes exactly 55 characters.
inline constexpr size_t kTraceparentLength = 55;
void FormatTraceparent(const SpanContext& context, char out[kTraceparentLength]);
// Parses per W3C Trace Context level 1/2: version 00 exactly 55 chars; a
// higher version may be longer (a '-' must follow the flags and the rest is
// ignored); version ff, uppercase hex, all-zero ids are invalid. nullopt on
// any violation. The result is_remote and has no trace state.
std::optional<SpanContext> ParseTraceparent(std::string_view header);

}  // namespace tracery
