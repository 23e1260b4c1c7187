// Jinja parser: tokens -> syntax tree (ast.h), following jinja2/parser.py's grammar and operator precedence.
// Text layer. Unknown filters and tests are rejected here, as jinja2 rejects them at compile time.
#pragma once

#include <string_view>

#include "text/jinja/ast.h"

namespace baleen::jinja {

// Throws JinjaError (with line and column) on a syntax error or when nesting exceeds kMaxParseDepth.
Program ParseProgram(std::string_view source);

constexpr int kMaxParseDepth = 128;  // nested statements and parenthesised/recursive expressions
constexpr int kMaxExprDepth = 256;   // height of one expression tree, including chains like a.b.c... and 1+1+...

}  // namespace baleen::jinja
