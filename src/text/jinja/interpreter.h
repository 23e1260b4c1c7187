// Jinja tree-walking interpreter: executes a Program against a context with jinja2's scoping rules and
// Hugging Face's ImmutableSandboxedEnvironment semantics (default Undefined, no mutation of lists/dicts).
// Text layer. Hostile templates are bounded by RenderLimits instead of crashing or hanging.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/jinja/ast.h"
#include "text/jinja/value.h"

namespace baleen::jinja {

struct RenderLimits {
  size_t max_output_bytes = 16 << 20;  // also bounds any single string or list built while rendering
  int64_t max_iterations = 2'000'000;  // for-loop iterations, filter steps and macro calls, all together
  int max_call_depth = 64;             // nested macro calls (recursion)
};

// One scope: the template top level, one for-loop iteration, a macro call or a with block.
class Frame {
 public:
  explicit Frame(std::shared_ptr<Frame> parent) : parent_(std::move(parent)) {}
  const Value* Lookup(std::string_view name) const;
  void Set(const std::string& name, Value value);

 private:
  std::vector<std::pair<std::string, Value>> vars_;  // few names per scope: a vector beats a hash map
  std::shared_ptr<Frame> parent_;
};

class Interpreter {
 public:
  // `now` is what strftime_now() formats; tests pin it, Template::Render passes the wall clock.
  Interpreter(const RenderLimits& limits, std::tm now);
  ~Interpreter();

  // Context must be a dict; its items become the top-level variables.
  std::string Render(const Program& program, const Value& context);

  // Services for builtins (filters, tests, methods, globals).
  Value Call(const Value& callee, CallArgs& args);
  Value GetAttr(const Value& obj, const std::string& attr);
  Value GetItem(const Value& obj, const Value& key);
  Namespace* NewNamespace();
  void Tick(int64_t steps = 1);      // counts work against max_iterations
  void CheckSize(size_t bytes) const;  // fails when a value would exceed max_output_bytes
  const std::tm& now() const { return now_; }
  const RenderLimits& limits() const { return limits_; }

  // Used by macro callables.
  enum class Flow { kNormal, kBreak, kContinue };
  Flow Exec(const StmtList& body, std::string* out);
  std::shared_ptr<Frame> frame() const { return frame_; }
  void set_frame(std::shared_ptr<Frame> frame) { frame_ = std::move(frame); }
  struct CallDepthGuard {
    explicit CallDepthGuard(Interpreter* interpreter);
    ~CallDepthGuard();
    Interpreter* interpreter;
  };

 private:
  Value Eval(const Expr& e);
  Value EvalInner(const Expr& e);
  Value EvalName(const Expr& e);
  Value EvalCall(const Expr& e);
  Value EvalCompare(const Expr& e);
  Value EvalFilter(const Expr& e, const Value* input);
  Value EvalSlice(const Expr& e);
  CallArgs EvalArgs(const Expr& e);
  Flow ExecStmt(const Stmt& s, std::string* out);
  Flow ExecFor(const Stmt& s, std::string* out);
  void ExecAssign(const Target& target, Value value);
  void ExecMacro(const Stmt& s);
  void ExecCallBlock(const Stmt& s, std::string* out);
  void FillMacroDefaults(const Stmt& def, CallArgs* args);
  void Append(std::string* out, std::string_view text) const;

  RenderLimits limits_;
  std::tm now_;
  std::shared_ptr<Frame> frame_;
  std::shared_ptr<Frame> globals_;
  std::shared_ptr<Frame> root_;  // the template's top level; macros whose defining scope ended fall back here
  std::vector<std::unique_ptr<Namespace>> namespaces_;  // arena: namespaces die with the render
  int64_t steps_ = 0;
  int call_depth_ = 0;
};

// Iterates a value the way Python's iter() does: list/tuple items, dict keys, str characters; Undefined is
// empty; anything else raises TypeError.
ValueList Iterate(const Value& v);

}  // namespace baleen::jinja
