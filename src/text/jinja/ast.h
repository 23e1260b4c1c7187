// Jinja syntax tree: expression and statement nodes as produced by parser.cc (mirroring jinja2/nodes.py).
// Text layer. Every node keeps its template line and column for error messages.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "text/jinja/value.h"

namespace baleen::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using StmtList = std::vector<StmtPtr>;

struct Position {
  int line = 1;
  int column = 1;
};

enum class ExprKind {
  kConst, kName, kGetAttr, kGetItem, kSlice, kCall, kFilter, kTest, kUnary, kBinary, kCompare, kCondExpr,
  kList, kTuple, kDict,
};

enum class Op {
  kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow, kConcat, kAnd, kOr, kNot, kNeg, kPos,
  kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn,
};

struct KeywordArg {
  std::string name;
  ExprPtr value;
};

struct Expr {
  ExprKind kind;
  Position pos;
  int depth = 1;              // height of this subtree; the parser bounds it so evaluation cannot overflow
  Value constant;             // kConst
  std::string name;           // kName, kGetAttr (attribute), kFilter/kTest (filter or test name)
  Op op = Op::kAdd;           // kUnary, kBinary
  bool negated = false;       // kTest: "is not"
  ExprPtr a, b, c;            // operands: object/left/test, key/right/then, step/else
  std::vector<ExprPtr> args;  // call/filter/test positional args; list/tuple items; dict keys
  std::vector<ExprPtr> values;  // dict values
  std::vector<KeywordArg> kwargs;
  std::vector<std::pair<Op, ExprPtr>> comparisons;  // kCompare: a op1 x1 op2 x2 ...
  ExprPtr slice_start, slice_stop, slice_step;      // kSlice (a = object); nullptr means omitted
};

enum class StmtKind {
  kOutput, kData, kIf, kFor, kAssign, kAssignBlock, kMacro, kCallBlock, kFilterBlock, kWith, kBreak, kContinue,
  kScope,
};

// Assignment target: a name, a namespace attribute (ns.attr), or a tuple of names for unpacking.
struct Target {
  std::string name;
  std::string attr;                // non-empty: namespace attribute assignment
  std::vector<std::string> names;  // non-empty: tuple unpacking
};

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // nullptr: required
};

struct Stmt {
  StmtKind kind;
  Position pos;
  std::string data;                 // kData
  ExprPtr expr;                     // kOutput, kAssign value, kFor iterable, kIf test, kCallBlock call
  ExprPtr filter;                   // kFor "if" filter; kAssignBlock/kFilterBlock filter chain (innermost a=null)
  std::vector<std::pair<ExprPtr, StmtList>> branches;  // kIf: (test, body) for if/elif
  StmtList body;
  StmtList else_body;               // kIf else, kFor else
  Target target;                    // kAssign, kAssignBlock, kFor
  std::string name;                 // kMacro name
  std::vector<MacroParam> params;   // kMacro, kCallBlock caller params
  std::vector<std::pair<std::string, ExprPtr>> with_vars;  // kWith
  bool recursive = false;           // kFor
};

// A parsed template: the statement list plus the macro definitions it owns.
struct Program {
  StmtList body;
};

}  // namespace baleen::jinja
