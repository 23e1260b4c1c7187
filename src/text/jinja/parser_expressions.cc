// Jinja parser, expressions: a port of jinja2/parser.py's expression grammar. Precedence, loosest first:
// inline if, or, and, not, comparisons (in, not in, ==, <, ...), + -, ~, * / // %, **, unary - +, then postfix
// (. [] ()) and filters/tests. Text layer.
#include "text/jinja/builtins.h"
#include "text/jinja/parser_internal.h"

namespace baleen::jinja {

bool Parser::IsTupleEnd(std::initializer_list<std::string_view> extra_end) const {
  const Token& t = Current();
  if (t.type == TokenType::kVariableEnd || t.type == TokenType::kBlockEnd || IsOp(t, ")")) return true;
  return AtEndToken(extra_end);
}

ExprPtr Parser::ParseTuple(bool with_condexpr, std::initializer_list<std::string_view> extra_end, bool explicit_parens) {
  Position pos = PosOf(Current());
  std::vector<ExprPtr> items;
  bool is_tuple = false;
  while (true) {
    if (!items.empty()) ExpectOp(",");
    if (IsTupleEnd(extra_end)) break;
    items.push_back(ParseExpression(with_condexpr));
    if (IsOp(Current(), ",")) {
      is_tuple = true;
    } else {
      break;
    }
  }
  if (!is_tuple) {
    if (!items.empty()) return std::move(items[0]);
    if (!explicit_parens) Fail("Expected an expression, got '" + Describe(Current()) + "'");
  }
  auto e = NewExpr(ExprKind::kTuple, pos);
  e->args = std::move(items);
  return Done(std::move(e));
}

ExprPtr Parser::ParseExpression(bool with_condexpr) {
  DepthGuard guard(this);
  return with_condexpr ? ParseCondExpr() : ParseOr();
}

ExprPtr Parser::ParseCondExpr() {
  DepthGuard guard(this);
  ExprPtr expr = ParseOr();
  while (IsName(Current(), "if")) {
    auto e = NewExpr(ExprKind::kCondExpr, PosOf(Next()));
    e->a = ParseOr();  // test
    e->b = std::move(expr);  // value when true
    if (SkipName("else")) e->c = ParseCondExpr();
    expr = Done(std::move(e));
  }
  return expr;
}

ExprPtr Parser::Binary(Op op, Position pos, ExprPtr left, ExprPtr right) {
  auto e = NewExpr(ExprKind::kBinary, pos);
  e->op = op;
  e->a = std::move(left);
  e->b = std::move(right);
  return Done(std::move(e));
}

ExprPtr Parser::ParseOr() {
  ExprPtr left = ParseAnd();
  while (IsName(Current(), "or")) {
    Position pos = PosOf(Next());
    left = Binary(Op::kOr, pos, std::move(left), ParseAnd());
  }
  return left;
}

ExprPtr Parser::ParseAnd() {
  ExprPtr left = ParseNot();
  while (IsName(Current(), "and")) {
    Position pos = PosOf(Next());
    left = Binary(Op::kAnd, pos, std::move(left), ParseNot());
  }
  return left;
}

ExprPtr Parser::ParseNot() {
  if (IsName(Current(), "not")) {
    DepthGuard guard(this);
    auto e = NewExpr(ExprKind::kUnary, PosOf(Next()));
    e->op = Op::kNot;
    e->a = ParseNot();
    return Done(std::move(e));
  }
  return ParseCompare();
}

ExprPtr Parser::ParseCompare() {
  Position pos = PosOf(Current());
  ExprPtr expr = ParseMath1();
  std::vector<std::pair<Op, ExprPtr>> ops;
  while (true) {
    const Token& t = Current();
    Op op;
    if (IsOp(t, "==")) op = Op::kEq;
    else if (IsOp(t, "!=")) op = Op::kNe;
    else if (IsOp(t, "<")) op = Op::kLt;
    else if (IsOp(t, "<=")) op = Op::kLe;
    else if (IsOp(t, ">")) op = Op::kGt;
    else if (IsOp(t, ">=")) op = Op::kGe;
    else if (IsName(t, "in")) op = Op::kIn;
    else if (IsName(t, "not") && IsName(Look(), "in")) op = Op::kNotIn;
    else break;
    Next();
    if (op == Op::kNotIn) Next();
    ops.emplace_back(op, ParseMath1());
  }
  if (ops.empty()) return expr;
  auto e = NewExpr(ExprKind::kCompare, pos);
  e->a = std::move(expr);
  e->comparisons = std::move(ops);
  return Done(std::move(e));
}

ExprPtr Parser::ParseMath1() {
  ExprPtr left = ParseConcat();
  while (IsOp(Current(), "+") || IsOp(Current(), "-")) {
    Op op = Current().value == "+" ? Op::kAdd : Op::kSub;
    Position pos = PosOf(Next());
    left = Binary(op, pos, std::move(left), ParseConcat());
  }
  return left;
}

ExprPtr Parser::ParseConcat() {
  ExprPtr left = ParseMath2();
  while (IsOp(Current(), "~")) {
    Position pos = PosOf(Next());
    left = Binary(Op::kConcat, pos, std::move(left), ParseMath2());
  }
  return left;
}

ExprPtr Parser::ParseMath2() {
  ExprPtr left = ParsePow();
  while (true) {
    const Token& t = Current();
    Op op;
    if (IsOp(t, "*")) op = Op::kMul;
    else if (IsOp(t, "/")) op = Op::kDiv;
    else if (IsOp(t, "//")) op = Op::kFloorDiv;
    else if (IsOp(t, "%")) op = Op::kMod;
    else break;
    Position pos = PosOf(Next());
    left = Binary(op, pos, std::move(left), ParsePow());
  }
  return left;
}

ExprPtr Parser::ParsePow() {
  ExprPtr left = ParseUnary(true);
  while (IsOp(Current(), "**")) {
    Position pos = PosOf(Next());
    left = Binary(Op::kPow, pos, std::move(left), ParseUnary(true));
  }
  return left;
}

ExprPtr Parser::ParseUnary(bool with_filter) {
  DepthGuard guard(this);
  ExprPtr node;
  if (IsOp(Current(), "-") || IsOp(Current(), "+")) {
    auto e = NewExpr(ExprKind::kUnary, PosOf(Current()));
    e->op = Next().value == "-" ? Op::kNeg : Op::kPos;
    e->a = ParseUnary(false);
    node = Done(std::move(e));
  } else {
    node = ParsePrimary();
  }
  node = ParsePostfix(std::move(node));
  if (with_filter) node = ParseFilterExpr(std::move(node));
  return node;
}

ExprPtr Parser::ParsePrimary() {
  const Token& t = Current();
  Position pos = PosOf(t);
  if (t.type == TokenType::kName) {
    auto e = NewExpr(ExprKind::kConst, pos);
    const std::string& v = t.value;
    if (v == "true" || v == "True") e->constant = Value::Bool(true);
    else if (v == "false" || v == "False") e->constant = Value::Bool(false);
    else if (v == "none" || v == "None") e->constant = Value::None();
    else {
      e->kind = ExprKind::kName;
      e->name = v;
    }
    Next();
    return e;
  }
  if (t.type == TokenType::kString) {
    std::string s;
    while (Current().type == TokenType::kString) s += Next().value;
    auto e = NewExpr(ExprKind::kConst, pos);
    e->constant = Value::String(std::move(s));
    return e;
  }
  if (t.type == TokenType::kInteger || t.type == TokenType::kFloat) {
    auto e = NewExpr(ExprKind::kConst, pos);
    e->constant = t.type == TokenType::kInteger ? Value::Int(t.int_value) : Value::Float(t.float_value);
    Next();
    return e;
  }
  if (IsOp(t, "(")) {
    Next();
    ExprPtr e = ParseTuple(true, {}, true);
    ExpectOp(")");
    return e;
  }
  if (IsOp(t, "[")) return ParseList();
  if (IsOp(t, "{")) return ParseDict();
  Fail("unexpected '" + Describe(t) + "'");
}

ExprPtr Parser::ParseList() {
  auto e = NewExpr(ExprKind::kList, PosOf(Next()));
  while (!IsOp(Current(), "]")) {
    if (!e->args.empty()) ExpectOp(",");
    if (IsOp(Current(), "]")) break;
    e->args.push_back(ParseExpression(true));
  }
  ExpectOp("]");
  return Done(std::move(e));
}

ExprPtr Parser::ParseDict() {
  auto e = NewExpr(ExprKind::kDict, PosOf(Next()));
  while (!IsOp(Current(), "}")) {
    if (!e->args.empty()) ExpectOp(",");
    if (IsOp(Current(), "}")) break;
    e->args.push_back(ParseExpression(true));
    ExpectOp(":");
    e->values.push_back(ParseExpression(true));
  }
  ExpectOp("}");
  return Done(std::move(e));
}

ExprPtr Parser::ParsePostfix(ExprPtr node) {
  while (true) {
    if (IsOp(Current(), ".") || IsOp(Current(), "[")) {
      node = ParseSubscript(std::move(node));
    } else if (IsOp(Current(), "(")) {
      node = ParseCall(std::move(node));
    } else {
      return node;
    }
  }
}

ExprPtr Parser::ParseFilterExpr(ExprPtr node) {
  while (true) {
    if (IsOp(Current(), "|")) {
      node = ParseFilter(std::move(node), false);
    } else if (IsName(Current(), "is")) {
      node = ParseTest(std::move(node));
    } else if (IsOp(Current(), "(")) {
      node = ParseCall(std::move(node));
    } else {
      return node;
    }
  }
}

ExprPtr Parser::ParseSubscript(ExprPtr node) {
  const Token& t = Next();
  Position pos = PosOf(t);
  if (t.value == ".") {
    const Token& attr = Current();
    if (attr.type == TokenType::kName) {
      auto e = NewExpr(ExprKind::kGetAttr, pos);
      e->a = std::move(node);
      e->name = Next().value;
      return Done(std::move(e));
    }
    if (attr.type != TokenType::kInteger) Fail("expected name or number");
    auto key = NewExpr(ExprKind::kConst, PosOf(attr));
    key->constant = Value::Int(Next().int_value);
    auto e = NewExpr(ExprKind::kGetItem, pos);
    e->a = std::move(node);
    e->b = std::move(key);
    return Done(std::move(e));
  }
  std::vector<ExprPtr> args;
  while (!IsOp(Current(), "]")) {
    if (!args.empty()) ExpectOp(",");
    args.push_back(ParseSubscribed());
  }
  ExpectOp("]");
  if (args.size() == 1 && args[0]->kind == ExprKind::kSlice) {
    args[0]->a = std::move(node);
    return Done(std::move(args[0]));
  }
  auto e = NewExpr(ExprKind::kGetItem, pos);
  e->a = std::move(node);
  if (args.size() == 1) {
    e->b = std::move(args[0]);
  } else {
    for (const auto& arg : args) {
      if (arg->kind == ExprKind::kSlice) Fail("extended slicing is not supported");
    }
    e->b = NewExpr(ExprKind::kTuple, pos);
    e->b->args = std::move(args);
    e->b = Done(std::move(e->b));
  }
  return Done(std::move(e));
}

ExprPtr Parser::ParseSubscribed() {
  Position pos = PosOf(Current());
  ExprPtr start;
  if (!IsOp(Current(), ":")) {
    start = ParseExpression(true);
    if (!IsOp(Current(), ":")) return start;
  }
  Next();  // the first colon
  auto e = NewExpr(ExprKind::kSlice, pos);
  e->slice_start = std::move(start);
  if (!IsOp(Current(), ":") && !IsOp(Current(), "]") && !IsOp(Current(), ",")) {
    e->slice_stop = ParseExpression(true);
  }
  if (SkipOp(":")) {
    if (!IsOp(Current(), "]") && !IsOp(Current(), ",")) e->slice_step = ParseExpression(true);
  }
  return e;
}

void Parser::ParseCallArgs(Expr* e) {
  ExpectOp("(");
  bool require_comma = false;
  while (!IsOp(Current(), ")")) {
    if (require_comma) {
      ExpectOp(",");
      if (IsOp(Current(), ")")) break;
    }
    if (IsOp(Current(), "*") || IsOp(Current(), "**")) Fail("*args and **kwargs in calls are not supported");
    if (Current().type == TokenType::kName && IsOp(Look(), "=")) {
      std::string key = Next().value;
      Next();
      e->kwargs.push_back({key, ParseExpression(true)});
    } else {
      if (!e->kwargs.empty()) Fail("invalid syntax for function call expression");
      e->args.push_back(ParseExpression(true));
    }
    require_comma = true;
  }
  ExpectOp(")");
}

ExprPtr Parser::ParseCall(ExprPtr node) {
  auto e = NewExpr(ExprKind::kCall, node->pos);  // errors point at the callee, not at "("
  e->a = std::move(node);
  ParseCallArgs(e.get());
  return Done(std::move(e));
}

std::string Parser::ParseDottedName() {
  std::string name = ExpectName();
  while (IsOp(Current(), ".")) {
    Next();
    name += ".";
    name += ExpectName();
  }
  return name;
}

ExprPtr Parser::ParseFilter(ExprPtr node, bool start_inline) {
  while (IsOp(Current(), "|") || start_inline) {
    if (!start_inline) Next();
    start_inline = false;
    const Token& name_token = Current();
    auto e = NewExpr(ExprKind::kFilter, PosOf(name_token));
    e->name = ParseDottedName();
    if (!IsKnownFilter(e->name)) FailAt("No filter named '" + e->name + "'.", name_token);
    if (IsOp(Current(), "(")) ParseCallArgs(e.get());
    e->a = std::move(node);
    node = Done(std::move(e));
  }
  return node;
}

ExprPtr Parser::ParseTest(ExprPtr node) {
  auto e = NewExpr(ExprKind::kTest, PosOf(Next()));
  e->negated = SkipName("not");
  const Token& name_token = Current();
  e->name = ParseDottedName();
  if (!IsKnownTest(e->name)) FailAt("No test named '" + e->name + "'.", name_token);
  const Token& t = Current();
  if (IsOp(t, "(")) {
    ParseCallArgs(e.get());
  } else if ((t.type == TokenType::kName || t.type == TokenType::kString || t.type == TokenType::kInteger ||
              t.type == TokenType::kFloat || IsOp(t, "[") || IsOp(t, "{")) &&
             !IsName(t, "else") && !IsName(t, "or") && !IsName(t, "and")) {
    if (IsName(t, "is")) Fail("You cannot chain multiple tests with is");
    e->args.push_back(ParsePostfix(ParsePrimary()));
  }
  e->a = std::move(node);
  return Done(std::move(e));
}

}  // namespace baleen::jinja
