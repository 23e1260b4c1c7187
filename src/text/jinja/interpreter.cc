// Jinja interpreter: statements, expressions, scoping, macros. Text layer; see interpreter.h.
// Scoping follows jinja2: `if` shares its scope, every for-loop iteration and macro call gets a fresh frame
// whose parent is the enclosing one, and macros resolve free names at call time.
#include "text/jinja/interpreter.h"

#include <algorithm>

#include "text/jinja/builtins.h"
#include "text/jinja/pystr.h"

namespace baleen::jinja {
namespace {

bool UsesName(const Expr* e, std::string_view name);

bool UsesNameInBody(const StmtList& body, std::string_view name) {
  for (const StmtPtr& s : body) {
    if (UsesName(s->expr.get(), name) || UsesName(s->filter.get(), name)) return true;
    for (const auto& [test, branch] : s->branches) {
      if (UsesName(test.get(), name) || UsesNameInBody(branch, name)) return true;
    }
    for (const auto& [var, value] : s->with_vars) {
      if (UsesName(value.get(), name)) return true;
    }
    if (UsesNameInBody(s->body, name) || UsesNameInBody(s->else_body, name)) return true;
  }
  return false;
}

bool UsesName(const Expr* e, std::string_view name) {
  if (e == nullptr) return false;
  if (e->kind == ExprKind::kName && e->name == name) return true;
  for (const Expr* child : {e->a.get(), e->b.get(), e->c.get(), e->slice_start.get(), e->slice_stop.get(),
                            e->slice_step.get()}) {
    if (UsesName(child, name)) return true;
  }
  for (const auto& v : {&e->args, &e->values}) {
    for (const ExprPtr& x : *v) {
      if (UsesName(x.get(), name)) return true;
    }
  }
  for (const KeywordArg& kw : e->kwargs) {
    if (UsesName(kw.value.get(), name)) return true;
  }
  for (const auto& [op, x] : e->comparisons) {
    if (UsesName(x.get(), name)) return true;
  }
  return false;
}

// A {% macro %} or the `caller` of a {% call %} block. Holds its defining frame (and the template's top level,
// used once that frame has ended) weakly: frames own the macro values, so strong pointers would make cycles.
class MacroCallable : public Callable {
 public:
  MacroCallable(const Stmt* def, std::weak_ptr<Frame> closure, std::weak_ptr<Frame> fallback, Value caller)
      : def_(def), closure_(std::move(closure)), fallback_(std::move(fallback)), caller_(std::move(caller)),
        uses_varargs_(UsesNameInBody(def->body, "varargs")), uses_kwargs_(UsesNameInBody(def->body, "kwargs")),
        uses_caller_(UsesNameInBody(def->body, "caller")) {}

  Value Call(Interpreter& interpreter, CallArgs& args) const override {
    Interpreter::CallDepthGuard guard(&interpreter);
    interpreter.Tick();
    std::shared_ptr<Frame> parent = closure_.lock();
    if (parent == nullptr) parent = fallback_.lock();
    if (parent == nullptr) ThrowError("macro '" + Name() + "' called outside its render");
    auto frame = std::make_shared<Frame>(parent);
    Bind(args, frame.get());
    std::shared_ptr<Frame> saved = interpreter.frame();
    interpreter.set_frame(frame);
    std::string out;
    try {
      interpreter.Exec(def_->body, &out);
    } catch (...) {
      interpreter.set_frame(saved);
      throw;
    }
    interpreter.set_frame(saved);
    return Value::String(std::move(out));
  }

  std::string Repr() const override { return "<Macro '" + Name() + "'>"; }

 private:
  std::string Name() const { return def_->kind == StmtKind::kMacro ? def_->name : "caller"; }

  void Bind(CallArgs& args, Frame* frame) const {
    const auto& params = def_->params;
    size_t n = params.size();
    if (args.positional.size() > n && !uses_varargs_) {
      ThrowError("macro '" + Name() + "' takes not more than " + std::to_string(n) + " argument(s)");
    }
    Dict extra_kwargs;
    std::vector<bool> set(n, false);
    for (size_t i = 0; i < n && i < args.positional.size(); ++i) {
      frame->Set(params[i].name, args.positional[i]);
      set[i] = true;
    }
    for (auto& keyword : args.keyword) {
      const std::string& key = keyword.first;
      Value& value = keyword.second;
      auto it = std::find_if(params.begin(), params.end(), [&](const MacroParam& p) { return p.name == key; });
      if (it != params.end()) {
        size_t i = static_cast<size_t>(it - params.begin());
        if (set[i]) ThrowError("macro '" + Name() + "' got multiple values for argument '" + key + "'");
        frame->Set(key, value);
        set[i] = true;
      } else if (key == "caller" && uses_caller_) {
        frame->Set(key, value);
      } else if (uses_kwargs_) {
        extra_kwargs.Set(Value::String(key), value);
      } else {
        ThrowError("macro '" + Name() + "' takes no keyword argument '" + key + "'");
      }
    }
    for (size_t i = 0; i < n; ++i) {  // defaults were filled in by Interpreter::Call
      if (!set[i]) frame->Set(params[i].name, Value::Undefined("parameter '" + params[i].name + "' was not provided"));
    }
    ValueList varargs;
    for (size_t i = n; i < args.positional.size(); ++i) varargs.push_back(args.positional[i]);
    frame->Set("varargs", Value::Tuple(std::move(varargs)));
    frame->Set("kwargs", Value::MakeDict(std::move(extra_kwargs)));
    if (!caller_.is_undefined()) frame->Set("caller", caller_);
  }

 public:
  const Stmt* def() const { return def_; }

 private:
  const Stmt* def_;
  std::weak_ptr<Frame> closure_;
  std::weak_ptr<Frame> fallback_;
  Value caller_;
  bool uses_varargs_;
  bool uses_kwargs_;
  bool uses_caller_;
};

}  // namespace

const Value* Frame::Lookup(std::string_view name) const {
  for (const Frame* f = this; f != nullptr; f = f->parent_.get()) {
    for (const auto& [key, value] : f->vars_) {
      if (key == name) return &value;
    }
  }
  return nullptr;
}

void Frame::Set(const std::string& name, Value value) {
  for (auto& [key, v] : vars_) {
    if (key == name) {
      v = std::move(value);
      return;
    }
  }
  vars_.emplace_back(name, std::move(value));
}

Interpreter::Interpreter(const RenderLimits& limits, std::tm now) : limits_(limits), now_(now) {
  globals_ = std::make_shared<Frame>(nullptr);
  AddGlobals(globals_.get());
}

Interpreter::~Interpreter() = default;

Interpreter::CallDepthGuard::CallDepthGuard(Interpreter* i) : interpreter(i) {
  if (++interpreter->call_depth_ > interpreter->limits_.max_call_depth) {
    --interpreter->call_depth_;
    ThrowError("macro calls nested more than " + std::to_string(interpreter->limits_.max_call_depth) +
               " deep (infinite recursion?)");
  }
}
Interpreter::CallDepthGuard::~CallDepthGuard() { --interpreter->call_depth_; }

std::string Interpreter::Render(const Program& program, const Value& context) {
  frame_ = std::make_shared<Frame>(globals_);
  root_ = frame_;
  if (context.is_dict()) {
    for (const auto& [key, value] : context.dict().items()) {
      if (key.is_string()) frame_->Set(key.str(), value);
    }
  }
  std::string out;
  Exec(program.body, &out);
  return out;
}

Namespace* Interpreter::NewNamespace() {
  Tick();
  namespaces_.push_back(std::make_unique<Namespace>());
  return namespaces_.back().get();
}

void Interpreter::Tick(int64_t steps) {
  steps_ += steps;
  if (steps_ > limits_.max_iterations) {
    ThrowError("template exceeded " + std::to_string(limits_.max_iterations) + " loop iterations and calls");
  }
}

void Interpreter::CheckSize(size_t bytes) const {
  if (bytes > limits_.max_output_bytes) {
    ThrowError("template output or value exceeds " + std::to_string(limits_.max_output_bytes) + " bytes");
  }
}

void Interpreter::Append(std::string* out, std::string_view text) const {
  CheckSize(out->size() + text.size());
  out->append(text);
}

Interpreter::Flow Interpreter::Exec(const StmtList& body, std::string* out) {
  for (const StmtPtr& s : body) {
    Flow flow = ExecStmt(*s, out);
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Interpreter::Flow Interpreter::ExecStmt(const Stmt& s, std::string* out) {
  try {
    switch (s.kind) {
      case StmtKind::kData: Append(out, s.data); return Flow::kNormal;
      case StmtKind::kOutput: Append(out, ToStr(Eval(*s.expr))); return Flow::kNormal;
      case StmtKind::kIf:
        for (const auto& [test, body] : s.branches) {
          if (Truthy(Eval(*test))) return Exec(body, out);
        }
        return Exec(s.else_body, out);
      case StmtKind::kFor: return ExecFor(s, out);
      case StmtKind::kAssign: ExecAssign(s.target, Eval(*s.expr)); return Flow::kNormal;
      case StmtKind::kAssignBlock: {
        std::string text;
        Exec(s.body, &text);
        Value v = Value::String(std::move(text));
        ExecAssign(s.target, s.filter ? EvalFilter(*s.filter, &v) : v);
        return Flow::kNormal;
      }
      case StmtKind::kFilterBlock: {
        std::string text;
        Exec(s.body, &text);
        Value v = Value::String(std::move(text));
        Append(out, ToStr(EvalFilter(*s.filter, &v)));
        return Flow::kNormal;
      }
      case StmtKind::kMacro: ExecMacro(s); return Flow::kNormal;
      case StmtKind::kCallBlock: ExecCallBlock(s, out); return Flow::kNormal;
      case StmtKind::kWith:
      case StmtKind::kScope: {
        auto scope = std::make_shared<Frame>(frame_);
        for (const auto& [name, value] : s.with_vars) scope->Set(name, Eval(*value));
        std::shared_ptr<Frame> saved = frame_;
        frame_ = scope;
        Flow flow = Exec(s.body, out);
        frame_ = saved;
        return flow;
      }
      case StmtKind::kBreak: return Flow::kBreak;
      case StmtKind::kContinue: return Flow::kContinue;
    }
  } catch (JinjaError& error) {
    if (error.line == 0) {
      error.line = s.pos.line;
      error.column = s.pos.column;
    }
    throw;
  }
  return Flow::kNormal;
}

ValueList Iterate(const Value& v) {
  switch (v.kind()) {
    case Kind::kList: return v.list();
    case Kind::kUndefined: return {};
    case Kind::kGenerator: {
      GeneratorState& g = v.generator();
      if (g.consumed) return {};
      g.consumed = true;
      return g.items;
    }
    case Kind::kDict: {
      ValueList keys;
      keys.reserve(v.dict().size());
      for (const auto& [key, value] : v.dict().items()) keys.push_back(key);
      return keys;
    }
    case Kind::kString: {
      ValueList chars;
      for (char32_t c : pystr::Decode(v.str())) chars.push_back(Value::String(pystr::Encode(c)));
      return chars;
    }
    default: ThrowError("'" + TypeName(v) + "' object is not iterable");
  }
}

Interpreter::Flow Interpreter::ExecFor(const Stmt& s, std::string* out) {
  ValueList all = Iterate(Eval(*s.expr));
  ValueList items;
  if (s.filter != nullptr) {
    std::shared_ptr<Frame> saved = frame_;
    for (Value& item : all) {
      Tick();
      frame_ = std::make_shared<Frame>(saved);
      ExecAssign(s.target, item);
      bool keep = false;
      try {
        keep = Truthy(Eval(*s.filter));
      } catch (...) {
        frame_ = saved;
        throw;
      }
      frame_ = saved;
      if (keep) items.push_back(std::move(item));
    }
  } else {
    items = std::move(all);
  }
  if (items.empty()) return Exec(s.else_body, out);
  auto loop = std::make_shared<LoopState>();
  loop->length = static_cast<int64_t>(items.size());
  loop->items = &items;
  std::shared_ptr<Frame> saved = frame_;
  try {
    for (size_t i = 0; i < items.size(); ++i) {
      Tick();
      loop->index0 = static_cast<int64_t>(i);
      frame_ = std::make_shared<Frame>(saved);
      frame_->Set("loop", Value::Loop(loop));
      ExecAssign(s.target, items[i]);
      if (Exec(s.body, out) == Flow::kBreak) break;
    }
  } catch (...) {
    frame_ = saved;
    loop->items = nullptr;
    throw;
  }
  frame_ = saved;
  loop->items = nullptr;  // a `loop` value that escapes the loop must not see a dead vector
  return Flow::kNormal;
}

void Interpreter::ExecAssign(const Target& target, Value value) {
  if (!target.attr.empty()) {
    const Value* ns = frame_->Lookup(target.name);
    if (ns == nullptr || ns->kind() != Kind::kNamespace) {
      ThrowError("cannot assign attribute on non-namespace object");
    }
    ns->ns()->attrs.Set(Value::String(target.attr), std::move(value));
    return;
  }
  if (target.names.empty()) {
    frame_->Set(target.name, std::move(value));
    return;
  }
  ValueList items = Iterate(value);
  if (items.size() != target.names.size()) {
    ThrowError(std::string(items.size() < target.names.size() ? "not enough" : "too many") +
               " values to unpack (expected " + std::to_string(target.names.size()) + ", got " +
               std::to_string(items.size()) + ")");
  }
  for (size_t i = 0; i < items.size(); ++i) frame_->Set(target.names[i], std::move(items[i]));
}

void Interpreter::ExecMacro(const Stmt& s) {
  frame_->Set(s.name, Value::MakeCallable(std::make_shared<MacroCallable>(&s, frame_, root_, Value())));
}

void Interpreter::ExecCallBlock(const Stmt& s, std::string* out) {
  Value caller = Value::MakeCallable(std::make_shared<MacroCallable>(&s, frame_, root_, Value()));
  const Expr& call = *s.expr;
  Value callee = Eval(*call.a);
  CallArgs args = EvalArgs(call);
  args.keyword.emplace_back("caller", caller);
  Append(out, ToStr(Call(callee, args)));
}

Value Interpreter::Call(const Value& callee, CallArgs& args) {
  if (callee.kind() == Kind::kCallable) {
    if (const auto* macro = dynamic_cast<const MacroCallable*>(&callee.callable())) FillMacroDefaults(*macro->def(), &args);
    return callee.callable().Call(*this, args);
  }
  if (callee.is_undefined()) ThrowUndefined(callee);
  ThrowError(Quoted(TypeName(callee)) + " object is not callable");
}

// Omitted parameters with defaults become keyword arguments. A default is evaluated in a scope that already
// holds the earlier parameters, so `{% macro m(a, b=a) %}` works as in jinja2.
void Interpreter::FillMacroDefaults(const Stmt& def, CallArgs* args) {
  const auto& params = def.params;
  auto scope = std::make_shared<Frame>(frame_);
  std::vector<bool> given(params.size(), false);
  for (size_t i = 0; i < args->positional.size() && i < params.size(); ++i) {
    given[i] = true;
    scope->Set(params[i].name, args->positional[i]);
  }
  for (const auto& [key, value] : args->keyword) {
    for (size_t i = 0; i < params.size(); ++i) {
      if (params[i].name == key) {
        given[i] = true;
        scope->Set(key, value);
      }
    }
  }
  for (size_t i = 0; i < params.size(); ++i) {
    if (given[i] || params[i].default_value == nullptr) continue;
    std::shared_ptr<Frame> saved = frame_;
    frame_ = scope;
    Value v;
    try {
      v = Eval(*params[i].default_value);
    } catch (...) {
      frame_ = saved;
      throw;
    }
    frame_ = saved;
    scope->Set(params[i].name, v);
    args->keyword.emplace_back(params[i].name, std::move(v));
  }
}

}  // namespace baleen::jinja
