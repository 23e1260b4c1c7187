// Jinja parser, statements: a recursive-descent port of jinja2/parser.py (if/for/set/macro/call/filter/with,
// break/continue from the loopcontrols extension, and transformers' {% generation %} tag). Expressions are in
// parser_expressions.cc. Text layer.
#include "text/jinja/parser.h"

#include "text/jinja/builtins.h"
#include "text/jinja/parser_internal.h"

namespace baleen::jinja {

StmtList Parser::Subparse(std::initializer_list<std::string_view> end_names) {
  StmtList body;
  while (Current().type != TokenType::kEof) {
    const Token& t = Current();
    if (t.type == TokenType::kData) {
      auto s = NewStmt(StmtKind::kData, PosOf(t));
      s->data = Next().value;
      body.push_back(std::move(s));
    } else if (t.type == TokenType::kVariableBegin) {
      auto s = NewStmt(StmtKind::kOutput, PosOf(t));
      Next();
      s->expr = ParseTuple(true, {}, false);
      ExpectType(TokenType::kVariableEnd, "end of print statement");
      body.push_back(std::move(s));
    } else if (t.type == TokenType::kBlockBegin) {
      Next();
      if (end_names.size() > 0 && AtEndToken(end_names)) return body;
      body.push_back(ParseStatement());
      ExpectType(TokenType::kBlockEnd, "end of statement block");
    } else {
      Fail("unexpected '" + Describe(t) + "'");
    }
  }
  return body;
}

StmtList Parser::ParseStatements(std::initializer_list<std::string_view> end_names, bool drop_needle) {
  SkipOp(":");
  ExpectType(TokenType::kBlockEnd, "end of statement block");
  StmtList result = Subparse(end_names);
  if (Current().type == TokenType::kEof) {
    std::string expected;
    for (std::string_view n : end_names) expected += (expected.empty() ? "'" : " or '") + std::string(n) + "'";
    Fail("unexpected end of template, expected " + expected);
  }
  if (drop_needle) Next();
  return result;
}

StmtPtr Parser::ParseStatement() {
  DepthGuard guard(this);
  const Token& t = Current();
  if (t.type != TokenType::kName) Fail("tag name expected");
  const std::string& tag = t.value;
  if (tag == "if") return ParseIf();
  if (tag == "for") return ParseFor();
  if (tag == "set") return ParseSet();
  if (tag == "macro") return ParseMacro();
  if (tag == "call") return ParseCallBlock();
  if (tag == "filter") return ParseFilterBlock();
  if (tag == "with") return ParseWith();
  if (tag == "generation") return ParseScope("endgeneration");  // transformers' AssistantTracker tag
  if (tag == "print") {
    auto s = NewStmt(StmtKind::kOutput, PosOf(Next()));
    s->expr = ParseTuple(true, {}, false);
    return s;
  }
  if (tag == "break" || tag == "continue") {
    if (loop_depth_ == 0) Fail("'" + tag + "' outside of a loop");
    return NewStmt(tag == "break" ? StmtKind::kBreak : StmtKind::kContinue, PosOf(Next()));
  }
  Fail("Encountered unknown or unsupported tag '" + tag + "'.");
}

StmtPtr Parser::ParseScope(const char* end) {
  auto s = NewStmt(StmtKind::kScope, PosOf(Next()));
  s->body = ParseStatements({end}, true);
  return s;
}

StmtPtr Parser::ParseIf() {
  auto s = NewStmt(StmtKind::kIf, PosOf(Next()));
  while (true) {
    ExprPtr test = ParseTuple(false, {}, false);
    StmtList body = ParseStatements({"elif", "else", "endif"}, false);
    s->branches.emplace_back(std::move(test), std::move(body));
    const Token& t = Next();
    if (t.value == "elif") continue;
    if (t.value == "else") s->else_body = ParseStatements({"endif"}, true);
    break;
  }
  return s;
}

StmtPtr Parser::ParseFor() {
  auto s = NewStmt(StmtKind::kFor, PosOf(Next()));
  s->target = ParseAssignTarget(false, {"in"});
  if (!SkipName("in")) Fail("expected 'in', got '" + Describe(Current()) + "'");
  s->expr = ParseTuple(false, {"recursive"}, false);
  if (SkipName("if")) s->filter = ParseExpression(true);
  if (SkipName("recursive")) Fail("recursive for loops are not supported");
  ++loop_depth_;
  s->body = ParseStatements({"endfor", "else"}, false);
  --loop_depth_;
  if (Next().value == "else") s->else_body = ParseStatements({"endfor"}, true);
  return s;
}

StmtPtr Parser::ParseSet() {
  auto s = NewStmt(StmtKind::kAssign, PosOf(Next()));
  s->target = ParseAssignTarget(true, {});
  if (SkipOp("=")) {
    s->expr = ParseTuple(true, {}, false);
    return s;
  }
  s->kind = StmtKind::kAssignBlock;
  if (!s->target.attr.empty() || !s->target.names.empty()) Fail("block set needs a plain name");
  s->filter = ParseFilter(nullptr, false);
  s->body = ParseStatements({"endset"}, true);
  return s;
}

Target Parser::ParseAssignTarget(bool with_namespace, std::initializer_list<std::string_view> extra_end) {
  Target target;
  const Token& first = Current();
  if (with_namespace && first.type == TokenType::kName && IsOp(Look(), ".")) {
    target.name = Next().value;
    Next();
    target.attr = ExpectName();
    return target;
  }
  std::vector<std::string> names;
  bool is_tuple = false;
  bool parens = SkipOp("(");
  while (true) {
    if (!names.empty()) ExpectOp(",");
    if (Current().type == TokenType::kBlockEnd || IsOp(Current(), ")") || AtEndToken(extra_end) ||
        IsOp(Current(), "=")) {
      break;
    }
    names.push_back(ExpectName());
    if (!IsOp(Current(), ",")) break;
    is_tuple = true;
  }
  if (parens) ExpectOp(")");
  if (names.empty()) FailAt("expected a name to assign to", first);
  for (const std::string& n : names) {
    if (n == "true" || n == "false" || n == "none" || n == "True" || n == "False" || n == "None") {
      FailAt("can't assign to constant '" + n + "'", first);
    }
  }
  if (is_tuple || parens) {
    target.names = std::move(names);
  } else {
    target.name = names[0];
  }
  return target;
}

std::vector<MacroParam> Parser::ParseSignature() {
  std::vector<MacroParam> params;
  ExpectOp("(");
  bool seen_default = false;
  while (!IsOp(Current(), ")")) {
    if (!params.empty()) ExpectOp(",");
    MacroParam p;
    p.name = ExpectName();
    if (SkipOp("=")) {
      p.default_value = ParseExpression(true);
      seen_default = true;
    } else if (seen_default) {
      Fail("non-default argument follows default argument");
    }
    params.push_back(std::move(p));
  }
  ExpectOp(")");
  return params;
}

StmtPtr Parser::ParseMacro() {
  auto s = NewStmt(StmtKind::kMacro, PosOf(Next()));
  s->name = ExpectName();
  s->params = ParseSignature();
  int saved_loops = loop_depth_;
  loop_depth_ = 0;
  s->body = ParseStatements({"endmacro"}, true);
  loop_depth_ = saved_loops;
  return s;
}

StmtPtr Parser::ParseCallBlock() {
  auto s = NewStmt(StmtKind::kCallBlock, PosOf(Next()));
  if (IsOp(Current(), "(")) s->params = ParseSignature();
  s->expr = ParseExpression(true);
  if (s->expr->kind != ExprKind::kCall) Fail("expected call");
  s->body = ParseStatements({"endcall"}, true);
  return s;
}

StmtPtr Parser::ParseFilterBlock() {
  auto s = NewStmt(StmtKind::kFilterBlock, PosOf(Next()));
  s->filter = ParseFilter(nullptr, true);
  s->body = ParseStatements({"endfilter"}, true);
  return s;
}

StmtPtr Parser::ParseWith() {
  auto s = NewStmt(StmtKind::kWith, PosOf(Next()));
  while (Current().type != TokenType::kBlockEnd) {
    if (!s->with_vars.empty()) ExpectOp(",");
    std::string name = ExpectName();
    ExpectOp("=");
    s->with_vars.emplace_back(name, ParseExpression(true));
  }
  s->body = ParseStatements({"endwith"}, true);
  return s;
}

Program ParseProgram(std::string_view source) { return Parser(Tokenize(source)).Run(); }

}  // namespace baleen::jinja
