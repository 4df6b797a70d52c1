#include "tracery/baggage.h"

#include "propagation/header_grammar.h"

namespace tracery {
namespace {

bool IsTokenChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
    case '+': case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}
// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
bool IsBaggageOctet(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) || (c >= 0x3C && c <= 0x5B) ||
         (c >= 0x5D && c <= 0x7E);
}
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentEncodeBaggageValue(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char ch : raw) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsBaggageOctet(c) && c != '%') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back("0123456789ABCDEF"[c >> 4]);
      out.push_back("0123456789ABCDEF"[c & 0xF]);
    }
  }
  return out;
}

std::optional<std::string> PercentDecode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out.push_back(encoded[i]);
      continue;
    }
    if (i + 2 >= encoded.size()) return std::nullopt;
    int hi = HexDigit(encoded[i + 1]), lo = HexDigit(encoded[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

const std::vector<Baggage::Entry>& Baggage::entries() const {
  static const std::vector<Entry> kEmpty;
  return entries_ ? *entries_ : kEmpty;
}

std::optional<std::string_view> Baggage::Get(std::string_view key) const {
  for (const Entry& e : entries()) {
    if (e.key == key) return std::string_view(e.value);
  }
  return std::nullopt;
}

Baggage Baggage::Set(std::string_view key, std::string_view value, std::string_view metadata) const {
  if (!IsToken(key)) return *this;
  auto next = std::make_shared<std::vector<Entry>>();
  next->reserve(size() + 1);
  for (const Entry& e : entries()) {
    if (e.key != key) next->push_back(e);
  }
  if (next->size() >= kMaxMembers) return *this;
  next->push_back(Entry{std::string(key), std::string(value), std::string(metadata)});
  return Baggage(std::move(next));
}

Baggage Baggage::Remove(std::string_view key) const {
  if (!Get(key)) return *this;
  auto next = std::make_shared<std::vector<Entry>>();
  for (const Entry& e : entries()) {
    if (e.key != key) next->push_back(e);
  }
  return Baggage(std::move(next));
}

std::string Baggage::ToHeader() const {
  std::string out;
  size_t members = 0;
  for (const Entry& e : entries()) {
    std::string member = e.key + "=" + PercentEncodeBaggageValue(e.value);
    if (!e.metadata.empty()) member += ";" + e.metadata;
    size_t extra = member.size() + (out.empty() ? 0 : 1);
    if (out.size() + extra > kMaxHeaderBytes || members == kMaxMembers) continue;
    if (!out.empty()) out.push_back(',');
    out += member;
    ++members;
  }
  return out;
}

Baggage Baggage::FromHeader(std::string_view header) {
  if (header.size() > kMaxHeaderBytes) {
    // Keep the members that end within the limit.
    size_t cut = header.rfind(',', kMaxHeaderBytes);
    header = cut == std::string_view::npos ? std::string_view() : header.substr(0, cut);
  }
  auto entries = std::make_shared<std::vector<Entry>>();
  while (!header.empty() && entries->size() < kMaxMembers) {
    size_t comma = header.find(',');
    std::string_view member = internal::TrimOws(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    // list-member = key OWS "=" OWS value *( OWS ";" OWS property )
    size_t semi = member.find(';');
    std::string_view kv = internal::TrimOws(member.substr(0, semi));
    std::string_view props = semi == std::string_view::npos ? std::string_view() : member.substr(semi + 1);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = internal::TrimOws(kv.substr(0, eq));
    std::string_view raw_value = internal::TrimOws(kv.substr(eq + 1));
    if (!IsToken(key)) continue;
    bool value_ok = true;
    for (char c : raw_value) value_ok &= IsBaggageOctet(static_cast<unsigned char>(c));
    if (!value_ok) continue;
    std::optional<std::string> value = PercentDecode(raw_value);
    if (!value) continue;
    // Properties: key or key=value, each a token key; kept verbatim (trimmed).
    std::string metadata;
    bool props_ok = true;
    std::string_view rest = props;
    while (semi != std::string_view::npos && props_ok) {
      size_t next = rest.find(';');
      std::string_view prop = internal::TrimOws(rest.substr(0, next));
      size_t peq = prop.find('=');
      std::string_view pkey = internal::TrimOws(prop.substr(0, peq));
      props_ok = IsToken(pkey);
      if (peq != std::string_view::npos) {
        for (char c : internal::TrimOws(prop.substr(peq + 1))) props_ok &= IsBaggageOctet(static_cast<unsigned char>(c));
      }
      if (!metadata.empty()) metadata.push_back(';');
      metadata.append(prop);
      if (next == std::string_view::npos) break;
      rest.remove_prefix(next + 1);
    }
    if (!props_ok) continue;
    bool replaced = false;
    for (Entry& e : *entries) {
      if (e.key == key) {
        e = Entry{std::string(key), std::move(*value), std::move(metadata)};
        replaced = true;
      }
    }
    if (!replaced) entries->push_back(Entry{std::string(key), std::move(*value), std::move(metadata)});
  }
  if (entries->empty()) return Baggage();
  return Baggage(std::move(entries));
}

}  // namespace tracery
