// Jinja lexer: template source -> tokens, with Hugging Face's settings trim_blocks=True and lstrip_blocks=True.
// Text layer. Mirrors jinja2/lexer.py (3.1): newline normalisation, the trailing-newline drop, whitespace
// control signs (-/+), raw blocks, comments, and brace balancing inside tags.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace baleen::jinja {

enum class TokenType : uint8_t {
  kData,           // literal template text (already whitespace-processed)
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,
  kString,         // value holds the unescaped literal
  kInteger,
  kFloat,
  kOperator,       // value holds the operator text: "+", "//", "(", ...
  kEof,
};

struct Token {
  TokenType type;
  std::string value;
  int64_t int_value = 0;
  double float_value = 0.0;
  int line = 1;
  int column = 1;
};

// Tokenizes the whole template. On a lexical error throws JinjaError with the position.
std::vector<Token> Tokenize(std::string_view source);

}  // namespace baleen::jinja
