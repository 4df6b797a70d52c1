// W3C Baggage: an immutable set of key/value pairs (with optional
// properties) carried in a Context and propagated in the `baggage` header.
//
// Value type: copying a Baggage is a pointer copy plus a reference-count
// increment (no copy of the entries); mutators return a new Baggage and never
// change the one they are called on, so a Baggage is safe to share across
// threads without locking.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tracery {

class Baggage {
 public:
  // Limits from the W3C Baggage specification: a propagator sends at most
  // this many members and bytes; the API refuses to grow past them.
  static constexpr size_t kMaxMembers = 180;
  static constexpr size_t kMaxHeaderBytes = 8192;

  struct Entry {
    std::string key;
    std::string value;     // decoded (never percent-encoded)
    std::string metadata;  // the properties after the value, e.g. "prop1;k=v", verbatim
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  Baggage() = default;

  bool empty() const { return entries_ == nullptr || entries_->empty(); }
  size_t size() const { return entries_ ? entries_->size() : 0; }
  // The value for `key`, or nullopt. Keys are case-sensitive.
  std::optional<std::string_view> Get(std::string_view key) const;
  // A copy with `key` set to `value` (replacing any previous entry for the key;
  // the new entry goes last). Returns *this unchanged when the key is not a
  // valid token or the result would exceed kMaxMembers.
  Baggage Set(std::string_view key, std::string_view value, std::string_view metadata = {}) const;
  // A copy without `key`.
  Baggage Remove(std::string_view key) const;
  const std::vector<Entry>& entries() const;

  // The `baggage` header value (values percent-encoded). Members that would
  // push the header past kMaxHeaderBytes are left out.
  std::string ToHeader() const;
  // Parses a `baggage` header. Invalid members are skipped (the rest are
  // kept); a header over kMaxHeaderBytes, or members past kMaxMembers, are
  // cut off at the limit. Never throws or crashes on any input.
  static Baggage FromHeader(std::string_view header);

  friend bool operator==(const Baggage& a, const Baggage& b) { return a.entries() == b.entries(); }

 private:
  explicit Baggage(std::shared_ptr<const std::vector<Entry>> e) : entries_(std::move(e)) {}
  std::shared_ptr<const std::vector<Entry>> entries_;
};

// Percent-encoding as the W3C Baggage spec asks for values: every byte
// outside baggage-octet (and '%') is written as %XX.
std::string PercentEncodeBaggageValue(std::string_view raw);
// Decodes %XX sequences; nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view encoded);

}  // namespace tracery
