// Jinja parser internals shared by parser.cc (statements) and parser_expressions.cc (expressions).
// Text layer; not part of the public API.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "text/jinja/ast.h"
#include "text/jinja/lexer.h"
#include "text/jinja/parser.h"

namespace baleen::jinja {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Program Run() {
    Program program;
    program.body = Subparse({});
    if (Current().type != TokenType::kEof) Fail("unexpected '" + Current().value + "'");
    return program;
  }

  // ---- token stream ----
  const Token& Current() const { return tokens_[pos_]; }
  const Token& Look() const { return tokens_[pos_ + 1 < tokens_.size() ? pos_ + 1 : pos_]; }
  const Token& Next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool IsOp(const Token& t, std::string_view op) const { return t.type == TokenType::kOperator && t.value == op; }
  bool IsName(const Token& t, std::string_view name) const { return t.type == TokenType::kName && t.value == name; }
  bool SkipOp(std::string_view op) {
    if (!IsOp(Current(), op)) return false;
    Next();
    return true;
  }
  bool SkipName(std::string_view name) {
    if (!IsName(Current(), name)) return false;
    Next();
    return true;
  }

  static std::string Describe(const Token& t) {
    switch (t.type) {
      case TokenType::kEof: return "end of template";
      case TokenType::kBlockEnd: return "end of statement block";
      case TokenType::kVariableEnd: return "end of print statement";
      case TokenType::kBlockBegin: return "begin of statement block";
      case TokenType::kVariableBegin: return "begin of print statement";
      case TokenType::kData: return "template data";
      case TokenType::kString: return "string";
      case TokenType::kInteger: return "integer";
      case TokenType::kFloat: return "float";
      default: return t.value;
    }
  }

  [[noreturn]] void Fail(const std::string& message) const { FailAt(message, Current()); }
  [[noreturn]] static void FailAt(const std::string& message, const Token& at) {
    throw JinjaError{message, at.line, at.column};
  }

  void ExpectOp(std::string_view op) {
    if (!SkipOp(op)) Fail("expected '" + std::string(op) + "', got '" + Describe(Current()) + "'");
  }
  std::string ExpectName() {
    if (Current().type != TokenType::kName) Fail("expected name, got '" + Describe(Current()) + "'");
    return Next().value;
  }
  void ExpectType(TokenType type, const char* what) {
    if (Current().type != type) Fail(std::string("expected ") + what + ", got '" + Describe(Current()) + "'");
    Next();
  }

  static Position PosOf(const Token& t) { return {t.line, t.column}; }

  ExprPtr NewExpr(ExprKind kind, Position pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }
  StmtPtr NewStmt(StmtKind kind, Position pos) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->pos = pos;
    return s;
  }

  // Records the height of a finished node from its children and bounds it: left-leaning chains (a+b+c...,
  // x.a.b.c..., f()()()) are built by loops, not recursion, so DepthGuard alone would not bound them.
  ExprPtr Done(ExprPtr e) {
    int h = 0;
    auto see = [&](const ExprPtr& c) {
      if (c) h = std::max(h, c->depth);
    };
    see(e->a);
    see(e->b);
    see(e->c);
    see(e->slice_start);
    see(e->slice_stop);
    see(e->slice_step);
    for (const ExprPtr& x : e->args) see(x);
    for (const ExprPtr& x : e->values) see(x);
    for (const KeywordArg& kw : e->kwargs) see(kw.value);
    for (const auto& [op, x] : e->comparisons) see(x);
    e->depth = h + 1;
    if (e->depth > kMaxExprDepth) FailAt("expression nested too deeply", tokens_[pos_]);
    return e;
  }

  struct DepthGuard {
    explicit DepthGuard(Parser* p) : parser(p) {
      if (++parser->depth_ > kMaxParseDepth) parser->Fail("template nested too deeply");
    }
    ~DepthGuard() { --parser->depth_; }
    Parser* parser;
  };

  // ---- statements ----
  bool AtEndToken(std::initializer_list<std::string_view> end_names) const {
    for (std::string_view name : end_names) {
      if (IsName(Current(), name)) return true;
    }
    return false;
  }

  StmtList Subparse(std::initializer_list<std::string_view> end_names);
  StmtList ParseStatements(std::initializer_list<std::string_view> end_names, bool drop_needle);
  StmtPtr ParseStatement();
  StmtPtr ParseScope(const char* end);
  StmtPtr ParseIf();
  StmtPtr ParseFor();
  StmtPtr ParseSet();
  Target ParseAssignTarget(bool with_namespace, std::initializer_list<std::string_view> extra_end);
  std::vector<MacroParam> ParseSignature();
  StmtPtr ParseMacro();
  StmtPtr ParseCallBlock();
  StmtPtr ParseFilterBlock();
  StmtPtr ParseWith();

  // ---- expressions ----
  bool IsTupleEnd(std::initializer_list<std::string_view> extra_end) const;

  ExprPtr ParseTuple(bool with_condexpr, std::initializer_list<std::string_view> extra_end, bool explicit_parens);
  ExprPtr ParseExpression(bool with_condexpr);
  ExprPtr ParseCondExpr();
  ExprPtr Binary(Op op, Position pos, ExprPtr left, ExprPtr right);
  ExprPtr ParseOr();
  ExprPtr ParseAnd();
  ExprPtr ParseNot();
  ExprPtr ParseCompare();
  ExprPtr ParseMath1();
  ExprPtr ParseConcat();
  ExprPtr ParseMath2();
  ExprPtr ParsePow();
  ExprPtr ParseUnary(bool with_filter);
  ExprPtr ParsePrimary();
  ExprPtr ParseList();
  ExprPtr ParseDict();
  ExprPtr ParsePostfix(ExprPtr node);
  ExprPtr ParseFilterExpr(ExprPtr node);
  ExprPtr ParseSubscript(ExprPtr node);
  // One subscript: an expression or a slice [start]:[stop][:[step]].
  ExprPtr ParseSubscribed();
  void ParseCallArgs(Expr* e);
  ExprPtr ParseCall(ExprPtr node);
  std::string ParseDottedName();
  ExprPtr ParseFilter(ExprPtr node, bool start_inline);
  ExprPtr ParseTest(ExprPtr node);

 private:
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace baleen::jinja
