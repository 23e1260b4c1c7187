// Jinja builtins: filters, tests, global functions, Python operators and methods of str/dict/list values.
// Text layer, implemented in filters.cc, tests.cc, methods.cc and operators.cc.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "text/jinja/ast.h"
#include "text/jinja/interpreter.h"
#include "text/jinja/value.h"

namespace baleen::jinja {

bool IsKnownFilter(std::string_view name);
bool IsKnownTest(std::string_view name);
Value ApplyFilter(Interpreter& interpreter, const std::string& name, const Value& input, CallArgs& args);
bool ApplyTest(Interpreter& interpreter, const std::string& name, const Value& input, CallArgs& args);

// Globals visible to every template: range, namespace, dict, raise_exception, strftime_now, cycler, joiner.
void AddGlobals(Frame* globals);

// Attribute lookup for str/dict/list methods; returns Undefined when `obj` has no such method.
Value LookupMethod(const Value& obj, const std::string& name);

// Python operators.
Value BinaryOp(Interpreter& interpreter, Op op, const Value& a, const Value& b);
Value UnaryOp(Op op, const Value& v);
bool Contains(const Value& container, const Value& item);  // `item in container`

// Binds Python-style arguments: positional first, then keywords by name; missing ones take `defaults`.
// Fails like Python on unknown keywords or too many arguments.
class ArgBinder {
 public:
  ArgBinder(const char* function, CallArgs& args, std::initializer_list<const char*> names);
  // The i-th parameter, or `fallback` when not passed.
  Value Get(size_t i, const Value& fallback) const;
  bool Has(size_t i) const;

 private:
  std::vector<const Value*> bound_;
};

}  // namespace baleen::jinja
