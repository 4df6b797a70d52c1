#include "traceql/lexer.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "traceql/ast.h"

namespace tracery::traceql {
namespace {

constexpr size_t kMaxQueryBytes = 64 * 1024;

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
// Characters of an unquoted attribute name after the scope's dot.
bool IsAttributeChar(char c) { return IsIdentChar(c) || c == '.' || c == '-' || c == '/'; }

Status ErrorAt(std::string_view what, size_t pos) {
  return Status::InvalidArgument("TraceQL: " + std::string(what) + " at column " + std::to_string(pos + 1));
}

class Lexer {
 public:
  explicit Lexer(std::string_view q) : q_(q) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      while (pos_ < q_.size() && (q_[pos_] == ' ' || q_[pos_] == '\t' || q_[pos_] == '\n' || q_[pos_] == '\r'))
        ++pos_;
      Token t;
      t.column = static_cast<int>(pos_) + 1;
      if (pos_ >= q_.size()) {
        t.type = TokenType::kEnd;
        out.push_back(std::move(t));
        return out;
      }
      TRACERY_RETURN_IF_ERROR(Next(&t));
      out.push_back(std::move(t));
    }
  }

 private:
  char Peek(size_t ahead = 0) const { return pos_ + ahead < q_.size() ? q_[pos_ + ahead] : '\0'; }

  Status Next(Token* t) {
    const char c = Peek();
    const char d = Peek(1);
    auto two = [&](TokenType type) { t->type = type; pos_ += 2; return Status::Ok(); };
    auto one = [&](TokenType type) { t->type = type; pos_ += 1; return Status::Ok(); };
    switch (c) {
      case '{': return one(TokenType::kLBrace);
      case '}': return one(TokenType::kRBrace);
      case '(': return one(TokenType::kLParen);
      case ')': return one(TokenType::kRParen);
      case ',': return one(TokenType::kComma);
      case '~': return one(TokenType::kTilde);
      case '|': return d == '|' ? two(TokenType::kOr) : one(TokenType::kPipe);
      case '&':
        if (d == '&') return two(TokenType::kAnd);
        return ErrorAt("expected '&&'", pos_);
      case '=':
        if (d == '~') return two(TokenType::kRegex);
        if (d == '=') return ErrorAt("'==' is not an operator, use '='", pos_);
        return one(TokenType::kEq);
      case '!':
        if (d == '=') return two(TokenType::kNe);
        if (d == '~') return two(TokenType::kNotRegex);
        return one(TokenType::kNot);
      case '>':
        if (d == '>') return two(TokenType::kDescendant);
        if (d == '=') return two(TokenType::kGe);
        return one(TokenType::kGt);
      case '<':
        if (d == '<') return two(TokenType::kAncestor);
        if (d == '=') return two(TokenType::kLe);
        return one(TokenType::kLt);
      case '"':
      case '`':
        t->type = TokenType::kString;
        return LexString(&t->text);
      case '.':
        if (IsDigit(d)) return LexNumber(t);
        ++pos_;
        return LexAttribute(t, AttributeScope::kAny);
      default:
        break;
    }
    if (IsDigit(c)) return LexNumber(t);
    if (c == '-' && (IsDigit(d) || d == '.')) {
      ++pos_;
      TRACERY_RETURN_IF_ERROR(LexNumber(t));
      t->int_value = -t->int_value;
      t->float_value = -t->float_value;
      return Status::Ok();
    }
    if (IsIdentStart(c)) {
      size_t start = pos_;
      while (IsIdentChar(Peek())) ++pos_;
      std::string_view ident = q_.substr(start, pos_ - start);
      if ((ident == "span" || ident == "resource") && Peek() == '.') {
        ++pos_;
        return LexAttribute(t, ident == "span" ? AttributeScope::kSpan : AttributeScope::kResource);
      }
      if ((ident == "span" || ident == "trace") && Peek() == ':' && IsIdentStart(Peek(1))) {
        ++pos_;
        while (IsIdentChar(Peek())) ++pos_;
        ident = q_.substr(start, pos_ - start);
      }
      t->type = TokenType::kIdent;
      t->text = std::string(ident);
      return Status::Ok();
    }
    return ErrorAt("unexpected character '" + std::string(1, c) + "'", pos_);
  }

  Status LexAttribute(Token* t, AttributeScope scope) {
    t->type = TokenType::kAttribute;
    t->scope = static_cast<uint8_t>(scope);
    if (Peek() == '"') return LexString(&t->text);
    size_t start = pos_;
    while (IsAttributeChar(Peek())) ++pos_;
    if (pos_ == start) return ErrorAt("expected an attribute name", pos_);
    t->text = std::string(q_.substr(start, pos_ - start));
    return Status::Ok();
  }

  Status LexString(std::string* out) {
    const size_t start = pos_;
    const char quote = q_[pos_++];
    while (pos_ < q_.size()) {
      char c = q_[pos_++];
      if (c == quote) return Status::Ok();
      if (c == '\\' && quote == '"') {
        if (pos_ >= q_.size()) break;
        char e = q_[pos_++];
        switch (e) {
          case 'n': out->push_back('\n'); break;
          case 't': out->push_back('\t'); break;
          case 'r': out->push_back('\r'); break;
          case '\\': case '"': case '\'': out->push_back(e); break;
          default:
            // Keep unknown escapes (e.g. regex `\d`) as written.
            out->push_back('\\');
            out->push_back(e);
        }
        continue;
      }
      out->push_back(c);
    }
    return ErrorAt("unterminated string", start);
  }

  // Digits with an optional fraction, then an optional duration unit; a
  // duration may chain units ("1m30s").
  Status LexNumber(Token* t) {
    const size_t start = pos_;
    double total_ns = 0;
    bool is_duration = false;
    while (true) {
      size_t num_start = pos_;
      while (IsDigit(Peek())) ++pos_;
      bool has_fraction = false;
      if (Peek() == '.' && IsDigit(Peek(1))) {
        has_fraction = true;
        ++pos_;
        while (IsDigit(Peek())) ++pos_;
      }
      std::string_view num = q_.substr(num_start, pos_ - num_start);
      if (num.empty()) return ErrorAt("expected a number", pos_);
      double unit_ns = 0;
      size_t unit_len = 0;
      std::string_view rest = q_.substr(pos_);
      if (rest.starts_with("ns")) unit_ns = 1, unit_len = 2;
      else if (rest.starts_with("us")) unit_ns = 1e3, unit_len = 2;
      else if (rest.starts_with("\xC2\xB5s")) unit_ns = 1e3, unit_len = 3;
      else if (rest.starts_with("ms")) unit_ns = 1e6, unit_len = 2;
      else if (rest.starts_with("s")) unit_ns = 1e9, unit_len = 1;
      else if (rest.starts_with("m")) unit_ns = 60e9, unit_len = 1;
      else if (rest.starts_with("h")) unit_ns = 3600e9, unit_len = 1;
      if (unit_len > 0 && IsIdentChar(rest.size() > unit_len ? rest[unit_len] : '\0') &&
          !IsDigit(rest[unit_len]))
        return ErrorAt("unknown duration unit", pos_);
      if (unit_len == 0) {
        if (is_duration) return ErrorAt("expected a duration unit (ns, us, ms, s, m, h)", pos_);
        if (IsIdentStart(Peek())) return ErrorAt("unknown duration unit", pos_);
        std::string text(num);
        if (has_fraction) {
          t->type = TokenType::kFloat;
          t->float_value = std::strtod(text.c_str(), nullptr);
        } else {
          errno = 0;
          unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
          if (errno == ERANGE || v > static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()))
            return ErrorAt("integer out of range", start);
          t->type = TokenType::kInt;
          t->int_value = static_cast<int64_t>(v);
        }
        return Status::Ok();
      }
      is_duration = true;
      total_ns += std::strtod(std::string(num).c_str(), nullptr) * unit_ns;
      pos_ += unit_len;
      if (!IsDigit(Peek())) break;
    }
    if (!(total_ns < 9.2e18)) return ErrorAt("duration out of range", start);
    t->type = TokenType::kDuration;
    t->int_value = static_cast<int64_t>(std::llround(total_ns));
    return Status::Ok();
  }

  std::string_view q_;
  size_t pos_ = 0;
};

}  // namespace

std::string_view TokenTypeName(TokenType type) {
  switch (type) {
    case TokenType::kEnd: return "end of query";
    case TokenType::kLBrace: return "'{'";
    case TokenType::kRBrace: return "'}'";
    case TokenType::kLParen: return "'('";
    case TokenType::kRParen: return "')'";
    case TokenType::kComma: return "','";
    case TokenType::kPipe: return "'|'";
    case TokenType::kAnd: return "'&&'";
    case TokenType::kOr: return "'||'";
    case TokenType::kNot: return "'!'";
    case TokenType::kEq: return "'='";
    case TokenType::kNe: return "'!='";
    case TokenType::kGt: return "'>'";
    case TokenType::kGe: return "'>='";
    case TokenType::kLt: return "'<'";
    case TokenType::kLe: return "'<='";
    case TokenType::kRegex: return "'=~'";
    case TokenType::kNotRegex: return "'!~'";
    case TokenType::kDescendant: return "'>>'";
    case TokenType::kAncestor: return "'<<'";
    case TokenType::kTilde: return "'~'";
    case TokenType::kIdent: return "an identifier";
    case TokenType::kAttribute: return "an attribute";
    case TokenType::kString: return "a string";
    case TokenType::kInt: return "an integer";
    case TokenType::kFloat: return "a number";
    case TokenType::kDuration: return "a duration";
  }
  return "a token";
}

Result<std::vector<Token>> Tokenize(std::string_view query) {
  if (query.size() > kMaxQueryBytes)
    return Status::InvalidArgument("TraceQL: query longer than 65536 bytes");
  return Lexer(query).Run();
}

}  // namespace tracery::traceql
