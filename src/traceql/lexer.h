// TraceQL tokenizer. Turns query text into tokens with their 1-based
// columns so parser errors can point at the offending place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tracery::traceql {

enum class TokenType : uint8_t {
  kEnd = 0,
  kLBrace, kRBrace, kLParen, kRParen, kComma, kPipe,
  kAnd,        // &&
  kOr,         // ||
  kNot,        // !
  kEq, kNe, kGt, kGe, kLt, kLe, kRegex, kNotRegex,
  kDescendant, // >>
  kAncestor,   // <<
  kTilde,      // ~
  kIdent,      // name, status, true, count, error, span:name ...
  kAttribute,  // `.x`, `span.x`, `resource.x` (text: the name; scope in `scope`)
  kString,     // "..." or `...` (text: unescaped contents)
  kInt,        // 42 (int_value)
  kFloat,      // 1.5 (float_value)
  kDuration,   // 1.5ms, 1m30s (int_value: nanoseconds)
};

struct Token {
  TokenType type = TokenType::kEnd;
  std::string text;           // identifier, attribute name, unescaped string
  int64_t int_value = 0;      // kInt; kDuration in nanoseconds
  double float_value = 0;     // kFloat
  uint8_t scope = 0;          // kAttribute: AttributeScope (ast.h) as a number
  int column = 0;             // 1-based column of the first character
};

// Describes a token type for error messages ("'}'", "a string", ...).
std::string_view TokenTypeName(TokenType type);

// Tokenizes `query`. The last token is always kEnd. InvalidArgument
// ("TraceQL: unterminated string at column 7") on malformed input; never
// crashes on any input. Queries longer than 64 KiB are refused.
Result<std::vector<Token>> Tokenize(std::string_view query);

}  // namespace tracery::traceql
